/**
 * The dashboard's settings API against a real daemon and its desktop side (in this
 * process, headless, as `maxproxy --headless` runs it): each change has the effect the
 * tray's own action has (the same code runs), persists in settings.json, and a bad
 * value is refused with the settings' validation before anything changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/defaults.js';
import { resolveConfig } from '../src/config/resolve.js';
import { type Daemon, startDaemon } from '../src/daemon.js';
import { type Desktop, startDesktop } from '../src/desktop/desktop-app.js';
import { CoalescingNotifier, type Notification } from '../src/desktop/notifier.js';
import { silentLogger } from '../src/log/logger.js';
import { MAIN, tempDir, waitFor } from './harness.js';
import { MockUpstream } from './mock-upstream.js';

let upstream: MockUpstream;
let daemon: Daemon;
let desktop: Desktop;
let config: Config;
let dataDir: string;
let userHome: string;
const sent: Notification[] = [];

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  dataDir = tempDir('maxproxy-dash-settings-');
  userHome = path.join(dataDir, 'user-home');
  const home = path.join(dataDir, 'home');
  fs.mkdirSync(home, { recursive: true });
  const resolved = resolveConfig(
    {
      dataDir,
      port: 0,
      headless: true,
      logLevel: 'silent',
      shutdownGraceMs: 2_000,
      claudeEnv: { HOME: home, ANTHROPIC_BASE_URL: upstream.url, ANTHROPIC_API_KEY: 'sk-test' },
    },
    {},
  );
  config = resolved.config;
  const log = silentLogger();
  daemon = await startDaemon(config, resolved.settings, log, '0.0.0-test');
  const notifier = new CoalescingNotifier({ backend: { send: async (n) => void sent.push(n) }, gatherMs: 0, windowMs: 0 });
  desktop = await startDesktop(daemon, config, resolved.settings, log as never, {
    tray: false,
    notifier,
    quit: () => undefined,
    loginItem: { home: userHome, scriptPath: MAIN },
  });
}, 60_000);

afterAll(async () => {
  await desktop?.stop();
  await daemon?.shutdown('test');
  await upstream?.stop();
});

const post = async (body: unknown) => {
  const res = await fetch(`${daemon.url}/dashboard/api/settings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: daemon.url },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as { changed?: string[]; fields?: Array<{ key: string; value: unknown }>; error?: { code: string; message: string } },
  };
};
const onDisk = () => JSON.parse(fs.readFileSync(path.join(dataDir, 'settings.json'), 'utf8'));

describe('dashboard settings through the tray’s actions', () => {
  it('lists the tray’s settings and the ledger’s, each with its schema and value, and nothing security-sensitive', async () => {
    const res = await fetch(`${daemon.url}/dashboard/api/settings`);
    const { fields } = (await res.json()) as { fields: Array<{ key: string; value: unknown; schema: unknown }> };
    expect(fields.map((f) => f.key)).toEqual(['port', 'notifications', 'startAtLogin', 'thresholds', 'extraUsage', 'clientBudgets', 'requireKeys']);
    expect(fields.find((f) => f.key === 'port')?.value).toBe(daemon.port);
    expect(fields.find((f) => f.key === 'extraUsage')).toMatchObject({ value: 'refuse', schema: { enum: ['refuse', 'notify', 'allow'] } });
    const refused = await post({ apiKey: 'sk-from-a-browser-123' });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.message).toBe('`apiKey` cannot be changed from the dashboard');
    for (const key of ['host', 'allowedOrigins', 'allowedHosts', 'claudePath']) expect((await post({ [key]: 'x' })).status).toBe(400);
  });

  it('Notifications off: silenced like the tray toggle, saved', async () => {
    const r = await post({ notifications: false });
    expect(r).toMatchObject({ status: 200, body: { changed: ['notifications'] } });
    expect(desktop.prefs().notifications).toBe(false);
    expect(config.notifications).toBe(false);
    expect(onDisk().notifications).toBe(false);
    expect((await post({ notifications: false })).body.changed).toEqual([]);
    expect((await post({ notifications: true })).body.changed).toEqual(['notifications']);
    expect(desktop.prefs().notifications).toBe(true);
  });

  it('Start at login writes the autostart entry and removes it, as the tray does', async () => {
    const file = path.join(userHome, '.config', 'autostart', 'maxproxy.desktop');
    expect((await post({ startAtLogin: true })).status).toBe(200);
    expect(fs.existsSync(file)).toBe(true);
    expect(desktop.prefs().startAtLogin).toBe(true);
    expect(onDisk().startAtLogin).toBe(true);
    expect((await post({ startAtLogin: false })).status).toBe(200);
    expect(fs.existsSync(file)).toBe(false);
    expect(onDisk().startAtLogin).toBe(false);
  });

  it('extra-usage policy goes through the daemon like the tray’s "Allow extra usage"; budgets are live', async () => {
    expect((await post({ extraUsage: 'allow' })).status).toBe(200);
    expect(config.extraUsage).toBe('allow');
    expect(onDisk().extraUsage).toBe('allow');
    expect(desktop.prefs().extraUsage).toBe('allow');
    expect((await post({ clientBudgets: { OpenClaw: 30, curl: 5 } })).status).toBe(200);
    expect(config.clientBudgets).toEqual({ OpenClaw: 30, curl: 5 });
    expect(onDisk().clientBudgets).toEqual({ OpenClaw: 30, curl: 5 });
    // The ledger keeps its shares for a second (admission asks per request).
    await waitFor(async () => (await daemon.ledger.shares()).clients.find((c) => c.client === 'OpenClaw')?.budgetPercent === 30, 5_000);
  });

  it('checks every value before changing any: one bad value and nothing changes', async () => {
    const before = onDisk();
    const r = await post({ notifications: false, thresholds: { warn: 0.9, critical: 0.5 } });
    expect(r.status).toBe(400);
    expect(r.body.error).toEqual({ code: 'invalid_setting', message: '`thresholds`: warn (0.9) must not be above critical (0.5)' });
    expect(onDisk()).toEqual(before);
    expect(config.notifications).toBe(true);
    for (const [body, message] of [
      [
        { thresholds: { warn: 75, critical: 90 } },
        '`thresholds/warn` must be <= 1; `thresholds/critical` must be <= 1 (thresholds are fractions: 0.75 means 75%)',
      ],
      [{ port: 70000 }, '`port` must be <= 65535'],
      [{ port: 0 }, '`port` must be between 1 and 65535 (0, "any free port", is for the command line)'],
      [{ extraUsage: 'sometimes' }, '`extraUsage` must be equal to one of the allowed values'],
      [{ clientBudgets: { OpenClaw: 150 } }, '`clientBudgets/OpenClaw` must be <= 100'],
    ] as const) {
      const bad = await post(body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error?.message).toBe(message);
    }
    expect(onDisk()).toEqual(before);
  });

  it('a port in use is refused with 409 and the daemon keeps its port, as from the tray', async () => {
    const net = await import('node:net');
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const taken = (holder.address() as import('node:net').AddressInfo).port;
    try {
      const before = daemon.port;
      const r = await post({ port: taken });
      expect(r.status).toBe(409);
      expect(r.body.error?.message).toBe(`port ${taken} could not be used (in use?); kept port ${before}`);
      expect(daemon.port).toBe(before);
      expect((await fetch(`${daemon.url}/health`)).status).toBe(200);
      expect(sent.some((n) => n.title.toLowerCase().includes('port'))).toBe(true);
    } finally {
      holder.close();
    }
  });

  it('the tray’s "Open dashboard" opens the page’s URL with the system opener', async () => {
    // A stand-in xdg-open/open first on PATH records what it was asked to open.
    const bin = path.join(dataDir, 'fake-bin');
    const record = path.join(dataDir, 'opened.txt');
    fs.mkdirSync(bin, { recursive: true });
    for (const name of ['xdg-open', 'open']) fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "$@" >> ${JSON.stringify(record)}\n`, { mode: 0o755 });
    const before = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${before}`;
    try {
      await desktop.act({ type: 'open-dashboard' });
      await waitFor(() => fs.existsSync(record), 10_000);
    } finally {
      process.env.PATH = before;
    }
    const url = fs.readFileSync(record, 'utf8').trim();
    expect(url).toBe(`http://127.0.0.1:${daemon.port}/`);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>maxproxy</title>');
  });

  it('answers a missing page file with 404, not a server error', async () => {
    const res = await fetch(`${daemon.url}/dashboard/assets/nope.js`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no such dashboard file' } });
    expect((await fetch(`${daemon.url}/dashboard/assets/app.js`)).status).toBe(200);
  });

  it('refuses changes that are not JSON or come from another origin', async () => {
    const form = await fetch(`${daemon.url}/dashboard/api/settings`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"notifications":false}',
    });
    expect(form.status).toBe(415);
    const foreign = await fetch(`${daemon.url}/dashboard/api/settings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:5173' },
      body: '{"notifications":false}',
    });
    expect(foreign.status).toBe(403);
    const sameSite = await fetch(`${daemon.url}/dashboard/api/live`, { headers: { 'sec-fetch-site': 'same-site' } });
    expect(sameSite.status).toBe(403);
    expect(config.notifications).toBe(true);
  });
});
