/**
 * The extra-usage policy against a real daemon (in this process, with the real Claude
 * Code CLI under CLAUDE_CODE_OAUTH_TOKEN and the mock upstream reporting extra usage in
 * use): refuse (the default) lets the answer in flight finish, notifies once and answers
 * new turns 429 in each endpoint's format; the tray toggle switches to notify (saved in
 * settings), which lets turns through and notifies once per window; allow only records.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/resolve.js';
import { type Daemon, startDaemon } from '../src/daemon.js';
import { type Desktop, startDesktop } from '../src/desktop/desktop-app.js';
import { buildMenu } from '../src/desktop/menu-model.js';
import { CoalescingNotifier, type Notification } from '../src/desktop/notifier.js';
import { silentLogger } from '../src/log/logger.js';
import { MAIN, sleep, tempDir, waitFor } from './harness.js';
import { MockUpstream, unifiedRateLimitHeaders } from './mock-upstream.js';

const post = (url: string, route: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const chat = (url: string, content: string, stream = false) =>
  post(url, '/v1/chat/completions', { model: 'claude-sonnet-5-5', stream, messages: [{ role: 'user', content }] });

describe('extra usage: refuse, notify, allow', () => {
  let upstream: MockUpstream;
  let daemon: Daemon;
  let desktop: Desktop;
  let dataDir: string;
  const sent: Notification[] = [];
  let reset = Math.floor(Date.now() / 1000) + 3 * 3600;

  beforeAll(async () => {
    upstream = await new MockUpstream().start();
    upstream.setResponder(() => ({
      blocks: [{ type: 'text', text: ['billed ', 'beyond ', 'the plan'] }],
      delayMs: 30,
      headers: unifiedRateLimitHeaders({ utilization5h: 1, reset5h: reset, overage: true }),
    }));
    dataDir = tempDir('maxproxy-extra-');
    const home = path.join(dataDir, 'home');
    fs.mkdirSync(home, { recursive: true });
    const claudeEnv = { HOME: home, DISABLE_TELEMETRY: '1', ANTHROPIC_BASE_URL: upstream.url, CLAUDE_CODE_OAUTH_TOKEN: 'test-oauth-token' };
    const { config, settings } = resolveConfig({ dataDir, port: 0, headless: true, logLevel: 'silent', claudeEnv, shutdownGraceMs: 5_000 }, {});
    const log = silentLogger();
    daemon = await startDaemon(config, settings, log, '0.0.0-test');
    const notifier = new CoalescingNotifier({ backend: { send: async (n) => void sent.push(n) }, gatherMs: 0, windowMs: 0 });
    desktop = await startDesktop(daemon, config, settings, log as never, {
      tray: false,
      notifier,
      loginItem: { home: path.join(dataDir, 'user-home'), scriptPath: MAIN },
    });
  }, 120_000);

  afterAll(async () => {
    await desktop?.stop();
    await daemon?.shutdown('test');
    await upstream?.stop();
  });

  const extraNotices = () => sent.filter((n) => n.title === 'Claude is now billing extra usage');

  it('refuse (default): the answer in flight finishes, one notification, then 429 in each format', async () => {
    const r = await chat(daemon.url, 'first', true);
    expect(r.status).toBe(200);
    const body = await r.text();
    expect(body).toContain('the plan');
    expect(body).toContain('[DONE]');
    await waitFor(() => extraNotices().length === 1, 10_000);
    expect(extraNotices()[0].message).toContain("Your plan's 5-hour limit is used up.");
    expect(extraNotices()[0].message).toContain('refuses new requests');
    const upstreamBefore = upstream.messageRequests.length;

    const refused = await chat(daemon.url, 'second');
    expect(refused.status).toBe(429);
    const retry = Number(refused.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(3 * 3600 - 120);
    expect(retry).toBeLessThanOrEqual(3 * 3600);
    const err = (await refused.json()).error;
    expect(err).toMatchObject({ type: 'rate_limit_error', code: 'extra_usage_refused' });
    expect(err.message).toContain(`5-hour limit is used up (resets at ${new Date(reset * 1000).toISOString().replace('.000', '')})`);
    expect(err.message).toContain('Allow extra usage');

    const anth = await post(
      daemon.url,
      '/v1/messages',
      { model: 'claude-sonnet-5-5', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] },
      { 'anthropic-version': '2023-06-01' },
    );
    expect(anth.status).toBe(429);
    expect(await anth.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining('--extra-usage allow') } });
    const resp = await post(daemon.url, '/v1/responses', { model: 'claude-sonnet-5-5', input: 'x' });
    expect(resp.status).toBe(429);
    expect((await resp.json()).error).toMatchObject({ code: 'extra_usage_refused' });
    expect(upstream.messageRequests.length).toBe(upstreamBefore);

    await waitFor(() => daemon.ledger.summary().turnsToday === 1, 5_000);
    const [row] = await daemon.ledger.recentTurns({ limit: 5 });
    expect(row).toMatchObject({ billing: 'extra_usage', status: 'ok', client: 'Node' });
    // The ledger's summary reaches the status store on its next publish (at most every 100 ms).
    await waitFor(() => daemon.status.snapshot().ledger?.lastTurn !== undefined, 5_000);
    const menu = buildMenu(daemon.status.snapshot(), desktop.prefs(), Date.now());
    const item = (id: string) => menu.items.find((i) => i.id === id);
    expect(item('usage-last-billing')?.title).toMatch(/^Last turn billed to: EXTRA USAGE \(Node, /);
    expect(item('usage-extra-today')).toMatchObject({ title: 'Extra-usage turns today: 1', hidden: false });
    expect(item('toggle-extra-usage')).toMatchObject({ title: 'Allow extra usage', checked: false, hidden: false });
  }, 180_000);

  it('the tray toggle allows extra usage (notify, saved); a new window notifies once more', async () => {
    await desktop.act({ type: 'toggle-extra-usage' });
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'settings.json'), 'utf8')).extraUsage).toBe('notify');
    expect(buildMenu(daemon.status.snapshot(), desktop.prefs(), Date.now()).items.find((i) => i.id === 'toggle-extra-usage')?.checked).toBe(true);
    const r = await chat(daemon.url, 'third');
    expect(r.status).toBe(200);
    await sleep(300);
    expect(extraNotices()).toHaveLength(1); // the same window: already told

    reset += 5 * 3600; // the next window runs out too
    const r2 = await chat(daemon.url, 'fourth');
    expect(r2.status).toBe(200);
    await waitFor(() => extraNotices().length === 2, 10_000);
    expect(extraNotices()[1].message).toContain('Requests go on, billed as extra usage.');
    await waitFor(() => daemon.ledger.summary().extraUsageTurnsToday === 3, 5_000);
  }, 180_000);

  it('allow only records', async () => {
    daemon.setExtraUsage('allow');
    reset += 5 * 3600;
    const r = await chat(daemon.url, 'fifth');
    expect(r.status).toBe(200);
    await waitFor(() => daemon.ledger.summary().extraUsageTurnsToday === 4, 5_000);
    await sleep(300);
    expect(extraNotices()).toHaveLength(2);
    expect(daemon.status.snapshot().ledger?.extraUsagePolicy).toBe('allow');
  }, 180_000);
});
