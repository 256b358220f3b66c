/**
 * JSON.parse for request bodies of any size that never holds the event loop for long.
 *
 * One JSON.parse of a 30 MB body blocks the daemon for 100–500 ms (measured; more on a
 * loaded machine), and a worker thread does not help: handing the parsed value back
 * costs as much as parsing it. So the body is parsed here in slices on the main thread:
 * json-structure.ts indexes every container and string larger than a slice, and this
 * walks only those, handing each run of smaller values (up to a slice of text) to the
 * native JSON.parse and decoding long strings piece by piece. Between slices it yields
 * (TimeSlicer), so each block of work stays within a few milliseconds.
 *
 * The result equals JSON.parse of the same text (property-tested), including duplicate
 * keys (last wins) and `__proto__` as a plain own key; text JSON.parse refuses is refused
 * with a SyntaxError. A leading UTF-8 BOM is skipped, as body-parser did.
 */

import { TimeSlicer } from '../../event-loop/time-slicer.js';
import { indexJson, type JsonIndex, type LongString } from './json-structure.js';

export interface SlicedParseOptions {
  maxDepth: number;
  /** Most values (containers and the commas between values) a body may hold. */
  maxItems?: number;
  /** Largest text handed to one JSON.parse, and the piece size of long strings (default 64 KiB). */
  slice?: number;
  /** Work between two yields, in ms (default 8). */
  budgetMs?: number;
}

export const DEFAULT_SLICE_BYTES = 64 * 1024;

/** body-parser's strict mode: only an object or an array at the top. */
export class NotAnObjectError extends SyntaxError {}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

const setOwn = (o: Record<string, unknown>, k: string, v: unknown): void => {
  // Plain assignment to `__proto__` would replace the prototype; JSON.parse makes it a key.
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
};

/** One member of a container: a value, or for an object a key and its value. */
interface Member {
  start: number;
  end: number;
  large: boolean;
  keyEnd?: number;
  valueStart?: number;
}

class SlicedParser {
  constructor(
    private readonly b: Buffer,
    private readonly index: JsonIndex,
    private readonly slicer: TimeSlicer,
    private readonly slice: number,
  ) {}

  private fail(at: number, what: string): never {
    throw new SyntaxError(`${what} at byte ${at}`);
  }

  skipSpace(p: number, end: number): number {
    while (p < end && isSpace(this.b[p])) p++;
    return p;
  }

  /** Native parse of a small run of text, with its offset in errors. */
  private native(text: string, at: number): unknown {
    try {
      return JSON.parse(text);
    } catch (e) {
      this.fail(at, (e as Error).message);
    }
  }

  /** Whether the value at `p` is indexed (larger than a slice). */
  private isLarge(p: number): boolean {
    return this.index.containers.has(p) || this.index.strings.has(p);
  }

  /** End of the small value at `p` (not indexed, so shorter than a slice). */
  private endOfSmall(p: number, end: number): number {
    const b = this.b;
    const c = b[p];
    if (c === 0x22) return this.endOfString(p, end);
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      for (let i = p; i < end; i++) {
        const x = b[i];
        if (x === 0x22) i = this.endOfString(i, end) - 1;
        else if (x === 0x7b || x === 0x5b) depth++;
        else if (x === 0x7d || x === 0x5d) {
          depth--;
          if (depth === 0) return i + 1;
        }
      }
      this.fail(p, 'Unterminated container');
    }
    let i = p;
    while (i < end) {
      const x = b[i];
      if (x === 0x2c || x === 0x5d || x === 0x7d || x === 0x3a || isSpace(x)) break;
      i++;
    }
    if (i === p) this.fail(p, 'Expected a value');
    return i;
  }

  private endOfString(p: number, end: number): number {
    const b = this.b;
    for (let i = p + 1; i < end; i++) {
      const x = b[i];
      if (x === 0x5c) i++;
      else if (x === 0x22) return i + 1;
    }
    this.fail(p, 'Unterminated string');
  }

  endOf(p: number, end: number): number {
    const big = this.index.containers.get(p) ?? this.index.strings.get(p)?.end;
    if (big !== undefined) {
      if (big > end) this.fail(p, 'Unbalanced brackets');
      return big;
    }
    return this.endOfSmall(p, end);
  }

  async value(p: number, end: number): Promise<unknown> {
    const s = this.index.strings.get(p);
    if (s) return this.longString(p, s);
    const c = this.b[p];
    if (this.index.containers.has(p)) return c === 0x5b ? this.array(p, end) : this.object(p, end);
    await this.slicer.pause();
    return this.native(this.b.toString('utf8', p, end), p);
  }

  private async longString(p: number, s: LongString): Promise<string> {
    const bounds = [p + 1, ...s.cuts, s.end - 1];
    const pieces: string[] = [];
    for (let k = 0; k + 1 < bounds.length; k++) {
      await this.slicer.pause();
      const raw = this.b.toString('utf8', bounds[k], bounds[k + 1]);
      // Pieces never split an escape, so each is a string literal of its own; surrogate
      // pairs written as two \u escapes rejoin when the pieces are concatenated.
      pieces.push(s.escaped ? (this.native(`"${raw}"`, bounds[k]) as string) : raw);
    }
    return pieces.join('');
  }

  /**
   * Walks the members of a large container: runs of small members (up to a slice of text)
   * go to `run` as one text for one native parse, large ones to `large` one at a time.
   */
  private async walk(
    start: number,
    end: number,
    close: number,
    member: (p: number, last: number) => Member,
    run: (text: string, at: number) => void,
    large: (m: Member) => Promise<void>,
  ): Promise<void> {
    const b = this.b;
    const closer = String.fromCharCode(close);
    if (b[end - 1] !== close) this.fail(end - 1, `Expected "${closer}"`);
    const last = end - 1;
    let p = this.skipSpace(start + 1, last);
    if (p === last) return;
    let runStart = -1;
    let runEnd = -1;
    const flush = async () => {
      if (runStart < 0) return;
      await this.slicer.pause();
      run(this.b.toString('utf8', runStart, runEnd), runStart);
      runStart = -1;
    };
    for (;;) {
      const m = member(p, last);
      if (m.large) {
        await flush();
        await large(m);
      } else {
        if (runStart < 0) runStart = p;
        runEnd = m.end;
        if (runEnd - runStart >= this.slice) await flush();
      }
      p = this.skipSpace(m.end, last);
      if (p === last) break;
      if (b[p] !== 0x2c) this.fail(p, `Expected "," or "${closer}"`);
      p = this.skipSpace(p + 1, last);
    }
    await flush();
  }

  private async array(start: number, end: number): Promise<unknown[]> {
    const out: unknown[] = [];
    await this.walk(
      start,
      end,
      0x5d,
      (p, last) => {
        if (p >= last) this.fail(p, 'Expected a value');
        return { start: p, end: this.endOf(p, last), large: this.isLarge(p) };
      },
      (text, at) => {
        for (const v of this.native(`[${text}]`, at) as unknown[]) out.push(v);
      },
      async (m) => {
        out.push(await this.value(m.start, m.end));
      },
    );
    return out;
  }

  private async object(start: number, end: number): Promise<Record<string, unknown>> {
    const b = this.b;
    const out: Record<string, unknown> = {};
    await this.walk(
      start,
      end,
      0x7d,
      (p, last) => {
        if (p >= last || b[p] !== 0x22) this.fail(p, 'Expected a string key');
        const keyEnd = this.endOf(p, last);
        let v = this.skipSpace(keyEnd, last);
        if (b[v] !== 0x3a) this.fail(v, 'Expected ":"');
        v = this.skipSpace(v + 1, last);
        if (v >= last) this.fail(v, 'Expected a value');
        return { start: p, end: this.endOf(v, last), large: this.isLarge(p) || this.isLarge(v), keyEnd, valueStart: v };
      },
      (text, at) => {
        const members = this.native(`{${text}}`, at) as Record<string, unknown>;
        for (const k of Object.keys(members)) setOwn(out, k, members[k]);
      },
      async (m) => {
        const key = (await this.value(m.start, m.keyEnd as number)) as string;
        setOwn(out, key, await this.value(m.valueStart as number, m.end));
      },
    );
    return out;
  }
}

/** Parses a request body: an object or array at the top (else NotAnObjectError), depth-checked. */
export async function parseJsonInSlices(body: Buffer, opts: SlicedParseOptions): Promise<unknown> {
  const slice = opts.slice ?? DEFAULT_SLICE_BYTES;
  const slicer = new TimeSlicer(opts.budgetMs);
  const from = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  const index = await indexJson(body, { slice, maxDepth: opts.maxDepth, maxItems: opts.maxItems, from, slicer });
  const parser = new SlicedParser(body, index, slicer, slice);
  const p = parser.skipSpace(from, body.length);
  if (body[p] !== 0x7b && body[p] !== 0x5b) {
    // Let JSON.parse word the error for text that is not JSON at all.
    const head = body.toString('utf8', p, Math.min(body.length, p + 64));
    try {
      JSON.parse(head);
    } catch (e) {
      throw new NotAnObjectError((e as Error).message);
    }
    throw new NotAnObjectError(`a JSON object or array was expected, not ${JSON.stringify(head.slice(0, 20))}`);
  }
  // A value smaller than a slice has its end found by a short scan (or the scan fails
  // on text that never closes, without handing megabytes of it to JSON.parse).
  const end = parser.endOf(p, body.length);
  if (parser.skipSpace(end, body.length) !== body.length) throw new SyntaxError(`Unexpected text after the JSON value at byte ${end}`);
  return parser.value(p, end);
}
