/**
 * The ledger's answers in the shape the page's charts draw (uPlot takes column arrays
 * on one shared x axis). Pure: the route passes what the UsageReader returned.
 */
import type { SeriesPoint, WindowPoint } from '../usage/reader.js';

export interface StackedSeries {
  /** Bucket starts, epoch seconds (uPlot's time axis unit). */
  t: number[];
  /** Clients, most tokens first (the stack's bottom). */
  clients: string[];
  /** tokens[i][j]: input+output tokens of clients[i] in bucket j. */
  tokens: number[][];
  /** Turns of all clients in the bucket that Claude Code reported as extra usage. */
  extraUsageTurns: number[];
}

export interface WindowSeries {
  /** Epoch seconds of each reading. */
  t: number[];
  /** Percent (0..100), null where that reading did not report the window. */
  fiveHour: Array<number | null>;
  weekly: Array<number | null>;
  /** Where the turn behind the reading was billed as extra usage: the height to mark it at (its 5-hour %, else weekly %, else 100); else null. */
  extraUsage: Array<number | null>;
  /** The reset (epoch s) of the window each reading belongs to; the line breaks where it changes. */
  fiveHourWindow: Array<number | null>;
  weeklyWindow: Array<number | null>;
  /** Window resets seen in the readings (epoch s), each once, within the range. */
  fiveHourResets: number[];
  weeklyResets: number[];
}

const HOUR = 3_600_000;

/** Local start of the hour or day holding `t` (the ledger buckets in local time). */
export function bucketStart(t: number, bucket: 'hour' | 'day'): number {
  const d = new Date(t);
  if (bucket === 'hour') d.setMinutes(0, 0, 0);
  else d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Every bucket start from `sinceMs` to `nowMs`, so empty hours and days show as gaps of zero. */
export function bucketAxis(sinceMs: number, nowMs: number, bucket: 'hour' | 'day'): number[] {
  const out: number[] = [];
  let t = bucketStart(sinceMs, bucket);
  while (t <= nowMs && out.length < 24 * 400) {
    out.push(t);
    if (bucket === 'hour') t += HOUR;
    else {
      // Next local midnight (a day is 23 or 25 hours across a DST change).
      const d = new Date(t);
      d.setDate(d.getDate() + 1);
      t = d.getTime();
    }
  }
  return out;
}

export function stackSeries(points: SeriesPoint[], sinceMs: number, nowMs: number, bucket: 'hour' | 'day'): StackedSeries {
  const axis = bucketAxis(sinceMs, nowMs, bucket);
  const index = new Map(axis.map((t, i) => [t, i]));
  const totals = new Map<string, number>();
  for (const p of points) totals.set(p.client, (totals.get(p.client) ?? 0) + p.inputTokens + p.outputTokens);
  const clients = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
  const row = new Map(clients.map((c, i) => [c, i]));
  const tokens = clients.map(() => axis.map(() => 0));
  const extra = axis.map(() => 0);
  for (const p of points) {
    // The reader's bucket start should be on the axis; normalise in case it is not.
    const i = index.get(p.t) ?? index.get(bucketStart(p.t, bucket));
    if (i === undefined) continue;
    tokens[row.get(p.client)!][i] += p.inputTokens + p.outputTokens;
    extra[i] += p.extraUsageTurns;
  }
  return { t: axis.map((x) => Math.floor(x / 1000)), clients, tokens, extraUsageTurns: extra };
}

const pct = (f: number | undefined): number | null => (typeof f === 'number' && Number.isFinite(f) ? Math.round(f * 1000) / 10 : null);

export function windowSeries(points: WindowPoint[], sinceMs: number, nowMs: number): WindowSeries {
  const sorted = [...points].filter((p) => p.t >= sinceMs && p.t <= nowMs).sort((a, b) => a.t - b.t);
  const resets = (get: (p: WindowPoint) => number | undefined): number[] => {
    const seen = new Set<number>();
    for (const p of sorted) {
      const r = get(p);
      // A reset is worth a marker once it has happened or falls in the visible range.
      if (typeof r === 'number' && r * 1000 >= sinceMs && r * 1000 <= nowMs) seen.add(r);
    }
    return [...seen].sort((a, b) => a - b);
  };
  return {
    t: sorted.map((p) => Math.floor(p.t / 1000)),
    fiveHour: sorted.map((p) => pct(p.fiveHour)),
    weekly: sorted.map((p) => pct(p.weekly)),
    extraUsage: sorted.map((p) => (p.billing === 'extra_usage' ? (pct(p.fiveHour) ?? pct(p.weekly) ?? 100) : null)),
    fiveHourWindow: sorted.map((p) => p.fiveHourResetsAt ?? null),
    weeklyWindow: sorted.map((p) => p.weeklyResetsAt ?? null),
    fiveHourResets: resets((p) => p.fiveHourResetsAt),
    weeklyResets: resets((p) => p.weeklyResetsAt),
  };
}
