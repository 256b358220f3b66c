import type { BillingPath, WindowReading } from '../turn/turn-record.js';
import type { RateLimitInfo } from '../turn/types.js';

export interface Readings {
  fiveHour?: WindowReading;
  weekly?: WindowReading;
  billing?: BillingPath;
}

const win = (x: unknown): WindowReading | undefined => {
  if (typeof x !== 'object' || x === null) return undefined;
  const o = x as { utilization?: unknown; resetsAt?: unknown };
  const w: WindowReading = {};
  if (typeof o.utilization === 'number' && Number.isFinite(o.utilization)) w.utilization = o.utilization;
  if (typeof o.resetsAt === 'number' && Number.isFinite(o.resetsAt)) w.resetsAt = o.resetsAt;
  return w.utilization === undefined && w.resetsAt === undefined ? undefined : w;
};

/**
 * What one `rate_limit_event` says about the windows and the billing path. Claude Code
 * 2.1.330 puts every window's utilisation in `unifiedWindows` (fractions 0..1) whenever
 * the upstream sent the unified headers; the top-level `utilization` is there only past
 * a warning threshold. It emits the event only when something changed (per process),
 * so a turn without one is billed and measured as the last event said.
 */
export function readingsOf(info: RateLimitInfo): Readings {
  const out: Readings = {};
  const uw = (info.unifiedWindows ?? {}) as Record<string, unknown>;
  const top = win(info);
  out.fiveHour = win(uw.five_hour) ?? (info.rateLimitType === 'five_hour' ? top : undefined);
  out.weekly = win(uw.seven_day) ?? (info.rateLimitType === 'seven_day' ? top : undefined);
  if (typeof info.isUsingOverage === 'boolean') out.billing = info.isUsingOverage ? 'extra_usage' : 'plan';
  return out;
}
