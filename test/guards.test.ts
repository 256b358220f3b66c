/**
 * The request guards against the real daemon: DNS-rebinding Host check, Origin check
 * and CORS for allowed origins, the API key on every route but /health, body limits
 * (size, malformed and absurdly nested JSON) answered in the endpoint's format, and the
 * refusal to bind a non-loopback address without a key.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { health, rawRequest } from './fault-kit.js';
import { MAIN, MockUpstream, type RunningProxy, startProxy, tempDir } from './harness.js';

const KEY = 'guard-test-key-0123456789';
const WRONG = 'wrong-key-9876543210';
const ORIGIN = 'http://app.example:8080';
const MAX_BODY = 64 * 1024;

let upstream: MockUpstream;
let proxy: RunningProxy;

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({ upstream, args: ['--api-key', KEY, '--allowed-origin', ORIGIN, '--max-body-bytes', String(MAX_BODY)] });
});
afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

const auth = { authorization: `Bearer ${KEY}` };
const json = { 'content-type': 'application/json' };
const body = (r: { body: string }) => JSON.parse(r.body);

/** Anthropic's error shape vs OpenAI's. */
const expectAnthropicError = (r: { body: string }, type: string) => expect(body(r)).toMatchObject({ type: 'error', error: { type } });
const expectOpenAIError = (r: { body: string }, type: string) => expect(body(r).error).toMatchObject({ type });

describe('Host header (DNS rebinding)', () => {
  it.each(['evil.com', 'evil.com:PORT', '127.0.0.1:1', 'localhost.evil.com:PORT', '127.0.0.1.nip.io:PORT'])(
    'Host %s → 403 on every route, /health included',
    async (h) => {
      const host = h.replace('PORT', String(proxy.port));
      for (const [method, path] of [
        ['GET', '/health'],
        ['GET', '/v1/models'],
        ['POST', '/v1/chat/completions'],
        ['POST', '/v1/messages'],
      ] as const) {
        const r = await rawRequest(proxy.port, { method, path, headers: { host, ...auth, ...json }, body: method === 'POST' ? '{}' : undefined });
        expect(r.status, `${method} ${path}`).toBe(403);
        if (path === '/v1/messages') expectAnthropicError(r, 'permission_error');
        else expectOpenAIError(r, 'permission_error');
        expect(r.body).toMatch(/Host .* is not allowed/);
      }
    },
  );

  it.each(['localhost:PORT', '127.0.0.1:PORT', '[::1]:PORT', 'LOCALHOST:PORT', 'localhost'])('Host %s is accepted', async (h) => {
    const r = await rawRequest(proxy.port, { path: '/v1/models', headers: { host: h.replace('PORT', String(proxy.port)), ...auth } });
    expect(r.status).toBe(200);
  });
});

describe('Origin', () => {
  it('a foreign Origin gets 403 even with the right key, in the endpoint format', async () => {
    for (const origin of ['https://evil.example', 'null', 'http://app.example:8081', 'http://app.example']) {
      const oa = await rawRequest(proxy.port, { method: 'POST', path: '/v1/chat/completions', headers: { origin, ...auth, ...json }, body: '{}' });
      expect(oa.status, origin).toBe(403);
      expectOpenAIError(oa, 'permission_error');
      expect(oa.headers['access-control-allow-origin']).toBeUndefined();
      const an = await rawRequest(proxy.port, { method: 'POST', path: '/v1/messages', headers: { origin, 'x-api-key': KEY, ...json }, body: '{}' });
      expect(an.status, origin).toBe(403);
      expectAnthropicError(an, 'permission_error');
    }
  });

  it('a preflight from a foreign origin is refused without CORS headers', async () => {
    const r = await rawRequest(proxy.port, {
      method: 'OPTIONS',
      path: '/v1/chat/completions',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(r.status).toBe(403);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(r.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('an allowed origin gets its preflight (204, no key needed) and CORS headers on the real request', async () => {
    const pre = await rawRequest(proxy.port, {
      method: 'OPTIONS',
      path: '/v1/chat/completions',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-stainless-os' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(pre.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(pre.headers['access-control-allow-headers']).toMatch(/authorization/);
    expect(pre.headers['access-control-allow-headers']).toMatch(/x-stainless-os/);
    expect(pre.headers.vary).toMatch(/Origin/i);

    const r = await rawRequest(proxy.port, { path: '/v1/models', headers: { origin: ORIGIN, ...auth } });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(r.headers['access-control-expose-headers']).toMatch(/retry-after/);
    expect(r.headers.vary).toMatch(/Origin/i);

    // The key is still required on the real request from an allowed origin.
    const noKey = await rawRequest(proxy.port, { path: '/v1/models', headers: { origin: ORIGIN } });
    expect(noKey.status).toBe(401);
  });
});

describe('API key', () => {
  // Every route the daemon serves (and one it does not): the guard runs before routing.
  const routes: Array<{ method: 'GET' | 'POST'; path: string; anthropic?: boolean; body?: string }> = [
    { method: 'GET', path: '/v1/models' },
    { method: 'GET', path: '/v1/models/sonnet' },
    { method: 'POST', path: '/v1/chat/completions', body: '{}' },
    { method: 'POST', path: '/v1/messages', anthropic: true, body: '{}' },
    { method: 'POST', path: '/v1/responses', body: '{}' },
    { method: 'GET', path: '/metrics' },
    { method: 'GET', path: '/status' },
    { method: 'GET', path: '/v1/no-such-route' },
  ];

  it.each(routes)('$method $path: missing or wrong key → 401 in the endpoint format; the right key passes', async ({ method, path, anthropic, body: b }) => {
    const send = (headers: Record<string, string>) => rawRequest(proxy.port, { method, path, headers: { ...json, ...headers }, body: b });
    for (const headers of [
      {},
      { authorization: `Bearer ${WRONG}` },
      { 'x-api-key': WRONG },
      { authorization: KEY },
      { authorization: `Basic ${KEY}` },
    ] as Array<Record<string, string>>) {
      const r = await send(headers);
      expect(r.status, JSON.stringify(headers)).toBe(401);
      if (anthropic) expectAnthropicError(r, 'authentication_error');
      else expectOpenAIError(r, 'authentication_error');
      expect(r.headers['www-authenticate']).toMatch(/Bearer/);
      expect(r.body).not.toContain(WRONG);
      expect(r.body).not.toContain(KEY);
    }
    for (const headers of [{ authorization: `Bearer ${KEY}` }, { 'x-api-key': KEY }, { authorization: `Bearer ${WRONG}`, 'x-api-key': KEY }] as Array<
      Record<string, string>
    >) {
      const r = await send(headers);
      expect(r.status, JSON.stringify(headers)).not.toBe(401);
      // Bodies are only read after the key check: an empty turn request is a 400, not a 401.
      if (method === 'POST') expect(r.status).toBe(400);
      else if (path === '/v1/no-such-route') expect(r.status).toBe(404);
      else expect(r.status).toBe(200);
    }
  });

  it('/health needs no key (GET and HEAD) and /status does', async () => {
    expect((await rawRequest(proxy.port, { path: '/health' })).status).toBe(200);
    expect((await rawRequest(proxy.port, { method: 'HEAD', path: '/health' })).status).toBe(200);
    expect((await rawRequest(proxy.port, { path: '/status' })).status).toBe(401);
    expect((await rawRequest(proxy.port, { path: '/status', headers: auth })).status).toBe(200);
  });

  it('works with the official SDKs (Bearer from openai, x-api-key / Bearer from @anthropic-ai/sdk)', async () => {
    const { default: OpenAI } = await import('openai');
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    const ok = await new OpenAI({ baseURL: proxy.baseURL, apiKey: KEY, maxRetries: 0 }).models.list();
    expect(ok.data.length).toBeGreaterThan(0);
    const bad = await new OpenAI({ baseURL: proxy.baseURL, apiKey: WRONG, maxRetries: 0 }).models.list().catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.AuthenticationError);
    const msg = await new Anthropic({ baseURL: proxy.url, apiKey: KEY, maxRetries: 0 }).messages.create({
      model: 'claude-sonnet-5-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'with key' }],
    });
    expect(msg.content).toEqual([{ type: 'text', text: 'echo: with key' }]);
    const denied = await new Anthropic({ baseURL: proxy.url, apiKey: WRONG, maxRetries: 0 }).messages
      .create({ model: 'claude-sonnet-5-5', max_tokens: 50, messages: [{ role: 'user', content: 'no' }] })
      .catch((e) => e);
    expect(denied).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(denied.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('never logs the key or a presented one', () => {
    expect(proxy.output()).not.toContain(KEY);
    expect(proxy.output()).not.toContain(WRONG);
  });
});

describe('request bodies', () => {
  const post = (path: string, b: string | Buffer, headers: Record<string, string> = {}) =>
    rawRequest(proxy.port, { method: 'POST', path, headers: { ...auth, ...json, ...headers }, body: b });

  it('a body over --max-body-bytes → 413 in the endpoint format', async () => {
    const big = JSON.stringify({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY + 10) }] });
    const oa = await post('/v1/chat/completions', big);
    expect(oa.status).toBe(413);
    expect(body(oa).error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
    const an = await post('/v1/messages', big);
    expect(an.status).toBe(413);
    expectAnthropicError(an, 'request_too_large');
    const rs = await post('/v1/responses', big);
    expect(rs.status).toBe(413);
    expect(body(rs).error).toBeDefined();
    // Just under the limit is read (and then judged on its content).
    const fits = JSON.stringify({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY - 200) }] });
    const ok = await post('/v1/chat/completions', fits);
    expect(ok.status).toBe(200);
  });

  it('a body over the limit after gzip inflation → 413 (no zip bomb)', async () => {
    const zlib = await import('node:zlib');
    const bomb = zlib.gzipSync(Buffer.from(`{"a":"${'0'.repeat(10 * MAX_BODY)}"}`));
    expect(bomb.length).toBeLessThan(MAX_BODY);
    const r = await post('/v1/chat/completions', bomb, { 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
  });

  it('malformed JSON → 400 in the endpoint format', async () => {
    for (const bad of ['{"model": "x", "messages": [', '{model: 1}', 'not json', '"just a string"']) {
      const oa = await post('/v1/chat/completions', bad);
      expect(oa.status, bad).toBe(400);
      expectOpenAIError(oa, 'invalid_request_error');
      const an = await post('/v1/messages', bad);
      expect(an.status, bad).toBe(400);
      expectAnthropicError(an, 'invalid_request_error');
    }
  });

  it('deeply nested JSON → 400 at once, and the daemon keeps serving', async () => {
    for (const depth of [1_000, 10_000]) {
      const nested = `{"model":"claude-sonnet-5-5","messages":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const oa = await post('/v1/chat/completions', nested);
      expect(oa.status).toBe(400);
      expect(body(oa).error.code).toBe('json_too_deep');
      expect(oa.ms).toBeLessThan(15_000);
      const an = await post('/v1/messages', `{"x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`);
      expect(an.status).toBe(400);
      expectAnthropicError(an, 'invalid_request_error');
      expect(an.ms).toBeLessThan(15_000);
    }
    // Absurd but flat inputs get a 4xx too, never a crash.
    for (const odd of [
      '{"model":"claude-sonnet-5-5","messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":123}}]}]}',
      '{"model":[],"messages":{}}',
      '{"model":"claude-sonnet-5-5","messages":[null,1,"x"]}',
    ]) {
      const r = await post('/v1/messages', odd);
      expect(r.status, odd).toBeGreaterThanOrEqual(400);
      expect(r.status, odd).toBeLessThan(500);
    }
    expect((await health(proxy)).status).toBe('ok');
    expect(proxy.child.exitCode).toBeNull();
  });
});

describe('binding', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const dataDir = tempDir();
      const child = spawn(process.execPath, [MAIN, '--headless', '--port', '0', '--data-dir', dataDir, ...args], {
        env: { ...process.env, DISPLAY: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });

  it.each([
    [['--host', '0.0.0.0'], {}],
    [['--host', '192.168.1.10'], {}],
    [['--host', '::'], {}],
    [[], { MAXPROXY_HOST: '0.0.0.0' }],
  ] as Array<[string[], NodeJS.ProcessEnv]>)('refuses a non-loopback address without a key: %j %j', async (args, env) => {
    const t0 = Date.now();
    const r = await run(args, env);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.out).toMatch(/refusing to listen on .* without an API key/);
    expect(r.out).toMatch(/--api-key/);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('binds 0.0.0.0 with a key, and still checks Host and the key there', async () => {
    const p = await startProxy({ upstream, args: ['--host', '0.0.0.0', '--api-key', KEY] });
    try {
      expect((await rawRequest(p.port, { path: '/v1/models', headers: auth })).status).toBe(200);
      expect((await rawRequest(p.port, { path: '/v1/models' })).status).toBe(401);
      expect((await rawRequest(p.port, { path: '/v1/models', headers: { host: 'evil.com', ...auth } })).status).toBe(403);
    } finally {
      // (exit status on SIGTERM is asserted in config-flags.test.ts)
      await p.stop();
    }
  });
});
