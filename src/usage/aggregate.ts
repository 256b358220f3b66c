import type { TurnRecord } from '../turn/turn-record.js';
import type { Attribution } from './attribution.js';
import type { GroupBy, SeriesPoint, UsageGroup, UsageTotals } from './reader.js';
import { billingName, type DailyRow, dayStart, localDay, localHour, type TurnRow } from './rows.js';

/** One turn in memory with what the attribution gave it in each window. */
export interface Entry {
  r: TurnRecord;
  h?: Attribution;
  w?: Attribution;
}

/** The windows that are current (their resetsAt, epoch s); shares outside them count 0. */
export interface CurrentWindows {
  fiveHour?: number;
  weekly?: number;
}

export const emptyTotals = (): UsageTotals => ({
  turns: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
  extraUsageTurns: 0,
  fiveHourShare: 0,
  weeklyShare: 0,
});

export function addEntry(t: UsageTotals, e: Entry, cur: CurrentWindows): void {
  const u = e.r.usage;
  t.turns++;
  t.inputTokens += u.inputTokens;
  t.outputTokens += u.outputTokens;
  t.cacheReadInputTokens += u.cacheReadInputTokens;
  t.cacheCreationInputTokens += u.cacheCreationInputTokens;
  if (e.r.billing === 'extra_usage') t.extraUsageTurns++;
  if (e.h && e.h.window === cur.fiveHour) t.fiveHourShare += e.h.share;
  if (e.w && e.w.window === cur.weekly) t.weeklyShare += e.w.share;
}

/** A stored row older than memory: counted without conversion (it is outside every current window). */
function addRow(t: UsageTotals, r: TurnRow): void {
  t.turns++;
  t.inputTokens += r.u[0] ?? 0;
  t.outputTokens += r.u[1] ?? 0;
  t.cacheReadInputTokens += r.u[2] ?? 0;
  t.cacheCreationInputTokens += r.u[3] ?? 0;
  if (r.b === 'x') t.extraUsageTurns++;
}

function rowKey(by: GroupBy, r: TurnRow): string {
  switch (by) {
    case 'client':
      return r.c;
    case 'model':
      return r.M;
    case 'day':
      return localDay(r.e);
    case 'hour':
      return localHour(r.e);
    case 'path':
      return billingName(r.b);
  }
}

function addDaily(t: UsageTotals, d: DailyRow): void {
  t.turns += d.n;
  t.inputTokens += d.u[0] ?? 0;
  t.outputTokens += d.u[1] ?? 0;
  t.cacheReadInputTokens += d.u[2] ?? 0;
  t.cacheCreationInputTokens += d.u[3] ?? 0;
  if (d.b === 'x') t.extraUsageTurns += d.n;
}

export function groupKey(by: GroupBy, r: TurnRecord): string {
  switch (by) {
    case 'client':
      return r.client;
    case 'model':
      return r.modelServed;
    case 'day':
      return localDay(r.endedAt);
    case 'hour':
      return localHour(r.endedAt);
    case 'path':
      return r.billing;
  }
}

function dailyKey(by: GroupBy, d: DailyRow): string {
  switch (by) {
    case 'client':
      return d.c;
    case 'model':
      return d.m;
    case 'day':
      return d.day;
    case 'hour':
      // Past retention only the day is kept: its turns show in the day's first hour.
      return `${d.day}T00`;
    case 'path':
      return billingName(d.b);
  }
}

/** Shares rounded away from float noise (0.30000000000000004). */
const tidy = (g: UsageGroup): UsageGroup => ({ ...g, fiveHourShare: round6(g.fiveHourShare), weeklyShare: round6(g.weeklyShare) });
const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;

/**
 * Groups turns (and daily totals of days past retention) by `by`. Time keys come out in
 * time order; the others by share of the 5-hour window, then weekly, then tokens.
 */
export function groupEntries(entries: Iterable<Entry>, older: TurnRow[], daily: DailyRow[], by: GroupBy, cur: CurrentWindows): UsageGroup[] {
  const map = new Map<string, UsageGroup>();
  const get = (key: string): UsageGroup => {
    let g = map.get(key);
    if (!g) map.set(key, (g = { key, ...emptyTotals() }));
    return g;
  };
  for (const d of daily) addDaily(get(dailyKey(by, d)), d);
  for (const r of older) addRow(get(rowKey(by, r)), r);
  for (const e of entries) addEntry(get(groupKey(by, e.r)), e, cur);
  const out = [...map.values()].map(tidy);
  if (by === 'day' || by === 'hour') return out.sort((a, b) => a.key.localeCompare(b.key));
  const tokens = (g: UsageGroup) => g.inputTokens + g.outputTokens + g.cacheReadInputTokens + g.cacheCreationInputTokens;
  return out.sort((a, b) => b.fiveHourShare - a.fiveHourShare || b.weeklyShare - a.weeklyShare || tokens(b) - tokens(a) || a.key.localeCompare(b.key));
}

/** Per client and hour/day bucket, for stacked charts. */
export function seriesOf(entries: Iterable<Entry>, older: TurnRow[], daily: DailyRow[], bucket: 'hour' | 'day', cur: CurrentWindows): SeriesPoint[] {
  const map = new Map<string, SeriesPoint>();
  const get = (t: number, client: string): SeriesPoint => {
    const k = `${t}\u0000${client}`;
    let p = map.get(k);
    if (!p) map.set(k, (p = { t, client, ...emptyTotals() }));
    return p;
  };
  const startOf = (ms: number): number => {
    const d = new Date(ms);
    return bucket === 'day' ? dayStart(localDay(ms)) : new Date(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours()).getTime();
  };
  for (const d of daily) addDaily(get(dayStart(d.day), d.c), d);
  for (const r of older) addRow(get(startOf(r.e), r.c), r);
  for (const e of entries) addEntry(get(startOf(e.r.endedAt), e.r.client), e, cur);
  return [...map.values()].sort((a, b) => a.t - b.t || a.client.localeCompare(b.client));
}
