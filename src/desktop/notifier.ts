/**
 * Desktop notifications behind our own interface, with coalescing: a burst of the same
 * kind becomes one notification ("3 requests timed out"), and a kind is shown at most
 * once per window (60 s by default); what arrives meanwhile is summed up when the window
 * ends. The OS side (node-notifier: notify-send on Linux, Notification Center on macOS)
 * may be missing or broken (no notify-send, no notification daemon): that is logged
 * once and never thrown, because a notification is never worth failing a request.
 */
import nodeNotifier from 'node-notifier';
import { type Logger, silentLogger } from './logger.js';

export type NotificationKind =
  | 'request-timeout'
  | 'not-logged-in'
  | 'usage-warning'
  | 'usage-limit'
  | 'overage'
  | 'server-error'
  | 'tray-unavailable'
  | (string & {});

export interface Notifier {
  notify(kind: NotificationKind, title: string, message: string): void;
}

export interface Notification {
  title: string;
  message: string;
}

/** Where a notification finally goes. Rejects when the OS could not show it. */
export interface NotificationBackend {
  send(n: Notification): Promise<void>;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Pending notifications must not keep the daemon alive on shutdown.
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** How n coalesced notifications of one kind read. `last` is the most recent one. */
export type Summarize = (kind: NotificationKind, count: number, last: Notification) => Notification;

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

export const defaultSummarize: Summarize = (kind, n, last) => {
  if (n === 1) return last;
  switch (kind) {
    case 'request-timeout':
      return { title: 'Requests timed out', message: `${plural(n, 'request', 'requests')} timed out` };
    case 'server-error':
      return { title: 'Requests failed', message: `${plural(n, 'request', 'requests')} failed; last: ${last.message}` };
    default:
      // Same kind, possibly different details: the latest one is the one that is true now.
      return { title: last.title, message: `${last.message} (${n} times)` };
  }
};

export interface CoalescingNotifierOptions {
  backend: NotificationBackend;
  logger?: Logger;
  /** A kind is shown at most once per window. */
  windowMs?: number;
  /** How long the first of a burst waits for the rest. */
  gatherMs?: number;
  enabled?: boolean;
  clock?: Clock;
  summarize?: Summarize;
}

interface KindState {
  pending: Notification[];
  /** Timer for the gather delay or for the end of the window. */
  timer: unknown;
  /** True once something was shown in the current window. */
  windowOpen: boolean;
}

export class CoalescingNotifier implements Notifier {
  private kinds = new Map<string, KindState>();
  private _enabled: boolean;
  private failureLogged = false;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly gatherMs: number;
  private readonly summarize: Summarize;

  constructor(private readonly opts: CoalescingNotifierOptions) {
    this.log = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    this.windowMs = opts.windowMs ?? 60_000;
    this.gatherMs = opts.gatherMs ?? 2_000;
    this.summarize = opts.summarize ?? defaultSummarize;
    this._enabled = opts.enabled ?? true;
  }

  get enabled(): boolean {
    return this._enabled;
  }

  /** Turning off drops whatever is waiting: the user asked for quiet. */
  setEnabled(on: boolean): void {
    this._enabled = on;
    if (!on) this.close();
  }

  notify(kind: NotificationKind, title: string, message: string): void {
    if (!this._enabled) {
      this.log.debug({ kind, title }, 'notification suppressed (notifications off)');
      return;
    }
    let st = this.kinds.get(kind);
    if (!st) {
      st = { pending: [], timer: null, windowOpen: false };
      this.kinds.set(kind, st);
    }
    st.pending.push({ title, message });
    // In an open window the end-of-window timer will sum it up; otherwise gather a burst.
    if (!st.windowOpen && st.timer === null) {
      st.timer = this.clock.setTimeout(() => this.flush(kind), this.gatherMs);
    }
  }

  /** Cancels every pending notification and timer. */
  close(): void {
    for (const st of this.kinds.values()) if (st.timer !== null) this.clock.clearTimeout(st.timer);
    this.kinds.clear();
  }

  private flush(kind: string): void {
    const st = this.kinds.get(kind);
    if (!st) return;
    st.timer = null;
    if (st.pending.length === 0) {
      // A quiet window ends: the next one shows at once (after the gather delay).
      this.kinds.delete(kind);
      return;
    }
    const n = this.summarize(kind, st.pending.length, st.pending[st.pending.length - 1]);
    st.pending = [];
    st.windowOpen = true;
    st.timer = this.clock.setTimeout(() => this.flush(kind), this.windowMs);
    this.send(kind, n);
  }

  private send(kind: string, n: Notification): void {
    let p: Promise<void>;
    try {
      p = this.opts.backend.send(n);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      () => {
        this.failureLogged = false;
      },
      (e: unknown) => {
        const err = e instanceof Error ? e.message : String(e);
        if (this.failureLogged) {
          this.log.debug({ kind, err }, 'notification not shown');
          return;
        }
        this.failureLogged = true;
        this.log.warn({ kind, err, hint: failureHint(err) }, 'desktop notifications unavailable');
      },
    );
  }
}

export function failureHint(err: string): string {
  if (/notify-send/i.test(err) && /(not found|must be installed|ENOENT)/i.test(err)) {
    return 'install notify-send (Debian/Ubuntu: apt install libnotify-bin)';
  }
  if (/org\.freedesktop\.Notifications|ServiceUnknown/i.test(err)) return 'no notification daemon is running in this session';
  if (/DBUS|D-Bus|dbus/.test(err)) return 'no D-Bus session bus (headless or SSH session?)';
  return 'notifications will keep being tried; this message is logged once';
}

export interface NodeNotifierBackendOptions {
  appName?: string;
  /** Absolute path to a PNG shown with the notification. */
  icon?: string;
  /** Stand-in for node-notifier in tests. */
  notifier?: { notify(options: object, cb: (err: unknown, response?: unknown) => void): unknown };
}

/** Strip control characters (except newlines) that notify-send or a shell could trip on. */
const clean = (s: string): string => s.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ' ').slice(0, 1000);

export function createNodeNotifierBackend(opts: NodeNotifierBackendOptions = {}): NotificationBackend {
  const impl = opts.notifier ?? (nodeNotifier as unknown as NonNullable<NodeNotifierBackendOptions['notifier']>);
  return {
    send: (n) =>
      new Promise<void>((resolve, reject) => {
        const options: Record<string, unknown> = {
          title: clean(n.title),
          message: clean(n.message) || ' ',
          wait: false,
          // notify-send's -a; ignored by the other notifiers.
          'app-name': opts.appName ?? 'maxproxy',
        };
        if (opts.icon) options.icon = opts.icon;
        try {
          impl.notify(options, (err) => {
            // node-notifier passes notify-send's stderr as the error even when it is ''.
            if (err && !(typeof err === 'string' && err.trim() === '')) {
              reject(err instanceof Error ? err : new Error(String(err)));
            } else resolve();
          });
        } catch (e) {
          reject(e);
        }
      }),
  };
}

/** The notifier the daemon uses: node-notifier behind coalescing. */
export function createNotifier(opts: Omit<CoalescingNotifierOptions, 'backend'> & { backend?: NotificationBackend; icon?: string } = {}): CoalescingNotifier {
  return new CoalescingNotifier({ ...opts, backend: opts.backend ?? createNodeNotifierBackend({ icon: opts.icon }) });
}
