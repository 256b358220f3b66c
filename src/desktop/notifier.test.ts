import { describe, expect, it } from 'vitest';
import type { Logger } from './logger.js';
import { type Clock, CoalescingNotifier, createNodeNotifierBackend, failureHint, type Notification, type NotificationBackend } from './notifier.js';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements Clock {
  t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private seq = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

class FakeBackend implements NotificationBackend {
  sent: Array<Notification & { at: number }> = [];
  fail: unknown = null;
  constructor(private clock: FakeClock) {}
  async send(n: Notification): Promise<void> {
    this.sent.push({ ...n, at: this.clock.now() });
    if (this.fail) throw this.fail;
  }
}

function recorder(): Logger & { lines: Array<[string, object, string | undefined]> } {
  const lines: Array<[string, object, string | undefined]> = [];
  const rec = (level: string) => (obj: object, msg?: string) => void lines.push([level, obj, msg]);
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

function setup(opts: { enabled?: boolean } = {}) {
  const clock = new FakeClock();
  const backend = new FakeBackend(clock);
  const log = recorder();
  const n = new CoalescingNotifier({ backend, clock, logger: log, windowMs: 60_000, gatherMs: 2_000, ...opts });
  return { clock, backend, log, n };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('CoalescingNotifier', () => {
  it('a single notification goes out after the gather delay, unchanged', () => {
    const { clock, backend, n } = setup();
    n.notify('not-logged-in', 'Claude Code is not logged in', 'Run `claude`, then /login');
    expect(backend.sent).toEqual([]);
    clock.advance(2_000);
    expect(backend.sent).toEqual([{ title: 'Claude Code is not logged in', message: 'Run `claude`, then /login', at: 2_000 }]);
  });

  it('a burst of timeouts becomes one "3 requests timed out"', () => {
    const { clock, backend, n } = setup();
    n.notify('request-timeout', 'Request timed out', 'opencode: no output for 300 s');
    clock.advance(500);
    n.notify('request-timeout', 'Request timed out', 'OpenClaw: no output for 300 s');
    clock.advance(500);
    n.notify('request-timeout', 'Request timed out', 'Codex: no output for 300 s');
    clock.advance(1_000);
    expect(backend.sent).toEqual([{ title: 'Requests timed out', message: '3 requests timed out', at: 2_000 }]);
  });

  it('suppresses the same kind for the rest of the window, then sums it up', () => {
    const { clock, backend, n } = setup();
    n.notify('request-timeout', 'Request timed out', 'a');
    clock.advance(2_000); // shown at 2 s, window until 62 s
    n.notify('request-timeout', 'Request timed out', 'b');
    clock.advance(10_000);
    n.notify('request-timeout', 'Request timed out', 'c');
    clock.advance(40_000);
    expect(backend.sent.map((s) => s.message)).toEqual(['a']);
    clock.advance(10_000); // 62 s: window ends
    expect(backend.sent.map((s) => [s.message, s.at])).toEqual([
      ['a', 2_000],
      ['2 requests timed out', 62_000],
    ]);
    // That opened a new window; a quiet one closes without a notification.
    clock.advance(60_000);
    expect(backend.sent).toHaveLength(2);
    expect(clock.pending).toBe(0);
    // After a quiet window, the next one is shown promptly again.
    n.notify('request-timeout', 'Request timed out', 'd');
    clock.advance(2_000);
    expect(backend.sent.at(-1)).toEqual({ title: 'Request timed out', message: 'd', at: 124_000 });
  });

  it('one in the window after a shown one is shown alone at the window end', () => {
    const { clock, backend, n } = setup();
    n.notify('usage-warning', '5-hour limit at 75%', 'resets in 2h');
    clock.advance(2_000);
    n.notify('usage-warning', '5-hour limit at 90%', 'resets in 1h');
    clock.advance(60_000);
    expect(backend.sent.map((s) => s.title)).toEqual(['5-hour limit at 75%', '5-hour limit at 90%']);
  });

  it('other kinds merge with the latest message and a count', () => {
    const { clock, backend, n } = setup();
    n.notify('usage-warning', '5-hour limit at 75%', 'resets in 2h');
    n.notify('usage-warning', '5-hour limit at 80%', 'resets in 2h');
    clock.advance(2_000);
    expect(backend.sent).toEqual([{ title: '5-hour limit at 80%', message: 'resets in 2h (2 times)', at: 2_000 }]);
  });

  it('kinds are independent', () => {
    const { clock, backend, n } = setup();
    n.notify('request-timeout', 'Request timed out', 'a');
    n.notify('not-logged-in', 'Not logged in', 'run claude');
    n.notify('request-timeout', 'Request timed out', 'b');
    clock.advance(2_000);
    expect(backend.sent.map((s) => s.title).sort()).toEqual(['Not logged in', 'Requests timed out']);
  });

  it('can be turned off and on; off drops what was waiting', () => {
    const { clock, backend, n, log } = setup({ enabled: false });
    expect(n.enabled).toBe(false);
    n.notify('request-timeout', 'Request timed out', 'a');
    clock.advance(120_000);
    expect(backend.sent).toEqual([]);
    expect(log.lines.at(-1)?.[2]).toBe('notification suppressed (notifications off)');
    n.setEnabled(true);
    n.notify('request-timeout', 'Request timed out', 'b');
    n.setEnabled(false);
    clock.advance(120_000);
    expect(backend.sent).toEqual([]);
    expect(clock.pending).toBe(0);
    n.setEnabled(true);
    n.notify('request-timeout', 'Request timed out', 'c');
    clock.advance(2_000);
    expect(backend.sent.map((s) => s.message)).toEqual(['c']);
  });

  it('a failing backend is logged once, never thrown', async () => {
    const { clock, backend, n, log } = setup();
    backend.fail = new Error(
      'Command failed: notify-send "a" "b"\nGDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.Notifications was not provided by any .service files',
    );
    for (const kind of ['a', 'b', 'c']) {
      n.notify(kind, 't', 'm');
      clock.advance(2_000);
      await settle();
    }
    expect(backend.sent).toHaveLength(3);
    const warns = log.lines.filter(([level]) => level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0][1]).toMatchObject({ kind: 'a', hint: 'no notification daemon is running in this session' });
    expect(log.lines.filter(([, , m]) => m === 'notification not shown')).toHaveLength(2);
  });

  it('a backend that throws synchronously is handled too', async () => {
    const clock = new FakeClock();
    const log = recorder();
    const n = new CoalescingNotifier({
      backend: {
        send: () => {
          throw new Error('boom');
        },
      },
      clock,
      logger: log,
    });
    n.notify('x', 't', 'm');
    expect(() => clock.advance(2_000)).not.toThrow();
    await settle();
    expect(log.lines.filter(([l]) => l === 'warn')).toHaveLength(1);
  });
});

describe('node-notifier backend', () => {
  it('passes title, message, app name; cleans control characters', async () => {
    const calls: object[] = [];
    const b = createNodeNotifierBackend({
      icon: '/opt/maxproxy/assets/tray/linux/error-44.png',
      notifier: {
        notify: (o, cb) => {
          calls.push(o);
          cb(null, '');
        },
      },
    });
    await b.send({ title: 'Limit\u0007 reached', message: 'line1\nline2\u0000' });
    expect(calls).toEqual([
      { title: 'Limit  reached', message: 'line1\nline2 ', wait: false, 'app-name': 'maxproxy', icon: '/opt/maxproxy/assets/tray/linux/error-44.png' },
    ]);
  });

  it('treats an empty stderr as success and anything else as failure', async () => {
    const ok = createNodeNotifierBackend({ notifier: { notify: (_o, cb) => cb('', '') } });
    await expect(ok.send({ title: 't', message: 'm' })).resolves.toBeUndefined();
    const bad = createNodeNotifierBackend({ notifier: { notify: (_o, cb) => cb(new Error('notify-send must be installed on the system.')) } });
    await expect(bad.send({ title: 't', message: 'm' })).rejects.toThrow('notify-send must be installed');
    const stderr = createNodeNotifierBackend({ notifier: { notify: (_o, cb) => cb('Cannot autolaunch D-Bus without X11 $DISPLAY') } });
    await expect(stderr.send({ title: 't', message: 'm' })).rejects.toThrow('autolaunch D-Bus');
  });

  it('the real node-notifier reports a missing notify-send as an error, not a throw', async () => {
    // With PATH emptied, which('notify-send') fails inside node-notifier.
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const b = createNodeNotifierBackend();
      const r = await b.send({ title: 't', message: 'm' }).then(
        () => 'shown',
        (e: Error) => e.message,
      );
      if (process.platform === 'linux') expect(r).toMatch(/not found|notify-send/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('hints', () => {
    expect(failureHint('notify-send must be installed on the system.')).toBe('install notify-send (Debian/Ubuntu: apt install libnotify-bin)');
    expect(failureHint('not found: notify-send')).toBe('install notify-send (Debian/Ubuntu: apt install libnotify-bin)');
    expect(failureHint('Cannot autolaunch D-Bus without X11 $DISPLAY')).toBe('no D-Bus session bus (headless or SSH session?)');
  });
});
