import type { BillingPath, Endpoint, TurnOutcomeStatus, TurnRecord, WindowReading } from '../turn/turn-record.js';
import type { ErrorKind } from '../turn/types.js';

/**
 * The on-disk form of one turn: one JSON object per line with short keys (about half the
 * bytes of the long names; see docs/decisions/020). Never holds prompt or answer text.
 *
 *   t startedAt, e endedAt (epoch ms), r requestId, s sessionId, c client, p endpoint,
 *   m model asked for, M model served, o status, k error kind, u [input, output,
 *   cache read, cache write], f ttft ms, d duration ms, b billing (p plan, x extra usage,
 *   u unknown), h / w the 5-hour / weekly reading [utilisation 0..1 | null, resetsAt s | null],
 *   x hosted tool calls [web searches, web fetches] (only on turns that offered a hosted tool;
 *   the fetches only when the fetch was offered).
 */
export interface TurnRow {
  t: number;
  e: number;
  r: string;
  s: string;
  c: string;
  p: Endpoint;
  m: string;
  M: string;
  o: TurnOutcomeStatus;
  k?: ErrorKind;
  u: [number, number, number, number];
  f?: number;
  d: number;
  b: 'p' | 'x' | 'u';
  h?: [number | null, number | null];
  w?: [number | null, number | null];
  x?: [number] | [number, number];
}

/** Daily totals kept for days past the retention period (one line per day, client, model and path). */
export interface DailyRow {
  day: string;
  c: string;
  m: string;
  b: 'p' | 'x' | 'u';
  n: number;
  u: [number, number, number, number];
}

const B: Record<BillingPath, TurnRow['b']> = { plan: 'p', extra_usage: 'x', unknown: 'u' };
const B_INV: Record<TurnRow['b'], BillingPath> = { p: 'plan', x: 'extra_usage', u: 'unknown' };

export const billingCode = (b: BillingPath): TurnRow['b'] => B[b] ?? 'u';
export const billingName = (b: TurnRow['b']): BillingPath => B_INV[b] ?? 'unknown';

const round = (n: number | undefined): number | undefined => (n === undefined || !Number.isFinite(n) ? undefined : Math.round(n));
const reading = (w: WindowReading | undefined): [number | null, number | null] | undefined =>
  w && (w.utilization !== undefined || w.resetsAt !== undefined) ? [w.utilization ?? null, w.resetsAt ?? null] : undefined;
const unreading = (x: [number | null, number | null] | undefined): WindowReading | undefined => {
  if (!x) return undefined;
  const w: WindowReading = {};
  if (typeof x[0] === 'number') w.utilization = x[0];
  if (typeof x[1] === 'number') w.resetsAt = x[1];
  return w;
};

export function toRow(r: TurnRecord): TurnRow {
  const row: TurnRow = {
    t: r.startedAt,
    e: r.endedAt,
    r: r.requestId,
    s: r.sessionId,
    c: r.client,
    p: r.endpoint,
    m: r.modelRequested,
    M: r.modelServed,
    o: r.status,
    u: [r.usage.inputTokens, r.usage.outputTokens, r.usage.cacheReadInputTokens, r.usage.cacheCreationInputTokens],
    d: round(r.durationMs) ?? 0,
    b: billingCode(r.billing),
  };
  if (r.errorKind) row.k = r.errorKind;
  const f = round(r.ttftMs);
  if (f !== undefined) row.f = f;
  const h = reading(r.fiveHour);
  if (h) row.h = h;
  const w = reading(r.weekly);
  if (w) row.w = w;
  const st = r.usage.serverToolUse;
  if (st) row.x = st.webFetchRequests === undefined ? [st.webSearchRequests] : [st.webSearchRequests, st.webFetchRequests];
  return row;
}

export function fromRow(x: TurnRow): TurnRecord {
  const u = Array.isArray(x.u) ? x.u : [0, 0, 0, 0];
  const r: TurnRecord = {
    startedAt: x.t,
    endedAt: x.e,
    requestId: x.r,
    sessionId: x.s,
    client: x.c,
    endpoint: x.p,
    modelRequested: x.m,
    modelServed: x.M,
    status: x.o,
    usage: { inputTokens: u[0] ?? 0, outputTokens: u[1] ?? 0, cacheReadInputTokens: u[2] ?? 0, cacheCreationInputTokens: u[3] ?? 0 },
    durationMs: x.d,
    billing: billingName(x.b),
  };
  if (x.k) r.errorKind = x.k;
  if (x.f !== undefined) r.ttftMs = x.f;
  const h = unreading(x.h);
  if (h) r.fiveHour = h;
  const w = unreading(x.w);
  if (w) r.weekly = w;
  if (Array.isArray(x.x))
    r.usage.serverToolUse = { webSearchRequests: Number(x.x[0]) || 0, ...(x.x.length > 1 ? { webFetchRequests: Number(x.x[1]) || 0 } : {}) };
  return r;
}

/** A parsed line that has what every query needs; anything else is skipped, never fatal. */
export const isTurnRow = (x: unknown): x is TurnRow =>
  typeof x === 'object' && x !== null && typeof (x as TurnRow).e === 'number' && typeof (x as TurnRow).c === 'string' && Array.isArray((x as TurnRow).u);

export const isDailyRow = (x: unknown): x is DailyRow =>
  typeof x === 'object' && x !== null && typeof (x as DailyRow).day === 'string' && typeof (x as DailyRow).n === 'number' && Array.isArray((x as DailyRow).u);

/** Local calendar day (YYYY-MM-DD) of an epoch-ms time: segments and `--by day` use the user's days. */
export function localDay(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function localHour(t: number): string {
  return `${localDay(t)}T${String(new Date(t).getHours()).padStart(2, '0')}`;
}

/** Epoch ms of local midnight starting `day`. */
export function dayStart(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d).getTime();
}
