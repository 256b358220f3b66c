import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyErrorToTurnError, isJsonContentType, jsonBody } from './json-body.js';
import { listen, rawRequest, type Started, testRespond } from './testing.js';

const LIMIT = 64 * 1024;

describe('isJsonContentType', () => {
  it.each([
    [undefined, true],
    ['application/json', true],
    ['Application/JSON; charset=utf-8', true],
    ['application/vnd.api+json', true],
    ['text/plain', true],
    ['application/x-www-form-urlencoded', true],
    ['multipart/form-data; boundary=x', false],
    ['application/xml', false],
    ['text/html', false],
  ])('%s → %s', (ct, want) => {
    expect(isJsonContentType(ct)).toBe(want);
  });
});

describe('bodyErrorToTurnError', () => {
  it('maps unknown failures to internal without leaking detail', () => {
    expect(bodyErrorToTurnError(new Error('boom /secret/path'), 10)).toEqual({
      kind: 'internal',
      message: 'failed to read the request body',
    });
  });
});

describe('jsonBody over HTTP', () => {
  let srv: Started;
  beforeAll(async () => {
    const app = express();
    app.use(jsonBody({ maxBodyBytes: LIMIT, respond: testRespond }));
    app.all('/echo', (req, res) => {
      res.json({ body: req.body === undefined ? '<undefined>' : req.body });
    });
    srv = await listen(app);
  });
  afterAll(() => srv.close());

  const post = (body: string | Buffer, headers: Record<string, string | null> = {}) =>
    rawRequest({ port: srv.port, method: 'POST', path: '/echo', headers, body });

  it('parses application/json', async () => {
    const res = await fetch(`${srv.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hé' }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ body: { model: 'm', messages: [{ role: 'user', content: 'hé' }] } });
  });

  it.each([
    ['no Content-Type', {}],
    ['text/plain', { 'content-type': 'text/plain;charset=UTF-8' }],
    ['curl -d default', { 'content-type': 'application/x-www-form-urlencoded' }],
  ])('parses JSON sent with %s', async (_n, headers) => {
    const res = await post('{"a":1}', headers);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ body: { a: 1 } });
  });

  it('leaves req.body undefined when there is no body; {} for an empty one', async () => {
    expect((await rawRequest({ port: srv.port, path: '/echo' })).json()).toEqual({ body: '<undefined>' });
    expect((await post('', { 'content-type': 'application/json' })).json()).toEqual({ body: {} });
  });

  it('refuses a real form body as malformed JSON', async () => {
    const res = await post('a=1&b=2', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ kind: 'invalid_request', code: 'invalid_json' });
  });

  it('refuses other content types with 400 unsupported_content_type', async () => {
    const res = await post('<a/>', { 'content-type': 'application/xml' });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ kind: 'invalid_request', code: 'unsupported_content_type' });
    expect(res.json().error.message).toContain('application/json');
  });

  it('tolerates sloppy Content-Type parameters (body-parser 2 parses leniently)', async () => {
    for (const ct of ['application/json; charset', 'application/json;;', 'application/json; charset=']) {
      const res = await post('{"a":1}', { 'content-type': ct });
      expect(res.status, ct).toBe(200);
    }
  });

  it.each(['{"a":', '{a:1}', '{"a":1}}', '[1,]', '"just a string"', '42', 'null'])('answers malformed JSON %s with 400 "malformed JSON: …"', async (text) => {
    const res = await post(text, { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    const err = res.json().error;
    expect(err.kind).toBe('invalid_request');
    expect(err.message).toMatch(/^malformed JSON: \S/);
  });

  it('answers a body over the limit with 413 too_large (Content-Length)', async () => {
    const res = await post(JSON.stringify({ s: 'x'.repeat(LIMIT) }), { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
    expect(res.json().error).toMatchObject({ kind: 'too_large', code: 'request_too_large' });
    expect(res.json().error.message).toContain(String(LIMIT));
  });

  it('answers a chunked body over the limit with 413', async () => {
    const res = await post(JSON.stringify({ s: 'x'.repeat(LIMIT) }), {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
    });
    expect(res.status).toBe(413);
  });

  it('parses gzip bodies and stops a zip bomb at the inflated limit', async () => {
    const ok = await post(gzipSync('{"z":true}'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(ok.json()).toEqual({ body: { z: true } });
    const bomb = gzipSync(`[${' '.repeat(50 * 1024 * 1024)}]`);
    expect(bomb.length).toBeLessThan(LIMIT);
    const res = await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
  });

  it('answers a corrupt gzip body and an unknown Content-Encoding with 400', async () => {
    const corrupt = await post(Buffer.from('definitely not gzip'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(corrupt.status).toBe(400);
    expect(corrupt.json().error.kind).toBe('invalid_request');
    const unknown = await post('{}', { 'content-type': 'application/json', 'content-encoding': 'snappy' });
    expect(unknown.status).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: 'unsupported_content_encoding' });
  });

  it('refuses non-UTF-8 charsets', async () => {
    const res = await post(Buffer.from('{"a":1}', 'utf16le'), { 'content-type': 'application/json; charset=utf-16le' });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'unsupported_charset' });
  });

  it('accepts 64 levels of nesting and refuses 65 with 400 json_too_deep', async () => {
    const at = '['.repeat(64) + ']'.repeat(64);
    expect((await post(at, { 'content-type': 'application/json' })).status).toBe(200);
    const res = await post(`[${at}]`, { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ kind: 'invalid_request', code: 'json_too_deep' });
  });

  it('refuses absurd nesting and stays up', async () => {
    const res = await post('['.repeat(LIMIT - 1), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.json().error.code).toBe('json_too_deep');
    const deepObjects = await post(`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, {});
    expect(deepObjects.status).toBe(400);
    expect((await post('{"still":"alive"}', {})).json()).toEqual({ body: { still: 'alive' } });
  });

  it('refuses a body with more values than its limit with 400 json_too_many_values', async () => {
    const app = express();
    app.use(jsonBody({ maxBodyBytes: LIMIT, maxItems: 100, respond: testRespond }));
    app.all('/echo', (req, res) => res.json({ body: req.body }));
    const small = await listen(app);
    try {
      const send = (n: number) =>
        rawRequest({
          port: small.port,
          method: 'POST',
          path: '/echo',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ a: Array(n).fill(1) }),
        });
      // One object, one array and the commas between its n values: 2 + (n - 1).
      expect((await send(99)).json()).toEqual({ body: { a: Array(99).fill(1) } });
      const res = await send(100);
      expect(res.status).toBe(400);
      expect(res.json().error).toMatchObject({ kind: 'invalid_request', code: 'json_too_many_values' });
      expect(res.json().error.message).toMatch(/at most 100\b/);
    } finally {
      await small.close();
    }
  });

  it('truncates long parse details', async () => {
    const res = await post(`{"a": ${'x'.repeat(5000)}}`, { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.json().error.message.length).toBeLessThan(260);
  });
});
