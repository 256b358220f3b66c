/**
 * Warm spares: started, initialised CLI processes kept for new conversations, one per
 * request shape (system prompt + tools + output schema + model), so a new conversation
 * skips the CLI's start-up. A spare cannot change shape once started (the system prompt
 * goes in with the CLI's initialize request), so the policy decides which shapes deserve
 * one (docs/decisions/045-spares-for-recurring-shapes.md):
 *
 * - with room in the pool, any shape that just started a conversation gets a spare;
 * - with the pool full, a shape takes the place of the spare whose shape started the
 *   fewest conversations, and only when it has started more: one-off shapes never push
 *   out a spare that is being used, and two shapes never take turns replacing each other.
 *
 * Measured with `bench/spares.ts`: 10 conversations with 10 different system prompts
 * started 20 CLIs before (each new shape replaced the single spare, never claimed), 11 now.
 */
export interface Spare {
  state: string;
  lastUsed: number;
  close(): void;
  onClosed(fn: () => void): void;
}

export class SparePool<S extends Spare> {
  private readonly spares = new Map<string, S>();
  /** New conversations started per shape (most recent last), bounded. */
  private readonly starts = new Map<string, number>();
  /** Spares started so far (for the bench and /metrics). */
  started = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxTracked = 256,
  ) {}

  get size(): number {
    return this.spares.size;
  }

  /** Claims the spare of this shape if there is a usable one; counts the conversation either way. */
  take(key: string): S | undefined {
    const n = (this.starts.get(key) ?? 0) + 1;
    this.starts.delete(key);
    this.starts.set(key, n);
    while (this.starts.size > this.maxTracked) this.starts.delete(this.starts.keys().next().value as string);
    const s = this.spares.get(key);
    this.spares.delete(key);
    if (s && (s.state === 'idle' || s.state === 'starting')) return s;
    s?.close();
    return undefined;
  }

  /** Starts a spare for this shape when the policy above says so. */
  replenish(key: string, spawn: () => S): void {
    if (this.capacity <= 0 || this.spares.has(key)) return;
    if (this.spares.size >= this.capacity) {
      const mine = this.starts.get(key) ?? 0;
      let victim: string | undefined;
      for (const k of this.spares.keys()) if (victim === undefined || (this.starts.get(k) ?? 0) < (this.starts.get(victim) ?? 0)) victim = k;
      if (victim === undefined || mine <= (this.starts.get(victim) ?? 0)) return;
      const old = this.spares.get(victim);
      this.spares.delete(victim);
      old?.close();
    }
    const spare = spawn();
    this.started++;
    this.spares.set(key, spare);
    spare.onClosed(() => {
      if (this.spares.get(key) === spare) this.spares.delete(key);
    });
  }

  /** Spares unused for longer than `idleMs` go. */
  evictIdle(now: number, idleMs: number): void {
    for (const [key, spare] of [...this.spares]) {
      if (now - spare.lastUsed > idleMs) {
        this.spares.delete(key);
        spare.close();
      }
    }
  }

  closeAll(): void {
    for (const s of this.spares.values()) s.close();
    this.spares.clear();
  }
}
