import type { BillingPath, Endpoint, TurnRecord, WindowReading } from '../turn/turn-record.js';
import type { RateLimitInfo, StopReason, TurnError, Usage } from '../turn/types.js';

/**
 * How Claude Code said a turn was billed. It reports `isUsingOverage` on its rate-limit
 * events only under a subscription credential: true means the plan's window is used up
 * and the account pays on as extra usage. Any rate-limit event without it means the
 * plan's windows; no event at all (API-key credentials) means we cannot tell.
 */
export function billingOf(rateLimits: readonly RateLimitInfo[]): BillingPath {
  if (rateLimits.some((r) => r.isUsingOverage === true)) return 'extra_usage';
  return rateLimits.length > 0 ? 'plan' : 'unknown';
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * The last reading of each window the turn reported (utilisation 0..1, reset in epoch s).
 * Under a subscription credential each event carries every window in `unifiedWindows`
 * (utilisation included, below the warning thresholds too); the top-level fields describe
 * the window that is warning or refusing, and win for that window.
 */
export function windowsOf(rateLimits: readonly RateLimitInfo[]): { fiveHour?: WindowReading; weekly?: WindowReading } {
  const out: { fiveHour?: WindowReading; weekly?: WindowReading } = {};
  const put = (type: unknown, reading: WindowReading) => {
    if (type === 'five_hour') out.fiveHour = reading;
    else if (type === 'seven_day') out.weekly = reading;
  };
  for (const r of rateLimits) {
    const unified = (r.unifiedWindows ?? {}) as Record<string, { utilization?: unknown; resetsAt?: unknown } | undefined>;
    for (const [type, w] of Object.entries(unified)) if (w && typeof w === 'object') put(type, { utilization: num(w.utilization), resetsAt: num(w.resetsAt) });
    if (r.rateLimitType) {
      const prev = r.rateLimitType === 'five_hour' ? out.fiveHour : r.rateLimitType === 'seven_day' ? out.weekly : undefined;
      put(r.rateLimitType, { utilization: num(r.utilization) ?? prev?.utilization, resetsAt: num(r.resetsAt) ?? prev?.resetsAt });
    }
  }
  return out;
}

export interface TurnFacts {
  requestId: string;
  sessionId: string;
  client: string;
  endpoint: Endpoint;
  modelRequested: string;
  /** The resolved model, used when the upstream never named one. */
  modelResolved: string;
  startedAt: number;
  endedAt: number;
  firstOutputAt?: number;
  /** The client went away before the turn ended. */
  cancelled: boolean;
  fold: { model: string; usage: Usage; rateLimits: RateLimitInfo[]; stopReason?: StopReason; error?: TurnError };
}

/** One ended turn as the ledger keeps it: counts and outcome only, never text. */
export function buildTurnRecord(f: TurnFacts): TurnRecord {
  const { fold } = f;
  const status = f.cancelled ? 'cancelled' : fold.error || !fold.stopReason ? 'error' : 'ok';
  return {
    startedAt: f.startedAt,
    endedAt: f.endedAt,
    requestId: f.requestId,
    sessionId: f.sessionId,
    client: f.client,
    endpoint: f.endpoint,
    modelRequested: f.modelRequested,
    modelServed: fold.model || f.modelResolved,
    status,
    ...(status === 'error' ? { errorKind: fold.error?.kind ?? 'upstream' } : {}),
    usage: { ...fold.usage },
    ...(f.firstOutputAt !== undefined ? { ttftMs: Math.max(0, f.firstOutputAt - f.startedAt) } : {}),
    durationMs: Math.max(0, f.endedAt - f.startedAt),
    billing: billingOf(fold.rateLimits),
    ...windowsOf(fold.rateLimits),
  };
}
