import type { Usage } from '../turn/types.js';

/** Seconds in each window: a reading's window started `span` before its reset. */
export const FIVE_HOUR_S = 5 * 3600;
export const WEEK_S = 7 * 86400;

/**
 * How much a turn is likely to weigh in the plan's windows: tokens weighted like their
 * price (output 5×, cache writes 1.25×, cache reads 0.1× an input token), since the
 * plan's limits are believed to follow cost, not raw token counts.
 */
export const turnWeight = (u: Usage): number => u.inputTokens + 5 * u.outputTokens + 1.25 * u.cacheCreationInputTokens + 0.1 * u.cacheReadInputTokens;

export interface Reading {
  /** 0..1 */
  utilization: number;
  /** Epoch seconds: identifies the window. */
  resetsAt: number;
}

export interface Attribution {
  /** Part of the window (0..1) attributed to the turn. */
  share: number;
  /** The window it belongs to (its resetsAt, epoch s). */
  window: number;
}

interface Pending<T> {
  item: T;
  endedAt: number;
  weight: number;
}

/**
 * Attributes the rises of one window's utilisation to the turns that caused them
 * (method and error: docs/usage.md). Fed turns in the order they ended, each with the
 * reading Claude Code reported after it (if any):
 * - a rise within the window is split over the turns since the previous rise (the one
 *   reporting it included), by `turnWeight`; turns that moved nothing visible wait for
 *   the next rise, because utilisation is reported in coarse steps;
 * - a new window (a later reset) starts from 0, if the ledger was recording when it
 *   began; otherwise its first reading is only a baseline (usage from before maxproxy
 *   recorded is not anyone's).
 */
export class WindowAttributor<T> {
  private prev?: Reading;
  private pending: Array<Pending<T>> = [];

  constructor(
    private readonly spanS: number,
    /** Epoch ms since when every turn is known (the ledger's first record). */
    private readonly coveredSinceMs: number,
  ) {}

  push(item: T, endedAt: number, weight: number, reading: Reading | undefined): Array<[T, Attribution]> {
    this.pending.push({ item, endedAt, weight: Math.max(0, weight) });
    // Turns older than the window can never be part of a later rise in it.
    const oldest = endedAt - this.spanS * 1000;
    if (this.pending.length > 64 && this.pending[0].endedAt < oldest) this.pending = this.pending.filter((p) => p.endedAt >= oldest);
    if (!reading) return [];
    const prev = this.prev;
    const startMs = (reading.resetsAt - this.spanS) * 1000;
    let rise: number;
    if (!prev || reading.resetsAt > prev.resetsAt + 60) {
      // A window we have not seen before.
      this.pending = this.pending.filter((p) => p.endedAt >= startMs);
      rise = startMs >= this.coveredSinceMs - 60_000 ? reading.utilization : 0;
    } else {
      rise = reading.utilization - prev.utilization;
    }
    if (prev && reading.resetsAt < prev.resetsAt - 60) return []; // a stale reading from a slower process
    this.prev = reading;
    if (rise <= 1e-9) {
      if (rise < 0 || !prev) this.pending = [];
      return [];
    }
    const batch = this.pending;
    this.pending = [];
    const total = batch.reduce((s, p) => s + p.weight, 0);
    return batch.map((p) => [p.item, { share: total > 0 ? (rise * p.weight) / total : rise / batch.length, window: reading.resetsAt }]);
  }

  /** The latest reading, if its window has not reset yet. */
  current(nowMs: number): Reading | undefined {
    return this.prev && this.prev.resetsAt * 1000 > nowMs ? this.prev : undefined;
  }
}
