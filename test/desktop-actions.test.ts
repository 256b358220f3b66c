/**
 * The tray's actions against a real daemon (in this process, the real Claude Code CLI
 * pointed at the mock upstream), driven through the same handler a click reaches:
 * port moves, pause/resume, start at login, notifications, quit; and the notices and
 * usage levels that become notifications. No display needed: the tray itself is
 * covered by test/desktop.e2e.test.ts.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/defaults.js';
import { resolveConfig } from '../src/config/resolve.js';
import type { SettingsStore } from '../src/config/settings.js';
import { type Daemon, startDaemon } from '../src/daemon.js';
import { type Desktop, startDesktop } from '../src/desktop/desktop-app.js';
import { buildMenu } from '../src/desktop/menu-model.js';
import { CoalescingNotifier, type Notification } from '../src/desktop/notifier.js';
import { silentLogger } from '../src/log/logger.js';
import { readUntil, slowWords } from './fault-kit.js';
import { MAIN, startProxy, tempDir, waitFor } from './harness.js';
import { MockUpstream, unifiedRateLimitHeaders } from './mock-upstream.js';

interface InProcess {
  daemon: Daemon;
  desktop: Desktop;
  config: Config;
  settings: SettingsStore;
  dataDir: string;
  userHome: string;
  sent: Notification[];
  moved: string[];
  quits: number;
  stop(): Promise<void>;
}

async function startInProcess(upstream: MockUpstream, o: { auth?: 'api-key' | 'oauth' | 'none'; idleTimeoutMs?: number } = {}): Promise<InProcess> {
  const dataDir = tempDir('maxproxy-actions-');
  const home = path.join(dataDir, 'home');
  const userHome = path.join(dataDir, 'user-home');
  fs.mkdirSync(home, { recursive: true });
  const claudeEnv: Record<string, string> = {
    HOME: home,
    DISABLE_TELEMETRY: '1',
    ANTHROPIC_BASE_URL: upstream.url,
    ...(o.auth === 'none' ? {} : o.auth === 'oauth' ? { CLAUDE_CODE_OAUTH_TOKEN: 'test-oauth-token' } : { ANTHROPIC_API_KEY: 'sk-test' }),
  };
  const { config, settings } = resolveConfig(
    { dataDir, port: 0, headless: true, logLevel: 'silent', claudeEnv, shutdownGraceMs: 5_000, ...(o.idleTimeoutMs ? { idleTimeoutMs: o.idleTimeoutMs } : {}) },
    {},
  );
  const log = silentLogger();
  const daemon = await startDaemon(config, settings, log, '0.0.0-test');
  const sent: Notification[] = [];
  const notifier = new CoalescingNotifier({ backend: { send: async (n) => void sent.push(n) }, gatherMs: 0, windowMs: 0 });
  const ctx: InProcess = {
    daemon,
    config,
    settings,
    dataDir,
    userHome,
    sent,
    moved: [],
    quits: 0,
    desktop: undefined as unknown as Desktop,
    stop: async () => {
      await ctx.desktop.stop();
      await daemon.shutdown('test');
    },
  };
  ctx.desktop = await startDesktop(daemon, config, settings, log as never, {
    tray: false,
    notifier,
    quit: () => void ctx.quits++,
    // dist/main.js: running from src/, the default (next to the module) would be src/main.js.
    loginItem: { home: userHome, scriptPath: MAIN },
    onPortMoved: (url) => void ctx.moved.push(url),
  });
  return ctx;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const chat = (url: string, content: string, stream = false) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-5-5', stream, messages: [{ role: 'user', content }] }),
  });

const readSettings = (dataDir: string) => JSON.parse(fs.readFileSync(path.join(dataDir, 'settings.json'), 'utf8'));

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await new MockUpstream().start();
});
afterAll(async () => {
  await upstream?.stop();
});
beforeEach(() => upstream.reset());

describe('tray actions on a running daemon', () => {
  let p: InProcess;
  beforeAll(async () => {
    p = await startInProcess(upstream, { idleTimeoutMs: 2_000 });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('choosing a port moves the listener: the in-flight stream finishes, new requests use the new port, the port is saved', async () => {
    const oldUrl = p.daemon.url;
    const pieces = Array.from({ length: 15 }, (_, i) => `p${i} `);
    upstream.enqueue({ blocks: [{ type: 'text', text: pieces }], delayMs: 100 });
    const res = await chat(oldUrl, 'long answer', true);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    let body = new TextDecoder().decode(first.value);

    const port = await freePort();
    await p.desktop.act({ type: 'set-port', port });

    expect(p.daemon.port).toBe(port);
    expect(p.daemon.url).toBe(`http://127.0.0.1:${port}`);
    expect(p.moved).toEqual([p.daemon.url]);
    expect((await fetch(`${p.daemon.url}/health`)).status).toBe(200);
    await expect(fetch(`${oldUrl}/health`)).rejects.toThrow();
    expect(readSettings(p.dataDir).port).toBe(port);
    expect(p.desktop.prefs().port).toBe(port);
    await waitFor(() => p.daemon.status.snapshot().server.port === port, 2_000);

    // The stream that started on the old port runs to its end.
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      body += new TextDecoder().decode(value);
    }
    const text = body
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? '')
      .join('');
    expect(text).toBe(pieces.join(''));
    expect(body).toContain('data: [DONE]');

    // And the new port answers a completion.
    const r = await chat(p.daemon.url, 'on the new port');
    expect(r.status).toBe(200);
    expect((await r.json()).choices[0].message.content).toBe('echo: on the new port');
  });

  it('a port in use is refused with a notification, and the old port is kept', async () => {
    const before = p.daemon.port;
    const saved = readSettings(p.dataDir).port;
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      p.sent.length = 0;
      await p.desktop.act({ type: 'set-port', port: busy });
      expect(p.daemon.port).toBe(before);
      expect((await fetch(`${p.daemon.url}/health`)).status).toBe(200);
      expect(readSettings(p.dataDir).port).toBe(saved);
      await waitFor(() => p.sent.length > 0, 2_000);
      expect(p.sent).toEqual([{ title: `Port ${busy} is not available`, message: `Another program is using it. Still listening on port ${before}.` }]);
    } finally {
      blocker.close();
    }
  });

  it('Pause refuses new requests with 503 until Resume', async () => {
    await p.desktop.act({ type: 'pause' });
    const r = await chat(p.daemon.url, 'while paused');
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBeTruthy();
    expect(JSON.stringify(await r.json())).toMatch(/paused/);
    await waitFor(() => p.daemon.status.snapshot().server.state === 'paused', 2_000);
    const menu = buildMenu(p.daemon.status.snapshot(), p.desktop.prefs(), Date.now());
    expect(menu.items.find((i) => i.id === 'resume')).toBeDefined();
    expect(menu.items.find((i) => i.id === 'status')!.title).toMatch(/^Paused on 127\.0\.0\.1:\d+/);
    expect(upstream.messageRequests).toHaveLength(0);

    await p.desktop.act({ type: 'resume' });
    const ok = await chat(p.daemon.url, 'after resume');
    expect(ok.status).toBe(200);
    await waitFor(() => p.daemon.status.snapshot().server.state === 'running', 2_000);
  });

  it('Start at login writes the autostart entry and removes it again; the checkmark follows the file', async () => {
    const file = path.join(p.userHome, '.config', 'autostart', 'maxproxy.desktop');
    expect(p.desktop.prefs().startAtLogin).toBe(false);
    await p.desktop.act({ type: 'toggle-login' });
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toContain(`--data-dir ${p.dataDir}`);
    expect(p.desktop.prefs().startAtLogin).toBe(true);
    expect(readSettings(p.dataDir).startAtLogin).toBe(true);
    const item = buildMenu(p.daemon.status.snapshot(), p.desktop.prefs(), Date.now()).items.find((i) => i.id === 'toggle-login');
    expect(item?.checked).toBe(true);

    await p.desktop.act({ type: 'toggle-login' });
    expect(fs.existsSync(file)).toBe(false);
    expect(p.desktop.prefs().startAtLogin).toBe(false);
    expect(readSettings(p.dataDir).startAtLogin).toBe(false);
  });

  it('Notifications off silences them and is saved; on again brings them back', async () => {
    await p.desktop.act({ type: 'toggle-notifications' });
    expect(p.desktop.prefs().notifications).toBe(false);
    expect(readSettings(p.dataDir).notifications).toBe(false);
    p.sent.length = 0;
    p.daemon.status.notify({ kind: 'timeout', client: 'silenced', afterMs: 5_000 });
    await p.desktop.act({ type: 'toggle-notifications' });
    expect(readSettings(p.dataDir).notifications).toBe(true);
    p.daemon.status.notify({ kind: 'timeout', client: 'heard', afterMs: 5_000 });
    // Notifications go out in order: once the second is out, the first can no longer come.
    await waitFor(() => p.sent.length > 0, 5_000);
    expect(p.sent).toHaveLength(1);
    expect(p.sent[0].message).toMatch(/^heard: /);
  });

  it('Quit hands over to the quit hook (main.ts drains, then exits)', async () => {
    await p.desktop.act({ type: 'quit' });
    expect(p.quits).toBe(1);
  });

  it('a request stalled upstream is stopped by the watchdog and notified with its client', async () => {
    p.sent.length = 0;
    const post = (messages: unknown[]) =>
      fetch(`${p.daemon.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'OpenClaw/2026.9' },
        body: JSON.stringify({ model: 'claude-sonnet-5-5', stream: false, messages }),
      });
    // A first turn starts the process, so the 2 s watchdog below times the stalled upstream, not a busy machine's CLI.
    const first = (await (await post([{ role: 'user', content: 'hello' }])).json()) as { choices: Array<{ message: { content: string } }> };
    upstream.enqueue({ kind: 'stall' });
    const r = await fetch(`${p.daemon.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'OpenClaw/2026.9' },
      body: JSON.stringify({
        model: 'claude-sonnet-5-5',
        stream: true,
        messages: [
          { role: 'user', content: 'hello' },
          { role: 'assistant', content: first.choices[0].message.content },
          { role: 'user', content: 'stall please' },
        ],
      }),
    });
    // The mock sent message_start before going silent, so the stream had begun: the error ends it.
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/no output for 2 s/);
    await waitFor(() => p.sent.length > 0, 5_000);
    expect(p.sent[0].title).toBe('A request timed out');
    expect(p.sent[0].message).toMatch(/^OpenClaw \(session [0-9a-f-]{8}\): stopped after \d+ s without output from Claude Code\.$/);
  });

  it('a Claude Code process that dies while answering is notified with its client, session and pid', async () => {
    p.sent.length = 0;
    upstream.enqueue(slowWords(40, 100));
    const r = await fetch(`${p.daemon.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'opencode/1.18.0' },
      body: JSON.stringify({ model: 'claude-sonnet-5-5', stream: true, messages: [{ role: 'user', content: 'crash while answering' }] }),
    });
    const part = await readUntil(r, (t) => t.includes('w1 '));
    const busy = p.daemon.status.snapshot().sessions.find((s) => s.state === 'busy' && s.client === 'opencode');
    expect(busy?.pid).toBeGreaterThan(0);
    process.kill(busy!.pid!, 'SIGKILL');
    await part.rest();
    await waitFor(() => p.sent.length > 0, 10_000);
    expect(p.sent[0].title).toBe('Claude Code crashed');
    expect(p.sent[0].message).toMatch(
      new RegExp(
        `^opencode \\(session ${busy!.id.slice(0, 8)}\\): Claude Code \\(pid ${busy!.pid}\\) was killed by SIGKILL\\.( .+)? The next request starts a new process\\.$`,
      ),
    );
  });
});

describe('usage limits reported by Claude Code (subscription-style login)', () => {
  let p: InProcess;
  beforeAll(async () => {
    p = await startInProcess(upstream, { auth: 'oauth' });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('a 90% five-hour window warns once, turns the icon to warning and shows in the usage line', async () => {
    const reset = Math.floor(Date.now() / 1000) + 2 * 3600 + 600;
    const headers = unifiedRateLimitHeaders({ utilization5h: 0.9, reset5h: reset });
    upstream.setResponder(() => ({ blocks: [{ type: 'text', text: 'ok' }], headers }));
    const r = await chat(p.daemon.url, 'how much is left?');
    expect(r.status).toBe(200);
    await waitFor(() => p.sent.some((n) => n.title.startsWith('Claude 5-hour usage')), 5_000);
    expect(p.sent.filter((n) => n.title.startsWith('Claude 5-hour usage'))).toEqual([
      { title: 'Claude 5-hour usage at 90%', message: `You have used 90% of your 5-hour limit. Resets ${new Date(reset * 1000).toLocaleString()}.` },
    ]);
    const snap = p.daemon.status.snapshot();
    expect(snap.usage.fiveHour).toMatchObject({ utilization: 0.9, resetsAt: reset });
    const menu = buildMenu(snap, p.desktop.prefs(), Date.now());
    expect(menu.icon).toBe('warning');
    expect(menu.title).toBe('90%');
    expect(menu.items.find((i) => i.id === 'usage-5h')).toMatchObject({ title: '5-hour limit: 90% used · resets in 2h 9m', hidden: false });
    expect(menu.items.find((i) => i.id === 'warning:usage-5h')?.title).toBe('⚠ 5-hour limit at 90%, nearly used up — resets in 2h 9m');

    // The same window at the same level does not notify again.
    const n = p.sent.length;
    await chat(p.daemon.url, 'and now?');
    // A marker sent after the turn: notifications go out in order, so a repeat would arrive first.
    p.daemon.status.notify({ kind: 'timeout', client: 'marker', afterMs: 1_000 });
    await waitFor(() => p.sent.length > n, 5_000);
    expect(p.sent.slice(n).map((s) => s.message)).toEqual([expect.stringMatching(/^marker: /)]);
  });
});

describe('Claude Code not logged in', () => {
  let p: InProcess;
  beforeAll(async () => {
    p = await startInProcess(upstream, { auth: 'none' });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('notifies once with what to run, and the menu shows the error', async () => {
    for (const content of ['first', 'second']) {
      const r = await chat(p.daemon.url, content);
      expect(r.status).toBe(401);
    }
    await waitFor(() => p.sent.length > 0, 5_000);
    // A marker after both answers: notifications go out in order, so a second login notice would come before it.
    p.daemon.status.notify({ kind: 'timeout', client: 'marker', afterMs: 1_000 });
    await waitFor(() => p.sent.length > 1, 5_000);
    expect(p.sent).toEqual([
      { title: 'Claude Code is not logged in', message: 'Run `maxproxy login` (or `claude auth login`) in a terminal, then retry.' },
      { title: 'A request timed out', message: expect.stringMatching(/^marker: /) },
    ]);
    const menu = buildMenu(p.daemon.status.snapshot(), p.desktop.prefs(), Date.now());
    expect(menu.icon).toBe('error');
    expect(menu.items.find((i) => i.id === 'claude')?.title).toMatch(/· NOT logged in$/);
  });
});

describe('Quit drains in-flight requests, then exits', () => {
  it('SIGTERM (what Quit sends) lets a running stream finish and exits 0', async () => {
    const proxy = await startProxy({ upstream });
    // main.ts installs its signal handlers once the desktop side is up.
    await waitFor(() => proxy.output().includes('desktop ready'), 5_000);
    const pieces = Array.from({ length: 12 }, (_, i) => `q${i} `);
    upstream.enqueue({ blocks: [{ type: 'text', text: pieces }], delayMs: 120 });
    const res = await chat(proxy.url, 'drain me', true);
    const reader = res.body!.getReader();
    let body = new TextDecoder().decode((await reader.read()).value);
    const exited = proxy.stop('SIGTERM');
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      body += new TextDecoder().decode(value);
    }
    expect(body).toContain('data: [DONE]');
    for (const piece of pieces) expect(body).toContain(piece.trim());
    expect(await exited).toBe(0);
    expect(proxy.output()).toMatch(/shutting down/);
  });
});
