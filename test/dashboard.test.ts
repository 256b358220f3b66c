/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against
 * the real daemon, the real Claude Code CLI and the mock upstream: live state matches
 * /status, a request shows up in sessions and recent turns within 2 s, the charts draw
 * what the usage ledger holds (turns of past days written through the ledger's own
 * writer plus turns made here), settings change and persist, and screenshots for the
 * README. The API-key login and a second origin are in dashboard-security.test.ts.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../src/usage/ledger.js';
import { HOUR, launch, openPage, ready, seedLedger, shotPath, turn, type WatchedPage } from './dashboard/browser.js';
import { MockUpstream, type RunningProxy, startProxy, tempDir, waitFor } from './harness.js';
import { unifiedRateLimitHeaders } from './mock-upstream.js';

const NOW = Date.now();
const S = (ms: number) => Math.floor(ms / 1000);
/** A 5-hour window that reset 20 hours ago, and the current one (resets in 2 hours). */
const OLD_RESET = S(NOW - 20 * HOUR);
const CUR_RESET = S(NOW + 2 * HOUR);
const WEEK_RESET = S(NOW + 3 * 24 * HOUR);
const OLD_WEEK_RESET = S(NOW - 4 * 24 * HOUR);

const SEED = [
  turn({
    endedAt: NOW - 5 * 24 * HOUR,
    client: 'opencode',
    input: 900,
    output: 300,
    fiveHour: { utilization: 0.3, resetsAt: S(NOW - 5 * 24 * HOUR + 3 * HOUR) },
    weekly: { utilization: 0.8, resetsAt: OLD_WEEK_RESET },
  }),
  turn({
    endedAt: NOW - 24 * HOUR,
    client: 'opencode',
    input: 1200,
    output: 400,
    fiveHour: { utilization: 0.2, resetsAt: OLD_RESET },
    weekly: { utilization: 0.2, resetsAt: WEEK_RESET },
  }),
  turn({
    endedAt: NOW - 22 * HOUR,
    client: 'OpenClaw',
    input: 2500,
    output: 700,
    fiveHour: { utilization: 0.55, resetsAt: OLD_RESET },
    weekly: { utilization: 0.26, resetsAt: WEEK_RESET },
  }),
  turn({
    endedAt: NOW - 21 * HOUR,
    client: 'OpenClaw',
    input: 1800,
    output: 600,
    billing: 'extra_usage',
    fiveHour: { utilization: 1, resetsAt: OLD_RESET },
    weekly: { utilization: 0.3, resetsAt: WEEK_RESET },
  }),
  turn({
    endedAt: NOW - 2.5 * HOUR,
    client: 'OpenClaw',
    input: 3000,
    output: 900,
    fiveHour: { utilization: 0.1, resetsAt: CUR_RESET },
    weekly: { utilization: 0.35, resetsAt: WEEK_RESET },
  }),
  turn({
    endedAt: NOW - 2 * HOUR,
    client: 'opencode',
    input: 1500,
    output: 500,
    fiveHour: { utilization: 0.25, resetsAt: CUR_RESET },
    weekly: { utilization: 0.38, resetsAt: WEEK_RESET },
  }),
  turn({
    endedAt: NOW - 1.5 * HOUR,
    client: 'OpenClaw',
    input: 2200,
    output: 800,
    fiveHour: { utilization: 0.4, resetsAt: CUR_RESET },
    weekly: { utilization: 0.42, resetsAt: WEEK_RESET },
  }),
];

let upstream: MockUpstream;
let proxy: RunningProxy;
let browser: Browser;
let base: string;
let w: WatchedPage;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

/** The ledger as the daemon wrote it, read from its files (a read-only ledger sees the rows there when it opens). */
async function fromLedger<T>(q: (l: Ledger) => Promise<T>): Promise<T> {
  const l = new Ledger({ dataDir: proxy.dataDir, retentionDays: 90, readOnly: true });
  try {
    return await q(l);
  } finally {
    await l.close();
  }
}

const status = async () =>
  (await (await fetch(`${base}/status`)).json()) as {
    sessions: Array<{ id: string; turns: number; inputTokens: number; outputTokens: number; client: string }>;
    requests: { active: number; queued: number };
    claude: { version: string; login: string };
  };

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  // Every answer reports the current 5-hour window at 90% (a warning) and the week at 45%.
  upstream.setResponder(() => ({
    blocks: [{ type: 'text', text: 'Hello from the mock' }],
    usage: { input_tokens: 120, output_tokens: 30 },
    headers: unifiedRateLimitHeaders({ utilization5h: 0.9, reset5h: CUR_RESET, utilization7d: 0.45, reset7d: WEEK_RESET }),
  }));
  const dataDir = tempDir('maxproxy-dashboard-');
  await seedLedger(dataDir, NOW - 6 * 24 * HOUR, SEED);
  proxy = await startProxy({ upstream, dataDir, auth: 'oauth', args: ['--idle-timeout-ms', '120000'] });
  base = proxy.url;
  browser = await launch();
  w = await openPage(browser);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.stop();
  await upstream?.stop();
});

describe('dashboard in Chromium', () => {
  it('loads without console errors and shows what /status and /health say', async () => {
    await w.page.goto(`${base}/`);
    await ready(w.page);
    const s = await status();
    const health = (await (await fetch(`${base}/health`)).json()) as { warmSpares: number };
    const text = (id: string) => w.page.textContent(`#${id}`);
    expect(await text('state-pill')).toBe('Running');
    expect(await text('live-claude')).toBe(s.claude.version);
    expect(await text('live-login')).toBe(
      s.claude.login === 'logged_in' ? 'logged in' : s.claude.login === 'not_logged_in' ? 'NOT logged in' : 'login not checked yet',
    );
    expect(await text('live-requests')).toBe(`${s.requests.active} in flight`);
    expect(await text('live-queued')).toMatch(new RegExp(`^${s.requests.queued} queued`));
    expect(await text('live-spares')).toBe(String(health.warmSpares));
    expect(await w.page.locator('#sessions tbody tr').count()).toBe(s.sessions.length);
    expect(w.errors).toEqual([]);
  });

  it('a request made now shows up in the sessions and in the recent turns within 2 s, with /status numbers', async () => {
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 120_000 });
    const requestId = `dash-${Date.now()}`;
    const r = await client.chat.completions.create(
      { model: 'sonnet', messages: [{ role: 'user', content: 'Hello' }] },
      { headers: { 'x-request-id': requestId } },
    );
    expect(r.choices[0].message.content).toBe('Hello from the mock');
    const answeredAt = Date.now();
    await w.page.waitForSelector(`#turns tr[data-request="${requestId}"]`, { timeout: 2_000 });
    console.info(`dashboard: the request's recent-turns row showed ${Date.now() - answeredAt} ms after its answer`);
    const s = await status();
    const mine = s.sessions.find((x) => x.client === 'OpenAI SDK');
    expect(mine).toBeDefined();
    const row = w.page.locator(`#sessions tr[data-session="${mine!.id}"]`);
    await row.waitFor({ timeout: Math.max(1, 2_000 - (Date.now() - answeredAt)) });
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toBe('OpenAI SDK');
    expect(cells[2]).toBe(String(mine!.turns));
    // The recent-turns row is the ledger's record of this very request.
    await waitFor(async () => (await fromLedger((l) => l.recentTurns({ limit: 50 }))).some((t) => t.requestId === requestId), 5_000);
    const rec = (await fromLedger((l) => l.recentTurns({ limit: 50 }))).find((t) => t.requestId === requestId)!;
    const turnCells = await w.page.locator(`#turns tr[data-request="${requestId}"] td`).allTextContents();
    expect(turnCells[1]).toBe('OpenAI SDK');
    expect(turnCells[3]).toBe('ok');
    expect(turnCells[7]).toBe(rec.billing === 'plan' ? 'plan' : rec.billing);
    expect(rec.billing).toBe('plan');
    // The windows Claude Code reported after the turn, as /status has them.
    const usage = ((await (await fetch(`${base}/status`)).json()) as { usage: { fiveHour: { utilization: number }; weekly: { utilization: number } } }).usage;
    expect(usage.fiveHour.utilization).toBe(0.9);
    await w.page.waitForFunction(
      (want) => document.getElementById('live-5h')?.textContent === want[0] && document.getElementById('live-weekly')?.textContent === want[1],
      [`${Math.round(usage.fiveHour.utilization * 100)}% used`, `${Math.round(usage.weekly.utilization * 100)}% used`],
      { timeout: 2_000 },
    );
    expect(w.errors).toEqual([]);
  }, 180_000);

  it('draws the usage charts from the ledger: windows with resets and extra usage, tokens per client per hour and day', async () => {
    // A turn from a second client, so the stacks hold the test's own turns as well as the seeded days.
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'openclaw/2026.11' },
      body: JSON.stringify({ model: 'sonnet', messages: [{ role: 'user', content: 'Hi from OpenClaw' }] }),
    });
    expect(res.status).toBe(200);
    await waitFor(async () => (await fromLedger((l) => l.recentTurns({ limit: 50, client: 'OpenClaw' }))).some((t) => !t.requestId.startsWith('seed-')), 5_000);
    await w.page.waitForFunction(
      () => (window as any).maxproxyDashboard.state.turns?.turns.some((t: any) => t.client === 'OpenClaw' && !t.requestId.startsWith('seed-')),
      null,
      { timeout: 5_000 },
    );
    await w.page.waitForFunction(() => (window as any).maxproxyDashboard.charts.hourly?.stacked.clients.includes('OpenAI SDK'), null, { timeout: 5_000 });

    const drawn = await w.page.evaluate(() => {
      const { charts, state } = (window as any).maxproxyDashboard;
      const pick = (u: any) => ({ data: u.data.map((col: any) => Array.from(col)), labels: u.series.map((s: any) => s.label), stacked: u.stacked });
      return {
        now: state.usage.now,
        days: state.usage.days,
        windows: pick(charts.windows),
        hourly: pick(charts.hourly),
        daily: pick(charts.daily),
        resets: state.usage.windows,
      };
    });

    // Utilisation: every reading in the ledger over the page's range, as drawn (percent).
    const since = drawn.now - drawn.days * 24 * HOUR;
    const readings = (await fromLedger((l) => l.windows({ sinceMs: since }))).filter((p) => p.t <= drawn.now).sort((a, b) => a.t - b.t);
    const [t, fiveHour, weekly, extra] = drawn.windows.data;
    expect(drawn.windows.labels.slice(1)).toEqual(['5-hour', 'weekly', 'extra usage']);
    expect(t).toEqual(readings.map((p) => S(p.t)));
    expect(fiveHour).toEqual(readings.map((p) => (p.fiveHour === undefined ? null : Math.round(p.fiveHour * 1000) / 10)));
    expect(weekly).toEqual(readings.map((p) => (p.weekly === undefined ? null : Math.round(p.weekly * 1000) / 10)));
    // The seeded turns are there with their values; the extra-usage one is marked (at its 100%).
    const at = (ms: number) => t.indexOf(S(ms));
    expect(fiveHour[at(NOW - 22 * HOUR)]).toBe(55);
    expect(weekly[at(NOW - 1.5 * HOUR)]).toBe(42);
    expect(extra.filter((v: number | null) => v !== null)).toEqual([100]);
    expect(extra[at(NOW - 21 * HOUR)]).toBe(100);
    // This test's turns reported 90% of the current window.
    expect(fiveHour.at(-1)).toBe(90);
    // Reset markers: the 5-hour window that reset 20 h ago and the week that reset 4 days ago.
    expect(drawn.resets.fiveHourResets).toContain(OLD_RESET);
    expect(drawn.resets.weeklyResets).toEqual([OLD_WEEK_RESET]);

    // Tokens per client: the stacks hold each client's input+output tokens per bucket, as the ledger has them.
    for (const [chart, bucket, sinceMs] of [
      [drawn.hourly, 'hour', drawn.now - 48 * HOUR],
      [drawn.daily, 'day', since],
    ] as const) {
      const points = await fromLedger((l) => l.series({ sinceMs, bucket }));
      const perClient = new Map<string, number>();
      for (const p of points) perClient.set(p.client, (perClient.get(p.client) ?? 0) + p.inputTokens + p.outputTokens);
      const { clients, tokens } = chart.stacked as { clients: string[]; tokens: number[][] };
      expect(new Set(clients)).toEqual(new Set(perClient.keys()));
      for (const [i, c] of clients.entries())
        expect(
          tokens[i].reduce((a, b) => a + b, 0),
          `${bucket} ${c}`,
        ).toBe(perClient.get(c));
      // Drawn series: top of the stack first (running sums), so series 1 is every client together.
      const n = clients.length;
      const top = chart.data[1] as number[];
      const bottom = chart.data[n] as number[];
      expect(top).toEqual(tokens[0].map((_, j) => tokens.reduce((a, row) => a + row[j], 0)));
      expect(bottom).toEqual(tokens[0]);
      expect(chart.labels[n]).toBe(clients[0]);
    }
    const hourly = drawn.hourly.stacked as { clients: string[]; tokens: number[][]; extraUsageTurns: number[] };
    expect(hourly.clients).toEqual(expect.arrayContaining(['OpenAI SDK', 'OpenClaw', 'opencode']));
    // The extra-usage turn 21 h ago is marked in its hour.
    expect(hourly.extraUsageTurns.reduce((a, b) => a + b, 0)).toBe(1);
    expect(w.errors).toEqual([]);
  }, 180_000);

  it('filters the recent turns by client and status', async () => {
    await w.page.selectOption('#filter-client', 'opencode');
    await w.page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#turns tbody tr')];
      return rows.length > 0 && rows.every((r) => r.children[1].textContent === 'opencode');
    });
    expect(await w.page.locator('#turns tbody tr').count()).toBe(SEED.filter((s) => s.client === 'opencode').length);
    await w.page.selectOption('#filter-client', '');
    await w.page.selectOption('#filter-status', 'error');
    await w.page.waitForFunction(() => !document.querySelector('#turns tbody tr') && !(document.getElementById('turns-empty') as HTMLElement).hidden);
    await w.page.selectOption('#filter-status', '');
    await w.page.waitForFunction(() => document.querySelectorAll('#turns tbody tr').length >= 9);
  });

  it('shows each client’s share of the current windows', async () => {
    const shares = await w.page.locator('#shares tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-client')));
    expect(shares).toEqual(expect.arrayContaining(['OpenClaw', 'opencode']));
    const label = await w.page.textContent('#shares tr[data-client="OpenClaw"] .share-label');
    expect(label).toMatch(/^\d+\.\d% · no budget$/);
  });

  it('takes screenshots at desktop and phone width, light and dark', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      for (const [name, width, height] of [
        ['desktop', 1280, 800],
        ['phone', 390, 844],
      ] as const) {
        const p = await openPage(browser, { width, height, colorScheme: scheme });
        await p.page.goto(`${base}/`);
        await ready(p.page);
        if (name === 'desktop') await p.page.screenshot({ path: shotPath(`dashboard-${name}-${scheme}.png`), fullPage: true });
        else {
          // A phone shows a screen at a time: the live state, then the usage charts.
          await p.page.screenshot({ path: shotPath(`dashboard-${name}-${scheme}.png`) });
          await p.page.evaluate(() => document.getElementById('chart-windows')?.closest('section')?.scrollIntoView());
          await p.page.screenshot({ path: shotPath(`dashboard-${name}-usage-${scheme}.png`) });
        }
        // Nothing wider than the window (a phone must not scroll sideways).
        const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${name} ${scheme}`).toBeLessThanOrEqual(0);
        expect(p.errors).toEqual([]);
        await p.context.close();
      }
    }
  }, 180_000);

  it('ends a live session with its End button', async () => {
    const s = await status();
    const mine = s.sessions.find((x) => x.client === 'OpenAI SDK')!;
    await w.page.click(`#sessions tr[data-session="${mine.id}"] button.end-session`);
    await waitFor(async () => !(await status()).sessions.some((x) => x.id === mine.id), 15_000);
    await w.page.waitForSelector(`#sessions tr[data-session="${mine.id}"]`, { state: 'detached', timeout: 5_000 });
  });
});

describe('settings from the page', () => {
  const settingsFile = () => JSON.parse(fs.readFileSync(path.join(proxy.dataDir, 'settings.json'), 'utf8'));
  const save = async (key: string) => {
    await w.page.click(`[data-setting="${key}"] button[data-save="${key}"]`);
    await w.page.waitForFunction((k) => /Saved|Unchanged|must|not|could/.test(document.querySelector(`[data-setting="${k}"] .msg`)?.textContent ?? ''), key);
    return w.page.textContent(`[data-setting="${key}"] .msg`);
  };

  it('refuses an invalid threshold with the settings validation and changes nothing', async () => {
    await w.page.fill('[data-setting="thresholds"] input[name="thresholds.warn"]', '95');
    const errorsBefore = w.errors.length;
    expect(await save('thresholds')).toBe('`thresholds`: warn (0.95) must not be above critical (0.9)');
    // The only console line is the browser reporting the 400 it got.
    expect(w.errors.slice(errorsBefore)).toEqual(['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    expect(fs.existsSync(path.join(proxy.dataDir, 'settings.json')) ? settingsFile().thresholds : undefined).toBeUndefined();
  });

  it('changes the warning thresholds: persisted, and the page warns by them', async () => {
    await w.page.fill('[data-setting="thresholds"] input[name="thresholds.warn"]', '60');
    await w.page.fill('[data-setting="thresholds"] input[name="thresholds.critical"]', '95');
    expect(await save('thresholds')).toBe('Saved.');
    expect(settingsFile().thresholds).toEqual({ warn: 0.6, critical: 0.95 });
    // 90% is now above "warn" but below "critical": the live card says warn, not error.
    await w.page.waitForFunction(() => document.getElementById('live-5h')?.className === 'big warn');
  });

  it('sets a client budget: persisted, shown against the share, and enforced (that client gets 429, the others go on)', async () => {
    await w.page.click('[data-setting="clientBudgets"] button:has-text("Add client")');
    await w.page.fill('[data-setting="clientBudgets"] .map-row input[type="text"]', 'OpenClaw');
    await w.page.fill('[data-setting="clientBudgets"] .map-row input[type="number"]', '1');
    expect(await save('clientBudgets')).toBe('Saved.');
    expect(settingsFile().clientBudgets).toEqual({ OpenClaw: 1 });
    // OpenClaw's share of the current window (seeded rises and its own turn) is far above 1%.
    await w.page.waitForFunction(
      () => /of 1% budget — over/.test(document.querySelector('#shares tr[data-client="OpenClaw"] .share-label')?.textContent ?? ''),
      null,
      {
        timeout: 10_000,
      },
    );
    const ask = (ua: string) =>
      fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': ua },
        body: JSON.stringify({ model: 'sonnet', messages: [{ role: 'user', content: 'Again' }] }),
      });
    const refused = await ask('openclaw/2026.11');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/budget/i);
    const other = await ask('opencode/1.0');
    expect(other.status).toBe(200);
  }, 180_000);

  // Failed 2 runs in 7 on a loaded 2-core machine with a cause not yet found (noted on issue 9/11): retried, not skipped.
  it('moves the daemon to another port: the page follows, the old port is closed, the port persists', async () => {
    const port = await freePort();
    const errorsBefore = w.errors.length;
    await w.page.fill('[data-setting="port"] input', String(port));
    await Promise.all([w.page.waitForURL(`http://127.0.0.1:${port}/`, { timeout: 30_000 }), w.page.click('[data-setting="port"] button[data-save="port"]')]);
    await ready(w.page);
    const old = base;
    base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    await expect(fetch(`${old}/health`)).rejects.toThrow();
    expect(settingsFile().port).toBe(port);
    expect(await w.page.inputValue('[data-setting="port"] input')).toBe(String(port));
    // The event stream to the old port ends as the page leaves it: nothing else may fail.
    expect(w.errors.slice(errorsBefore).filter((e) => !/ERR_CONNECTION_REFUSED|net::/.test(e))).toEqual([]);
  });
});
