import { EventEmitter } from 'node:events';
import type { RateLimitInfo } from '../turn/types.js';
import type { StatusNotice } from './notices.js';
import type {
  ClaudeStatus,
  LedgerStatus,
  RequestsStatus,
  ServerStatus,
  SessionInfo,
  StatusSnapshot,
  StatusWarning,
  UsageStatus,
  UsageWindow,
} from './types.js';

const localDay = (t = Date.now()): string => {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

/**
 * Owns the live status. Writers call the update methods; readers take `snapshot()`
 * and listen to 'change' (emitted at most once per tick so a burst of deltas does
 * not re-render the tray a hundred times).
 */
export class StatusStore extends EventEmitter {
  private server: ServerStatus = { state: 'starting', host: '127.0.0.1', port: 0 };
  private claude: ClaudeStatus = { path: '', version: 'unknown', login: 'unknown' };
  private sessions = new Map<string, SessionInfo>();
  private requests: RequestsStatus = { active: 0, queued: 0, oldestQueuedMs: 0 };
  private usage: UsageStatus = { other: {}, tokensToday: 0, day: localDay() };
  private warnings = new Map<string, StatusWarning>();
  private ledger?: LedgerStatus;
  private pending = false;

  constructor(
    readonly version: string,
    readonly startedAt = Date.now(),
  ) {
    super();
  }

  snapshot(): StatusSnapshot {
    return {
      version: this.version,
      startedAt: this.startedAt,
      server: { ...this.server },
      claude: { ...this.claude },
      sessions: [...this.sessions.values()].map((s) => ({ ...s })).sort((a, b) => b.lastActivity - a.lastActivity),
      requests: { ...this.requests },
      usage: structuredClone(this.usage),
      ...(this.ledger ? { ledger: structuredClone(this.ledger) } : {}),
      warnings: [...this.warnings.values()].map((w) => ({ ...w })),
    };
  }

  /** The usage part alone (cheaper than a snapshot; the admission check reads it per request). */
  usageStatus(): UsageStatus {
    return structuredClone(this.usage);
  }

  setServer(patch: Partial<ServerStatus>): void {
    this.server = { ...this.server, ...patch };
    if (patch.state && patch.state !== 'error') delete this.server.error;
    this.changed();
  }

  setClaude(patch: Partial<ClaudeStatus>): void {
    this.claude = { ...this.claude, ...patch };
    this.changed();
  }

  upsertSession(info: SessionInfo): void {
    this.sessions.set(info.id, { ...info });
    this.changed();
  }

  /** Tells the user about a one-off event (the desktop turns it into a notification). */
  notify(n: StatusNotice): void {
    this.emit('notice', n);
  }

  onNotice(fn: (n: StatusNotice) => void): () => void {
    this.on('notice', fn);
    return () => this.off('notice', fn);
  }

  removeSession(id: string): void {
    if (this.sessions.delete(id)) this.changed();
  }

  setRequests(patch: Partial<RequestsStatus>): void {
    this.requests = { ...this.requests, ...patch };
    this.changed();
  }

  /**
   * Folds one CLI rate_limit_event into the usage windows. Claude Code 2.1.330 reports
   * every window in `unifiedWindows` (utilisation included, below thresholds too); the
   * top-level fields describe the window that is warning or refusing, if any.
   */
  recordRateLimit(info: RateLimitInfo): void {
    const unified = (info.unifiedWindows ?? {}) as Record<string, { utilization?: unknown; resetsAt?: unknown; status?: unknown } | undefined>;
    for (const [type, u] of Object.entries(unified)) {
      if (!u || typeof u !== 'object') continue;
      this.setWindow(type, {
        utilization: typeof u.utilization === 'number' ? u.utilization : undefined,
        resetsAt: typeof u.resetsAt === 'number' ? u.resetsAt : undefined,
        status: typeof u.status === 'string' ? u.status : undefined,
      });
    }
    if (info.rateLimitType) {
      const prev = this.windowOf(info.rateLimitType);
      this.setWindow(info.rateLimitType, {
        utilization: typeof info.utilization === 'number' ? info.utilization : prev?.utilization,
        resetsAt: typeof info.resetsAt === 'number' ? info.resetsAt : prev?.resetsAt,
        status: info.status,
      });
    }
    if (typeof info.isUsingOverage === 'boolean') {
      this.usage.isUsingOverage = info.isUsingOverage;
      if (!info.isUsingOverage) delete this.usage.extraUsage;
      else {
        const resetsAt = typeof info.resetsAt === 'number' ? info.resetsAt : undefined;
        const prev = this.usage.extraUsage;
        const same = prev && prev.window === info.rateLimitType && prev.resetsAt === resetsAt;
        this.usage.extraUsage = { window: info.rateLimitType, resetsAt, since: same ? prev.since : Date.now() };
      }
    }
    if (typeof info.overageStatus === 'string') this.usage.overageStatus = info.overageStatus;
    this.changed();
  }

  private windowOf(type: string): UsageWindow | undefined {
    return type === 'five_hour' ? this.usage.fiveHour : type === 'seven_day' || type === 'weekly' ? this.usage.weekly : this.usage.other[type];
  }

  private setWindow(type: string, w: UsageWindow): void {
    if (type === 'five_hour') this.usage.fiveHour = w;
    else if (type === 'seven_day' || type === 'weekly') this.usage.weekly = w;
    else this.usage.other[type] = w;
  }

  /** The usage ledger's summary (tray, `maxproxy status`). */
  setLedger(l: LedgerStatus): void {
    this.ledger = l;
    this.changed();
  }

  addTokens(n: number, now = Date.now()): void {
    const day = localDay(now);
    if (day !== this.usage.day) {
      this.usage.day = day;
      this.usage.tokensToday = 0;
    }
    this.usage.tokensToday += n;
    this.changed();
  }

  setWarning(w: Omit<StatusWarning, 'since'> & { since?: number }): void {
    const prev = this.warnings.get(w.id);
    if (prev && prev.message === w.message && prev.level === w.level) return;
    this.warnings.set(w.id, { ...w, since: w.since ?? prev?.since ?? Date.now() });
    this.changed();
  }

  clearWarning(id: string): void {
    if (this.warnings.delete(id)) this.changed();
  }

  private changed(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.emit('change', this.snapshot());
    });
  }
}
