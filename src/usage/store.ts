import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { writeFileAtomicSync } from '../store/atomic-write.js';
import type { TurnRecord } from '../turn/turn-record.js';
import { type DailyRow, dayStart, isDailyRow, isTurnRow, localDay, type TurnRow, toRow } from './rows.js';

const SEGMENT = /^turns-(\d{4}-\d{2}-\d{2})\.jsonl$/;
const DAILY = 'daily.jsonl';

export interface UsageStoreOptions {
  /** <data-dir>/usage */
  dir: string;
  /** How often buffered rows are written and fsynced; at most this much is lost to a crash. */
  flushMs?: number;
  /** Readers (`maxproxy usage`) never create, repair or write anything. */
  readOnly?: boolean;
  log?: Logger;
}

/**
 * The usage ledger's store: append-only JSON lines, one segment file per local day
 * (`turns-YYYY-MM-DD.jsonl`), plus `daily.jsonl` with the totals of days past retention.
 * Appends are buffered in memory (the request path only pushes a string) and written
 * with one write + fdatasync per flush, every `flushMs` (250 ms): a SIGKILL loses at
 * most the rows of that interval. A crash mid-write can only tear the last line, which
 * readers skip and the writer fences off with a newline on open. Why not a database:
 * docs/decisions/020-usage-store.md.
 */
export class UsageStore {
  readonly dir: string;
  private readonly flushMs: number;
  private buffer = new Map<string, string[]>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly fenced = new Set<string>();

  constructor(private readonly opts: UsageStoreOptions) {
    this.dir = opts.dir;
    this.flushMs = opts.flushMs ?? 250;
    if (!opts.readOnly) fs.mkdirSync(this.dir, { recursive: true });
  }

  /** Queues one turn; it reaches the disk within `flushMs`. Cheap: no I/O here. */
  append(r: TurnRecord): void {
    if (this.closed || this.opts.readOnly) return;
    const seg = `turns-${localDay(r.endedAt)}.jsonl`;
    let rows = this.buffer.get(seg);
    if (!rows) this.buffer.set(seg, (rows = []));
    rows.push(JSON.stringify(toRow(r)));
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushMs);
  }

  /** Writes and fsyncs everything queued so far. */
  flush(): Promise<void> {
    const batch = this.buffer;
    this.buffer = new Map();
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  private async write(batch: Map<string, string[]>): Promise<void> {
    for (const [seg, rows] of batch) {
      const file = path.join(this.dir, seg);
      try {
        const fh = await fs.promises.open(file, 'a+');
        try {
          const prefix = this.fenced.has(seg) ? '' : await tornFence(fh);
          this.fenced.add(seg);
          await fh.write(`${prefix}${rows.join('\n')}\n`);
          await fh.datasync();
        } finally {
          await fh.close();
        }
      } catch (e) {
        this.opts.log?.error({ err: (e as Error).message, file, rows: rows.length }, 'usage ledger: rows not written');
      }
    }
  }

  /** Synchronous flush for shutdown paths that cannot wait. */
  flushSync(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = new Map();
    for (const [seg, rows] of batch) {
      const file = path.join(this.dir, seg);
      try {
        const fd = fs.openSync(file, 'a+');
        try {
          const size = fs.fstatSync(fd).size;
          let prefix = '';
          if (size > 0 && !this.fenced.has(seg)) {
            const b = Buffer.alloc(1);
            fs.readSync(fd, b, 0, 1, size - 1);
            if (b[0] !== 0x0a) prefix = '\n';
          }
          this.fenced.add(seg);
          fs.writeSync(fd, `${prefix}${rows.join('\n')}\n`);
          fs.fdatasyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      } catch (e) {
        this.opts.log?.error({ err: (e as Error).message, file }, 'usage ledger: rows not written');
      }
    }
  }

  async close(): Promise<void> {
    await this.flush();
    await this.flushing;
    this.closed = true;
  }

  /** Days with a segment, oldest first. */
  days(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .map((n) => SEGMENT.exec(n)?.[1])
      .filter((d): d is string => !!d)
      .sort();
  }

  /** Turn rows that ended at or after `sinceMs` (and before `untilMs`), oldest segment first. */
  readRows(sinceMs: number, untilMs = Number.POSITIVE_INFINITY): TurnRow[] {
    const first = localDay(sinceMs);
    const out: TurnRow[] = [];
    for (const day of this.days()) {
      if (day < first || dayStart(day) >= untilMs) continue;
      for (const row of readLines(path.join(this.dir, `turns-${day}.jsonl`), isTurnRow)) {
        if (row.e >= sinceMs && row.e < untilMs) out.push(row);
      }
    }
    return out;
  }

  readDaily(): DailyRow[] {
    return readLines(path.join(this.dir, DAILY), isDailyRow);
  }

  /**
   * Folds segments of days before `cutoffDay` into daily totals and deletes them.
   * Idempotent: a crash between writing the totals and deleting the segment makes the
   * next run replace that day's totals, never count it twice.
   */
  rollup(cutoffDay: string): number {
    if (this.opts.readOnly) return 0;
    const old = this.days().filter((d) => d < cutoffDay);
    if (!old.length) return 0;
    const rolled = new Set(old);
    const keep = this.readDaily().filter((r) => !rolled.has(r.day));
    const totals = new Map<string, DailyRow>();
    for (const day of old) {
      for (const row of readLines(path.join(this.dir, `turns-${day}.jsonl`), isTurnRow)) {
        const key = `${day}\u0000${row.c}\u0000${row.M}\u0000${row.b}`;
        let t = totals.get(key);
        if (!t) totals.set(key, (t = { day, c: row.c, m: row.M, b: row.b, n: 0, u: [0, 0, 0, 0] }));
        t.n++;
        for (let i = 0; i < 4; i++) t.u[i] += row.u[i] ?? 0;
      }
    }
    const file = path.join(this.dir, DAILY);
    writeFileAtomicSync(file, [...keep, ...totals.values()].map((r) => `${JSON.stringify(r)}\n`).join(''));
    for (const day of old) fs.rmSync(path.join(this.dir, `turns-${day}.jsonl`), { force: true });
    return old.length;
  }

  /** Bytes of all files of the store (bench). */
  bytes(): number {
    let n = 0;
    for (const f of fs.readdirSync(this.dir)) n += fs.statSync(path.join(this.dir, f)).size;
    return n;
  }
}

/** '\n' when the file ends in a torn line (a crash mid-write), so the next row starts clean. */
async function tornFence(fh: fs.promises.FileHandle): Promise<string> {
  const { size } = await fh.stat();
  if (size === 0) return '';
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, size - 1);
  return b[0] === 0x0a ? '' : '\n';
}

/** Parses JSON lines, skipping any that do not parse (a torn last line) or do not fit. */
function readLines<T>(file: string, ok: (x: unknown) => x is T): T[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  // Fast path: the whole file as one JSON array (one parse instead of one per line, ~2x faster).
  const body = text.trimEnd();
  if (body) {
    try {
      const all = JSON.parse(`[${body.replace(/\n/g, ',')}]`) as unknown[];
      return all.filter(ok);
    } catch {
      /* a torn or foreign line somewhere: line by line below */
    }
  }
  const out: T[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      try {
        const x: unknown = JSON.parse(text.slice(start, end));
        if (ok(x)) out.push(x);
      } catch {
        /* torn or foreign line: skipped */
      }
    }
    start = end + 1;
  }
  return out;
}
