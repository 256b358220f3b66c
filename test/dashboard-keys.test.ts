/**
 * The dashboard's client keys panel in the real browser (Debian Chromium, playwright-core):
 * a key made on the command line is listed with its budget; a key created on the page is
 * shown once and works against the API; revoking it on the page refuses its next request;
 * a change from another origin or without JSON is refused (same-origin, CSRF).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, openPage, ready, shotPath } from './dashboard/browser.js';
import { MAIN, MockUpstream, type RunningProxy, startProxy, tempDir } from './harness.js';

const run = promisify(execFile);

describe('dashboard: client keys panel', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;
  let browser: Browser;

  beforeAll(async () => {
    upstream = await new MockUpstream().start();
    const dataDir = tempDir('maxproxy-dash-keys-');
    await run(process.execPath, [MAIN, 'keys', 'add', 'scripts', '--budget', '20', '--models', 'sonnet', '--data-dir', dataDir], { timeout: 60_000 });
    proxy = await startProxy({ upstream, dataDir, auth: 'oauth' });
    browser = await launch();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.stop();
    await upstream?.stop();
  });

  it('lists, creates (shown once), and revokes keys; the created key works until revoked', async () => {
    const p = await openPage(browser);
    await p.page.goto(`${proxy.url}/`);
    await ready(p.page);
    const row = p.page.locator('#keys tr[data-key="scripts"]');
    await expect(row.textContent()).resolves.toContain('(20%)');
    await p.page.fill('#key-name', 'notebook');
    await p.page.fill('#key-budget', '5');
    await p.page.click('#key-form button[type=submit]');
    await p.page.waitForSelector('#key-new:not([hidden])');
    const key = (await p.page.textContent('#key-new-value'))!;
    expect(key).toMatch(/^mp-notebook-[A-Za-z0-9]{32}$/);
    await p.page.waitForSelector('#keys tr[data-key="notebook"]');
    await p.page.screenshot({ path: shotPath('dashboard-keys.png'), fullPage: true });
    // The list never carries a key or a hash.
    const listed = await (await fetch(`${proxy.url}/dashboard/api/keys`)).text();
    expect(listed).not.toContain(key);
    expect(listed).not.toContain('"hash"');

    const call = () =>
      fetch(`${proxy.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: 'sonnet', messages: [{ role: 'user', content: 'hi' }] }),
      });
    expect((await call()).status).toBe(200);

    p.page.once('dialog', (d) => void d.accept());
    await p.page.click('#keys tr[data-key="notebook"] button[data-revoke]');
    await p.page.waitForFunction(() => document.querySelector('#keys tr[data-key="notebook"] td:nth-child(2)')?.textContent === 'revoked');
    expect((await call()).status).toBe(401);
    expect(p.errors).toEqual([]);
    await p.context.close();
  }, 180_000);

  it('refuses key changes from another origin and without JSON', async () => {
    const cross = await fetch(`${proxy.url}/dashboard/api/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:1' },
      body: JSON.stringify({ name: 'evil' }),
    });
    expect(cross.status).toBe(403);
    const form = await fetch(`${proxy.url}/dashboard/api/keys/scripts/revoke`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(form.status).toBe(415);
    const { stdout } = await run(process.execPath, [MAIN, 'keys', 'list', '--json', '--data-dir', proxy.dataDir], { timeout: 60_000 });
    const keys = JSON.parse(stdout).keys.map((k: any) => [k.name, k.state]);
    expect(keys).toEqual([
      ['scripts', 'active'],
      ['notebook', 'revoked'],
    ]);
  });
});
