import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyGuard } from './api-key-guard.js';
import { listen, type Started, testRespond } from './testing.js';

const KEY = 'sk-maxproxy-Secret-1234567890';

describe('apiKeyGuard configuration', () => {
  it('refuses an empty key instead of silently disabling the check', () => {
    expect(() => apiKeyGuard({ apiKey: '', respond: testRespond })).toThrow(TypeError);
  });
});

describe('apiKeyGuard over HTTP', () => {
  let srv: Started;
  beforeAll(async () => {
    const app = express();
    app.use(apiKeyGuard({ apiKey: KEY, respond: testRespond }));
    app.get('/health', (_req, res) => {
      res.json({ status: 'ok' });
    });
    app.all('/v1/models', (_req, res) => {
      res.json({ ok: true });
    });
    app.post('/health', (_req, res) => {
      res.json({ posted: true });
    });
    srv = await listen(app);
  });
  afterAll(() => srv.close());

  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => fetch(`${srv.url}${path}`, { method, headers });

  it('accepts Authorization: Bearer <key>', async () => {
    const res = await get('/v1/models', { authorization: `Bearer ${KEY}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('accepts a lower-case bearer scheme and surrounding spaces', async () => {
    expect((await get('/v1/models', { authorization: `bearer   ${KEY}  ` })).status).toBe(200);
  });

  it('accepts x-api-key: <key>', async () => {
    expect((await get('/v1/models', { 'x-api-key': KEY })).status).toBe(200);
  });

  it('accepts when either header matches', async () => {
    expect((await get('/v1/models', { authorization: 'Bearer wrong', 'x-api-key': KEY })).status).toBe(200);
    expect((await get('/v1/models', { authorization: `Bearer ${KEY}`, 'x-api-key': 'wrong' })).status).toBe(200);
  });

  it('refuses a missing key with 401 and a hint', async () => {
    const res = await get('/v1/models');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    const body = await res.json();
    expect(body.error).toMatchObject({ kind: 'authentication', code: 'missing_api_key' });
  });

  it.each([
    ['wrong key', { authorization: 'Bearer nope' }],
    ['key prefix', { authorization: `Bearer ${KEY.slice(0, -1)}` }],
    ['key with suffix', { 'x-api-key': `${KEY}x` }],
    ['different case', { 'x-api-key': KEY.toUpperCase() }],
    ['Basic scheme', { authorization: `Basic ${KEY}` }],
    ['bare token', { authorization: KEY }],
    ['empty bearer', { authorization: 'Bearer ' }],
  ])('refuses %s with 401 and never echoes a key', async (_name, headers) => {
    const res = await get('/v1/models', headers as Record<string, string>);
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('nope');
    expect(text).not.toContain(KEY.slice(0, 10));
  });

  it('needs the key on POST and OPTIONS too', async () => {
    expect((await get('/v1/models', {}, 'POST')).status).toBe(401);
    expect((await get('/v1/models', {}, 'OPTIONS')).status).toBe(401);
  });

  it('exempts GET and HEAD /health (any case, trailing slash)', async () => {
    expect((await get('/health')).status).toBe(200);
    expect((await get('/health/')).status).toBe(200);
    expect((await get('/HEALTH')).status).toBe(200);
    expect((await get('/health', {}, 'HEAD')).status).toBe(200);
  });

  it('does not exempt POST /health or other paths that start with /health', async () => {
    expect((await get('/health', {}, 'POST')).status).toBe(401);
    expect((await get('/healthz')).status).toBe(401);
    expect((await get('/health/x')).status).toBe(401);
  });
});
