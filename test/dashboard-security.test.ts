/**
 * Who may use the dashboard, in a real browser (Debian's Chromium through playwright-core)
 * against the real daemon started with `--api-key`: the page asks for the key once and
 * keeps an httpOnly, SameSite=Strict session cookie (never the URL or localStorage);
 * a page on a second origin (another loopback port: same site, so the cookie would even
 * go along) can neither read nor change anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, openPage, ready, serveOtherOrigin, type WatchedPage } from './dashboard/browser.js';
import { MockUpstream, type RunningProxy, startProxy } from './harness.js';

const KEY = 'sk-dashboard-test-0123456789';
let upstream: MockUpstream;
let proxy: RunningProxy;
let browser: Browser;
let w: WatchedPage;

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({ upstream, args: ['--api-key', KEY] });
  browser = await launch();
  w = await openPage(browser);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.stop();
  await upstream?.stop();
});

const thresholdsOnDisk = () => {
  const f = path.join(proxy.dataDir, 'settings.json');
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')).thresholds : undefined;
};

describe('dashboard with --api-key', () => {
  it('serves the page but no data without a session', async () => {
    expect((await fetch(`${proxy.url}/`)).status).toBe(200);
    const res = await fetch(`${proxy.url}/dashboard/api/live`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'login_required', message: expect.stringContaining('API key') } });
    // The API key itself opens it too (scripts), as it does the API.
    expect((await fetch(`${proxy.url}/dashboard/api/live`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
  });

  it('asks for the key once: a wrong key is refused, the right one opens a session cookie', async () => {
    await w.page.goto(`${proxy.url}/`);
    await w.page.waitForSelector('#login:not([hidden])');
    expect(await w.page.isHidden('#app')).toBe(true);
    await w.page.fill('#login-key', 'not-the-key');
    await w.page.click('#login-form button[type="submit"]');
    await w.page.waitForFunction(() => document.getElementById('login-error')?.textContent !== '');
    expect(await w.page.textContent('#login-error')).toBe('that is not the API key this daemon was started with');

    await w.page.fill('#login-key', KEY);
    await w.page.click('#login-form button[type="submit"]');
    await ready(w.page);
    expect(await w.page.isHidden('#login')).toBe(true);
    expect(await w.page.textContent('#state-pill')).toBe('Running');

    const cookies = await w.context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'maxproxy_dashboard', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookies[0].value).not.toContain(KEY);
    // Never in the URL, script-visible cookies or storage.
    expect(w.page.url()).toBe(`${proxy.url}/`);
    expect(await w.page.evaluate(() => document.cookie)).toBe('');
    expect(await w.page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).toBe('{}{}');
    // The 401 of the wrong key is the only console error.
    expect(w.errors.filter((e) => !/401/.test(e))).toEqual([]);
  });

  it('keeps the session across reloads; changes need it', async () => {
    await w.page.reload();
    await ready(w.page);
    expect(await w.page.isHidden('#login')).toBe(true);
    // Same origin but no cookie: refused.
    const res = await fetch(`${proxy.url}/dashboard/api/settings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: proxy.url },
      body: JSON.stringify({ thresholds: { warn: 0.5, critical: 0.6 } }),
    });
    expect(res.status).toBe(401);
    expect(thresholdsOnDisk()).toBeUndefined();
  });

  it('a page on another origin can neither read nor change anything, even with the session cookie in the browser', async () => {
    const other = await serveOtherOrigin(`
      (async () => {
        const target = ${JSON.stringify(proxy.url)};
        const out = {};
        const attempt = async (name, url, init) => {
          try { const r = await fetch(target + url, { credentials: 'include', ...init }); out[name] = 'read ' + r.status + ' ' + (await r.text()).slice(0, 80); }
          catch (e) { out[name] = 'blocked'; }
        };
        await attempt('live', '/dashboard/api/live');
        await attempt('status', '/status');
        await attempt('json', '/dashboard/api/settings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ thresholds: { warn: 0.1, critical: 0.2 } }) });
        await attempt('end', '/dashboard/api/sessions/x/end', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        // Fire-and-forget writes a browser does send cross-origin (opaque answers).
        await fetch(target + '/dashboard/api/settings', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ thresholds: { warn: 0.1, critical: 0.2 } }) }).catch(() => {});
        const f = document.createElement('form');
        f.method = 'POST'; f.action = target + '/dashboard/api/settings'; f.enctype = 'text/plain'; f.target = 'sink';
        const i = document.createElement('input'); i.name = '{"thresholds":{"warn":0.1,"critical":0.2},"x":"'; i.value = '"}'; f.append(i);
        const sink = document.createElement('iframe'); sink.name = 'sink'; document.body.append(sink, f);
        f.submit();
        await new Promise((r) => { sink.addEventListener('load', r, { once: true }); setTimeout(r, 5000); });
        window.result = out;
        document.title = 'done';
      })();
    `);
    try {
      const p = await w.context.newPage();
      // What reached the daemon and what it answered, from the browser's network layer
      // (a page never sees the status of a request CORS refused).
      const cdp = await w.context.newCDPSession(p);
      const sent = new Map<string, { url: string; method: string }>();
      const answered = new Map<string, number>();
      cdp.on('Network.requestWillBeSent', (e) => sent.set(e.requestId, { url: e.request.url, method: e.request.method }));
      // ExtraInfo: the raw answer, reported also for requests CORS then hid from the page.
      // Chromium may report it before or after the request itself, so the two are joined
      // only once both are in.
      cdp.on('Network.responseReceivedExtraInfo', (e) => answered.set(e.requestId, e.statusCode));
      const seen = () =>
        [...sent]
          .filter(([id, r]) => r.url.startsWith(proxy.url) && answered.has(id))
          .map(([id, r]) => ({ url: r.url.slice(proxy.url.length), method: r.method, status: answered.get(id) }));
      await cdp.send('Network.enable');
      await p.goto(other.url);
      await p.waitForFunction(() => document.title === 'done', null, { timeout: 30_000 });
      const result = await p.evaluate(() => (window as unknown as { result: Record<string, string> }).result);
      expect(result).toEqual({ live: 'blocked', status: 'blocked', json: 'blocked', end: 'blocked' });
      // The daemon itself refused each one (not only the browser hiding the answer).
      // The browser's reports of the last answers may trail the page's own end.
      await expect
        .poll(() => seen().map((s) => `${s.method} ${s.url}`), { timeout: 10_000 })
        .toEqual(expect.arrayContaining(['GET /dashboard/api/live', 'GET /status', 'POST /dashboard/api/settings']));
      for (const s of seen()) expect(s.status, `${s.method} ${s.url}`).toBe(403);
      expect(thresholdsOnDisk()).toBeUndefined();
      // Meanwhile the dashboard's own page still works with its session.
      const live = await w.page.evaluate(async () => (await fetch('/dashboard/api/live')).status);
      expect(live).toBe(200);
      await p.close();
    } finally {
      await other.close();
    }
  });

  it('logs out: the cookie no longer opens anything', async () => {
    await w.page.click('#logout');
    await w.page.waitForSelector('#login:not([hidden])');
    const status = await w.page.evaluate(async () => (await fetch('/dashboard/api/live')).status);
    expect(status).toBe(401);
  });
});
