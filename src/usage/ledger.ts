import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { writeFileAtomicSync } from '../store/atomic-write.js';
import type { BillingPath, TurnRecord, WindowReading } from '../turn/turn-record.js';
import { addEntry, type CurrentWindows, type Entry, emptyTotals, groupEntries, seriesOf } from './aggregate.js';
import { FIVE_HOUR_S, type Reading, turnWeight, WEEK_S, WindowAttributor } from './attribution.js';
import { RecordCompactor } from './compact-record.js';
import type { ClientShare, CurrentShares, GroupBy, RecentTurnsQuery, SeriesPoint, UsageGroup, UsageReader, UsageTotals, WindowPoint } from './reader.js';
import { fromRow, localDay, type TurnRow } from './rows.js';
import { UsageStore } from './store.js';

/** Turns kept in memory: a little more than the weekly window, so every current share is known. */
const MEMORY_MS = 8 * 86_400_000;

export interface LedgerOptions {
  dataDir: string;
  /** Days of single turns kept; older days become daily totals. */
  retentionDays: number;
  readOnly?: boolean;
  log?: Logger;
  /** Budgets by client name (any case), percent of the 5-hour window. */
  budgets?: () => Record<string, number>;
  /** The latest readings and billing path Claude Code reported, for turns that brought none. */
  latest?: () => { fiveHour?: WindowReading; weekly?: WindowReading; billing?: BillingPath };
  flushMs?: number;
  now?: () => number;
}

/** What the tray and `maxproxy status` show from the ledger. */
export interface LedgerSummary {
  lastTurn?: { billing: BillingPath; client: string; endedAt: number };
  turnsToday: number;
  tokensToday: number;
  extraUsageTurnsToday: number;
  /** Clients by share of the current 5-hour window, largest first (those with a budget included). */
  topClients: ClientShare[];
}

const asReading = (w: WindowReading | undefined): Reading | undefined =>
  w && typeof w.utilization === 'number' && typeof w.resetsAt === 'number' ? { utilization: w.utilization, resetsAt: w.resetsAt } : undefined;

/** A reading that belongs to a window that has not reset by `atMs`. */
const live = (w: WindowReading | undefined, atMs: number): WindowReading | undefined =>
  w && typeof w.resetsAt === 'number' && w.resetsAt * 1000 > atMs ? { ...w } : undefined;

/**
 * The usage ledger: records every ended turn in the store, attributes window rises to
 * turns, and answers the UsageReader queries. The daemon opens it read-write; `maxproxy
 * usage` opens the same files read-only (it works with the daemon stopped or running).
 */
export class Ledger implements UsageReader {
  readonly store: UsageStore;
  private entries: Entry[] = [];
  private readonly h: WindowAttributor<Entry>;
  private readonly w: WindowAttributor<Entry>;
  private readonly now: () => number;
  private readonly coveredSince: number;
  private cache?: { at: number; shares: CurrentShares };
  private rollupTimer?: NodeJS.Timeout;
  /** Memory holds every turn that ended since this time. */
  private readonly loadedFrom: number;
  /** Attributed shares per window (its resetsAt) and client: the current shares without a scan. */
  private readonly totals = { h: new Map<number, Map<string, number>>(), w: new Map<number, Map<string, number>>() };
  private readonly compactor = new RecordCompactor();

  constructor(private readonly opts: LedgerOptions) {
    this.now = opts.now ?? Date.now;
    const dir = path.join(opts.dataDir, 'usage');
    this.store = new UsageStore({ dir, readOnly: opts.readOnly, log: opts.log, flushMs: opts.flushMs });
    this.coveredSince = readCreatedAt(dir, !opts.readOnly, this.now());
    this.h = new WindowAttributor<Entry>(FIVE_HOUR_S, this.coveredSince);
    this.w = new WindowAttributor<Entry>(WEEK_S, this.coveredSince);
    if (!opts.readOnly) this.rollup();
    this.loadedFrom = this.now() - MEMORY_MS;
    const rows = this.store.readRows(this.loadedFrom).sort((a, b) => a.e - b.e);
    for (const row of rows) this.attribute({ r: this.compactor.compact(fromRow(row)) });
    if (!opts.readOnly) this.rollupTimer = setInterval(() => this.rollup(), 6 * 3_600_000).unref();
  }

  /** Records one ended turn (the engine's onTurnRecord). Cheap: memory only; the store writes within 250 ms. */
  record(r: TurnRecord): void {
    const rec: TurnRecord = { ...r };
    const latest = this.opts.latest?.();
    // Claude Code reports readings only when they change: no event means "as before".
    if (latest) {
      if (rec.fiveHour?.utilization === undefined && live(latest.fiveHour, rec.endedAt)) rec.fiveHour = live(latest.fiveHour, rec.endedAt);
      if (rec.weekly?.utilization === undefined && live(latest.weekly, rec.endedAt)) rec.weekly = live(latest.weekly, rec.endedAt);
      if (rec.billing === 'unknown' && latest.billing) rec.billing = latest.billing;
    }
    this.attribute({ r: this.compactor.compact(rec) });
    this.store.append(rec);
    this.cache = undefined;
  }

  private attribute(e: Entry): void {
    this.entries.push(e);
    const weight = turnWeight(e.r.usage);
    for (const [x, a] of this.h.push(e, e.r.endedAt, weight, asReading(e.r.fiveHour))) {
      x.h = a;
      addShare(this.totals.h, a.window, x.r.client, a.share);
    }
    for (const [x, a] of this.w.push(e, e.r.endedAt, weight, asReading(e.r.weekly))) {
      x.w = a;
      addShare(this.totals.w, a.window, x.r.client, a.share);
    }
  }

  private rollup(): void {
    const cutoff = localDay(this.now() - this.opts.retentionDays * 86_400_000);
    try {
      const n = this.store.rollup(cutoff);
      if (n) this.opts.log?.info({ days: n, before: cutoff }, 'usage ledger: old days folded into daily totals');
    } catch (e) {
      this.opts.log?.warn({ err: (e as Error).message }, 'usage ledger: rollup failed; will retry');
    }
    const keepFrom = this.now() - MEMORY_MS;
    for (const m of [this.totals.h, this.totals.w]) for (const win of m.keys()) if (win * 1000 < keepFrom) m.delete(win);
    if (this.entries.length && this.entries[0].r.endedAt < keepFrom) this.entries = this.entries.filter((e) => e.r.endedAt >= keepFrom);
    this.compactor.clear();
  }

  private current(): CurrentWindows {
    const now = this.now();
    return { fiveHour: this.h.current(now)?.resetsAt, weekly: this.w.current(now)?.resetsAt };
  }

  /** Turns in memory since `sinceMs`. */
  private memSince(sinceMs: number): Entry[] {
    let lo = 0;
    let hi = this.entries.length;
    // Entries are in the order turns ended (nearly always): binary search for the start.
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].r.endedAt < sinceMs) lo = mid + 1;
      else hi = mid;
    }
    return this.entries.slice(lo).filter((e) => e.r.endedAt >= sinceMs);
  }

  /** Stored rows older than memory, when `sinceMs` reaches back that far. */
  private olderRows(sinceMs: number): TurnRow[] {
    const from = this.memFrom();
    return sinceMs >= from ? [] : this.store.readRows(sinceMs, from);
  }

  /** Where memory takes over from the store (no turn is counted from both). */
  private memFrom(): number {
    return Math.max(this.now() - MEMORY_MS, this.loadedFrom);
  }

  private recent(sinceMs: number): Entry[] {
    return this.memSince(Math.max(sinceMs, this.memFrom()));
  }

  /** All turns since `sinceMs`, converted (recent-turn listings). */
  private since(sinceMs: number): Entry[] {
    const older = this.olderRows(sinceMs)
      .sort((a, b) => a.e - b.e)
      .map((row) => ({ r: fromRow(row) }));
    return [...older, ...this.recent(sinceMs)];
  }

  private dailySince(sinceMs: number): ReturnType<UsageStore['readDaily']> {
    const first = localDay(sinceMs);
    return this.store.readDaily().filter((d) => d.day >= first);
  }

  async recentTurns(q: RecentTurnsQuery): Promise<TurnRecord[]> {
    const out: TurnRecord[] = [];
    const pick = (list: Entry[]) => {
      for (let i = list.length - 1; i >= 0 && out.length < q.limit; i--) {
        const r = list[i].r;
        if (q.sinceMs !== undefined && r.endedAt < q.sinceMs) break;
        if (q.client !== undefined && r.client.toLowerCase() !== q.client.toLowerCase()) continue;
        if (q.status !== undefined && r.status !== q.status) continue;
        out.push({ ...r });
      }
    };
    pick(this.since(q.sinceMs ?? this.now() - MEMORY_MS));
    return out;
  }

  async groups(q: { sinceMs: number; by: GroupBy }): Promise<UsageGroup[]> {
    return this.groupsSync(q.sinceMs, q.by);
  }

  groupsSync(sinceMs: number, by: GroupBy): UsageGroup[] {
    return groupEntries(this.recent(sinceMs), this.olderRows(sinceMs), this.dailySince(sinceMs), by, this.current());
  }

  async series(q: { sinceMs: number; bucket: 'hour' | 'day' }): Promise<SeriesPoint[]> {
    return seriesOf(this.recent(q.sinceMs), this.olderRows(q.sinceMs), this.dailySince(q.sinceMs), q.bucket, this.current());
  }

  async windows(q: { sinceMs: number }): Promise<WindowPoint[]> {
    const out: WindowPoint[] = [];
    for (const e of this.recent(q.sinceMs)) {
      const { fiveHour, weekly, billing, endedAt } = e.r;
      if (fiveHour?.utilization === undefined && weekly?.utilization === undefined) continue;
      out.push({
        t: endedAt,
        fiveHour: fiveHour?.utilization,
        fiveHourResetsAt: fiveHour?.resetsAt,
        weekly: weekly?.utilization,
        weeklyResetsAt: weekly?.resetsAt,
        billing,
      });
    }
    return out;
  }

  async shares(): Promise<CurrentShares> {
    return this.sharesSync();
  }

  /**
   * Current windows and each client's share of them. The shares are cached for a second
   * (admission asks per request); the budgets are read on every call, so a budget changed
   * in the settings shows and applies at once.
   */
  sharesSync(): CurrentShares {
    const now = this.now();
    if (!this.cache || now - this.cache.at >= 1_000) this.cache = { at: now, shares: this.computeShares(now) };
    return withBudgets(this.cache.shares, this.opts.budgets?.() ?? {});
  }

  private computeShares(now: number): CurrentShares {
    const h = this.h.current(now);
    const w = this.w.current(now);
    const startH = h ? (h.resetsAt - FIVE_HOUR_S) * 1000 : now - FIVE_HOUR_S * 1000;
    const byClient = new Map<string, ClientShare>();
    const get = (client: string): ClientShare => {
      let c = byClient.get(client);
      if (!c) byClient.set(client, (c = { client, turns: 0, fiveHour: 0, weekly: 0 }));
      return c;
    };
    // Turn counts: a walk back over the last five hours only.
    for (let i = this.entries.length - 1; i >= 0 && this.entries[i].r.endedAt >= startH; i--) get(this.entries[i].r.client).turns++;
    if (h) for (const [client, share] of this.totals.h.get(h.resetsAt) ?? []) get(client).fiveHour += share;
    if (w) for (const [client, share] of this.totals.w.get(w.resetsAt) ?? []) get(client).weekly += share;
    const clients = [...byClient.values()]
      .map((c) => ({ ...c, fiveHour: Math.round(c.fiveHour * 1e6) / 1e6, weekly: Math.round(c.weekly * 1e6) / 1e6 }))
      .sort((a, b) => b.fiveHour - a.fiveHour || b.weekly - a.weekly || b.turns - a.turns || a.client.localeCompare(b.client));
    const shares: CurrentShares = {
      fiveHour: h ? { utilization: h.utilization, resetsAt: h.resetsAt } : {},
      weekly: w ? { utilization: w.utilization, resetsAt: w.resetsAt } : {},
      clients,
    };
    return shares;
  }

  /** Today's totals (local day), from memory. */
  today(): UsageTotals {
    const t = emptyTotals();
    const day = localDay(this.now());
    const cur = this.current();
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (localDay(e.r.endedAt) !== day) {
        if (e.r.endedAt < this.now() - 86_400_000) break;
        continue;
      }
      addEntry(t, e, cur);
    }
    return t;
  }

  summary(top = 3): LedgerSummary {
    const t = this.today();
    const last = this.entries.at(-1)?.r;
    const clients = this.sharesSync().clients;
    return {
      lastTurn: last ? { billing: last.billing, client: last.client, endedAt: last.endedAt } : undefined,
      turnsToday: t.turns,
      tokensToday: t.inputTokens + t.outputTokens + t.cacheReadInputTokens + t.cacheCreationInputTokens,
      extraUsageTurnsToday: t.extraUsageTurns,
      topClients: clients.filter((c) => c.fiveHour > 0 || c.budgetPercent !== undefined).slice(0, top),
    };
  }

  async close(): Promise<void> {
    clearInterval(this.rollupTimer);
    await this.store.close();
  }

  flushSync(): void {
    this.store.flushSync();
  }
}

function addShare(m: Map<number, Map<string, number>>, win: number, client: string, share: number): void {
  let byClient = m.get(win);
  if (!byClient) m.set(win, (byClient = new Map()));
  byClient.set(client, (byClient.get(client) ?? 0) + share);
}

/** When the ledger began recording: window rises from before are nobody's (see WindowAttributor). */
function readCreatedAt(dir: string, create: boolean, now: number): number {
  const file = path.join(dir, 'meta.json');
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { createdAt?: unknown };
    if (typeof m.createdAt === 'number') return m.createdAt;
  } catch {
    /* missing or unreadable: a new ledger */
  }
  if (create) {
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(file, JSON.stringify({ createdAt: now, version: 1 }));
  }
  return now;
}

/** The shares with each client's budget (clients with a budget and no turns yet included), in any case. */
function withBudgets(shares: CurrentShares, budgets: Record<string, number>): CurrentShares {
  const clients = shares.clients.map((c) => ({ ...c }));
  for (const [name, pct] of Object.entries(budgets)) {
    let known = clients.find((c) => c.client.toLowerCase() === name.toLowerCase());
    if (!known) clients.push((known = { client: name, turns: 0, fiveHour: 0, weekly: 0 }));
    known.budgetPercent = pct;
  }
  return { ...shares, clients };
}
