import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Cooperative time slicing for long synchronous work on the event loop: the work calls
 * `pause()` between small steps and it yields (one setImmediate) once `budgetMs` of
 * work has run since the last yield, so other requests, /health and live streams get
 * their turn. Cheap to call often: it reads the clock, nothing more.
 */
export class TimeSlicer {
  private since = performance.now();

  constructor(readonly budgetMs = 8) {}

  /** Whether the budget of this slice is spent. */
  spent(): boolean {
    return performance.now() - this.since >= this.budgetMs;
  }

  async pause(): Promise<void> {
    if (!this.spent()) return;
    await nextTurn();
    this.since = performance.now();
  }
}
