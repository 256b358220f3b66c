import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostGuard, isAllowedHost, splitHost } from './host-guard.js';
import { listen, rawRequest, type Started, testRespond } from './testing.js';

describe('isAllowedHost', () => {
  it.each([
    ['localhost', true],
    ['localhost:3456', true],
    ['LOCALHOST:3456', true],
    ['127.0.0.1', true],
    ['127.0.0.1:3456', true],
    ['[::1]', true],
    ['[::1]:3456', true],
    ['localhost:3457', false],
    ['127.0.0.1:80', false],
    ['[::1]:1', false],
    ['::1', false],
    ['127.0.0.2:3456', false],
    ['evil.example', false],
    ['evil.example:3456', false],
    ['localhost.evil.example:3456', false],
    ['localhost:', false],
    ['localhost:abc', false],
    ['localhost:3456:3456', false],
    ['[::1', false],
    ['', false],
    ['myhost.lan', true],
    ['myhost.lan:3456', true],
    ['MyHost.LAN:3456', true],
    ['myhost.lan:9999', false],
    ['fwd.lan:8080', true],
    ['fwd.lan', false],
    ['fwd.lan:3456', false],
  ])('%s → %s', (host, want) => {
    expect(isAllowedHost(host, 3456, ['myhost.lan', 'fwd.lan:8080'])).toBe(want);
  });

  it('accepts only portless loopback names before the port is known', () => {
    expect(isAllowedHost('localhost', 0)).toBe(true);
    expect(isAllowedHost('localhost:0', 0)).toBe(false);
  });

  it('splits IPv6 literals', () => {
    expect(splitHost('[::1]:80')).toEqual({ name: '[::1]', port: '80' });
    expect(splitHost('[::1]x')).toBeNull();
  });
});

describe('hostGuard over HTTP', () => {
  let srv: Started;
  let port = 0;
  beforeAll(async () => {
    const app = express();
    app.use(hostGuard({ port: () => port, allowedHosts: ['maxproxy.test'], respond: testRespond }));
    app.get('/ok', (_req, res) => {
      res.json({ ok: true });
    });
    srv = await listen(app);
    port = srv.port;
  });
  afterAll(() => srv.close());

  it('lets fetch through (it sends Host 127.0.0.1:<port>)', async () => {
    const res = await fetch(`${srv.url}/ok`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it.each(['localhost', 'localhost:PORT', '127.0.0.1:PORT', '[::1]:PORT', 'maxproxy.test', 'maxproxy.test:PORT'])('accepts Host %s', async (h) => {
    const res = await rawRequest({ port: srv.port, path: '/ok', headers: { host: h.replace('PORT', String(srv.port)) } });
    expect(res.status).toBe(200);
  });

  it.each(['evil.example', `evil.example:PORT`, 'localhost:1', '127.0.0.1:PORT1', 'maxproxy.test:1'])('refuses Host %s with 403', async (h) => {
    const res = await rawRequest({ port: srv.port, path: '/ok', headers: { host: h.replace('PORT', String(srv.port)) } });
    expect(res.status).toBe(403);
    expect(res.json().error).toMatchObject({ kind: 'permission', code: 'host_not_allowed' });
    expect(res.json().error.message).toContain('DNS rebinding');
  });

  it('refuses a wrong Host even on unknown routes (guard runs first)', async () => {
    const res = await rawRequest({ port: srv.port, method: 'POST', path: '/v1/chat/completions', headers: { host: 'evil.example' } });
    expect(res.status).toBe(403);
  });

  it('ignores X-Forwarded-Host', async () => {
    const res = await rawRequest({
      port: srv.port,
      path: '/ok',
      headers: { host: 'evil.example', 'x-forwarded-host': 'localhost' },
    });
    expect(res.status).toBe(403);
  });

  it('answers a missing Host (HTTP/1.0) with 400', async () => {
    // Node itself answers HTTP/1.1 without Host with 400; HTTP/1.0 reaches the guard.
    const net = await import('node:net');
    const text = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(srv.port, '127.0.0.1', () => sock.write('GET /ok HTTP/1.0\r\n\r\n'));
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('data', (c: string) => (buf += c));
      sock.on('end', () => resolve(buf));
      sock.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('missing Host header');
  });

  it('answers HTTP/1.1 without Host with 400 too (Node)', async () => {
    const res = await rawRequest({ port: srv.port, path: '/ok', headers: { host: null } });
    expect(res.status).toBe(400);
  });

  it('echoes a hostile Host only quoted and bounded', async () => {
    const res = await rawRequest({ port: srv.port, path: '/ok', headers: { host: `${'a'.repeat(300)}.example` } });
    expect(res.status).toBe(403);
    expect(res.json().error.message.length).toBeLessThan(300);
  });
});
