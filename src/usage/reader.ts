import type { BillingPath, TurnOutcomeStatus, TurnRecord } from '../turn/turn-record.js';

/**
 * What the usage ledger answers: the contract between the ledger (its store and
 * attribution) and everything that shows usage (`maxproxy usage`, the tray, `/metrics`,
 * the dashboard). Shares are fractions (0..1) of a window's utilisation attributed to
 * the turns in the group; budgets are percent of the 5-hour window.
 */
export type GroupBy = 'client' | 'model' | 'day' | 'hour' | 'path';

export interface UsageTotals {
  turns: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  /** Turns Claude Code reported as billed to extra usage. */
  extraUsageTurns: number;
  /** Share of the current 5-hour window's utilisation attributed to these turns (0..1 of the window). */
  fiveHourShare: number;
  /** Share of the current weekly window's utilisation attributed to these turns (0..1 of the window). */
  weeklyShare: number;
}

export interface UsageGroup extends UsageTotals {
  /** Client name as the tray shows it, model id, local day (YYYY-MM-DD), hour (YYYY-MM-DDTHH), or billing path. */
  key: string;
}

/** One client's totals in one time bucket (stacked charts). */
export interface SeriesPoint extends UsageTotals {
  /** Bucket start, epoch ms. */
  t: number;
  client: string;
}

/** A utilisation reading Claude Code reported after a turn (fractions 0..1; resets in epoch s). */
export interface WindowPoint {
  /** Epoch ms. */
  t: number;
  fiveHour?: number;
  fiveHourResetsAt?: number;
  weekly?: number;
  weeklyResetsAt?: number;
  billing: BillingPath;
}

export interface ClientShare {
  client: string;
  turns: number;
  fiveHour: number;
  weekly: number;
  /** The client's budget, percent of the 5-hour window, when one is set. */
  budgetPercent?: number;
}

export interface CurrentShares {
  fiveHour: { utilization?: number; resetsAt?: number };
  weekly: { utilization?: number; resetsAt?: number };
  clients: ClientShare[];
}

export interface RecentTurnsQuery {
  limit: number;
  client?: string;
  status?: TurnOutcomeStatus;
  /** Epoch ms. */
  sinceMs?: number;
}

export interface UsageReader {
  /** Newest first. */
  recentTurns(q: RecentTurnsQuery): Promise<TurnRecord[]>;
  groups(q: { sinceMs: number; by: GroupBy }): Promise<UsageGroup[]>;
  series(q: { sinceMs: number; bucket: 'hour' | 'day' }): Promise<SeriesPoint[]>;
  windows(q: { sinceMs: number }): Promise<WindowPoint[]>;
  shares(): Promise<CurrentShares>;
}
