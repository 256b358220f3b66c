import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GuardsOptions, guards } from './index.js';
import { listen, rawRequest, type Started, testRespond } from './testing.js';

const KEY = 'sk-test-key-0123456789';
const ORIGIN = 'http://localhost:5173';

const start = async (over: Partial<GuardsOptions> = {}): Promise<Started> => {
  let port = 0;
  const app = express();
  app.use(
    guards({
      port: () => port,
      allowedHosts: [],
      allowedOrigins: [ORIGIN],
      apiKey: KEY,
      maxBodyBytes: 32 * 1024 * 1024,
      respond: testRespond,
      ...over,
    }),
  );
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.post('/v1/messages', (req, res) => {
    res.json({ got: req.body });
  });
  const srv = await listen(app);
  port = srv.port;
  return srv;
};

describe('guards() composition', () => {
  let srv: Started;
  beforeAll(async () => {
    srv = await start();
  });
  afterAll(() => srv.close());

  const auth = { authorization: `Bearer ${KEY}` };

  it('serves an authorised JSON request end to end', async () => {
    const res = await fetch(`${srv.url}/v1/messages`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', origin: ORIGIN },
      body: '{"model":"claude"}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(await res.json()).toEqual({ got: { model: 'claude' } });
  });

  it('checks Host first (before Origin and key)', async () => {
    const res = await rawRequest({
      port: srv.port,
      method: 'POST',
      path: '/v1/messages',
      headers: { host: 'evil.example', origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect(res.json().error.code).toBe('host_not_allowed');
  });

  it('checks Origin before the key', async () => {
    const res = await fetch(`${srv.url}/v1/messages`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('origin_not_allowed');
  });

  it('answers an allowed preflight without the key', async () => {
    const res = await fetch(`${srv.url}/v1/messages`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it('checks the key before reading the body', async () => {
    const res = await fetch(`${srv.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(res.status).toBe(401);
  });

  it('keeps /health open without the key', async () => {
    expect((await fetch(`${srv.url}/health`)).status).toBe(200);
  });

  it('refuses 16 MB of "[" quickly and keeps serving', async () => {
    const t0 = performance.now();
    const res = await fetch(`${srv.url}/v1/messages`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '['.repeat(16 * 1024 * 1024),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('json_too_deep');
    expect(performance.now() - t0).toBeLessThan(5000);
    expect((await fetch(`${srv.url}/health`)).status).toBe(200);
  });
});

describe('guards() options', () => {
  it('skips the key check when apiKey is undefined', async () => {
    const srv = await start({ apiKey: undefined });
    try {
      const res = await fetch(`${srv.url}/v1/messages`, { method: 'POST', body: '{"a":1}' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ got: { a: 1 } });
    } finally {
      await srv.close();
    }
  });

  it('refuses an empty apiKey at construction', () => {
    expect(() => guards({ port: () => 0, allowedHosts: [], allowedOrigins: [], apiKey: '', maxBodyBytes: 1, respond: testRespond })).toThrow(TypeError);
  });
});
