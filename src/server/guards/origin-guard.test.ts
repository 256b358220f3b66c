import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeOrigin, originGuard } from './origin-guard.js';
import { listen, type Started, testRespond } from './testing.js';

describe('normalizeOrigin', () => {
  it('normalises case and default ports', () => {
    expect(normalizeOrigin('http://LocalHost:80')).toBe('http://localhost');
    expect(normalizeOrigin('https://app.example:443')).toBe('https://app.example');
    expect(normalizeOrigin('http://localhost:5173')).toBe('http://localhost:5173');
  });
  it('refuses null, empty and garbage', () => {
    expect(normalizeOrigin('null')).toBeNull();
    expect(normalizeOrigin('')).toBeNull();
    expect(normalizeOrigin('not a url')).toBeNull();
    expect(normalizeOrigin('file:///etc/passwd')).toBeNull();
  });
  it('keeps extension origins listable', () => {
    expect(normalizeOrigin('chrome-extension://abcdef')).toBe('chrome-extension://abcdef');
  });
});

describe('originGuard configuration', () => {
  it('refuses * and null as allowed origins', () => {
    expect(() => originGuard({ allowedOrigins: ['*'], respond: testRespond })).toThrow(TypeError);
    expect(() => originGuard({ allowedOrigins: ['null'], respond: testRespond })).toThrow(TypeError);
  });
});

describe('originGuard over HTTP', () => {
  const allowed = 'http://localhost:5173';
  let srv: Started;
  let reached = 0;
  beforeAll(async () => {
    const app = express();
    app.use(originGuard({ allowedOrigins: [allowed, 'https://chat.example'], respond: testRespond }));
    app.all('/v1/chat/completions', (_req, res) => {
      reached++;
      res.json({ ok: true });
    });
    srv = await listen(app);
  });
  afterAll(() => srv.close());

  const url = () => `${srv.url}/v1/chat/completions`;

  it('lets requests without Origin through, without ACAO', async () => {
    const res = await fetch(url(), { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/origin/i);
  });

  it('refuses a foreign Origin with 403 before the route runs', async () => {
    const before = reached;
    const res = await fetch(url(), { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    const body = await res.json();
    expect(body.error).toMatchObject({ kind: 'permission', code: 'origin_not_allowed' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(reached).toBe(before);
  });

  it('refuses Origin: null', async () => {
    const res = await fetch(url(), { method: 'POST', headers: { origin: 'null' } });
    expect(res.status).toBe(403);
  });

  it('refuses a look-alike origin (other port, other scheme, suffix)', async () => {
    for (const o of ['http://localhost:5174', 'https://localhost:5173', 'http://localhost:5173.evil.example']) {
      const res = await fetch(url(), { method: 'POST', headers: { origin: o } });
      expect(res.status, o).toBe(403);
    }
  });

  it('passes an allowed Origin and adds ACAO + Vary', async () => {
    const res = await fetch(url(), { method: 'POST', headers: { origin: allowed } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(res.headers.get('vary')).toMatch(/origin/i);
    expect(res.headers.get('access-control-expose-headers')).toContain('retry-after');
    expect(await res.json()).toEqual({ ok: true });
  });

  it('answers a preflight from an allowed origin with 204 and never reaches the route', async () => {
    const before = reached;
    const res = await fetch(url(), {
      method: 'OPTIONS',
      headers: {
        origin: 'https://chat.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-stainless-os, openai-organization, anthropic-dangerous-direct-browser-access, x-evil',
        'access-control-request-private-network': 'true',
      },
    });
    expect(res.status).toBe(204);
    expect(reached).toBe(before);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://chat.example');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    const allowHeaders = (res.headers.get('access-control-allow-headers') ?? '').split(/,\s*/);
    for (const h of [
      'authorization',
      'x-api-key',
      'content-type',
      'anthropic-version',
      'anthropic-beta',
      'x-session-id',
      'x-stainless-os',
      'openai-organization',
      'anthropic-dangerous-direct-browser-access',
    ]) {
      expect(allowHeaders).toContain(h);
    }
    expect(allowHeaders).not.toContain('x-evil');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('access-control-allow-private-network')).toBe('true');
    expect(res.headers.get('vary')).toMatch(/origin/i);
  });

  it('refuses a preflight from a foreign origin with 403', async () => {
    const res = await fetch(url(), {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('passes a plain OPTIONS (no Access-Control-Request-Method) to the routes', async () => {
    const before = reached;
    const res = await fetch(url(), { method: 'OPTIONS', headers: { origin: allowed } });
    expect(res.status).toBe(200);
    expect(reached).toBe(before + 1);
  });
});
