import type { TurnRecord, WindowReading } from '../turn/turn-record.js';

/**
 * Keeps the ledger's week of turns small in memory. Each turn arrives with its own copies
 * of names that recur turn after turn (client, endpoint, the models, the session, the error
 * kind) and of window readings that change only when Claude Code reports a new step; a busy
 * week holds tens of thousands of turns, so each recurring value is held once. Values are
 * unchanged: only copies are shared (records are never mutated once recorded).
 */
export class RecordCompactor {
  private strings = new Map<string, string>();
  private fiveHour?: WindowReading;
  private weekly?: WindowReading;

  compact(r: TurnRecord): TurnRecord {
    const out: TurnRecord = {
      ...r,
      sessionId: this.intern(r.sessionId),
      client: this.intern(r.client),
      endpoint: this.intern(r.endpoint),
      modelRequested: this.intern(r.modelRequested),
      modelServed: this.intern(r.modelServed),
    };
    if (r.errorKind !== undefined) out.errorKind = this.intern(r.errorKind);
    if (r.fiveHour) out.fiveHour = this.fiveHour = sameReading(this.fiveHour, r.fiveHour) ? this.fiveHour : { ...r.fiveHour };
    if (r.weekly) out.weekly = this.weekly = sameReading(this.weekly, r.weekly) ? this.weekly : { ...r.weekly };
    return out;
  }

  /** How many distinct names the table holds (it grows with the sessions until the next clear). */
  get size(): number {
    return this.strings.size;
  }

  /** Forgets the table (the ledger's rollup): names of sessions long gone are not kept for ever. */
  clear(): void {
    this.strings = new Map();
  }

  private intern<S extends string>(s: S): S {
    const held = this.strings.get(s);
    if (held !== undefined) return held as S;
    this.strings.set(s, s);
    return s;
  }
}

function sameReading(a: WindowReading | undefined, b: WindowReading): a is WindowReading {
  return (
    a !== undefined &&
    a.utilization === b.utilization &&
    a.resetsAt === b.resetsAt &&
    'utilization' in a === 'utilization' in b &&
    'resetsAt' in a === 'resetsAt' in b
  );
}
