/**
 * One linear, non-recursive pass over raw JSON bytes that finds what a sliced parse
 * needs (json-in-slices.ts): where every container and string larger than a slice
 * begins and ends, and where a long string may be cut into pieces without splitting
 * an escape or a UTF-8 character. It also refuses nesting deeper than the limit, so
 * a megabyte of `[` never reaches a parser.
 *
 * It is not a validator: malformed text gets some index and the parse rejects it.
 * Works on UTF-8 bytes: multi-byte sequences never contain the ASCII bytes it looks at.
 */
import type { TimeSlicer } from '../../event-loop/time-slicer.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const LOWER_U = 0x75;

/** A string literal longer than a slice: `[start, end)` spans its quotes. */
export interface LongString {
  end: number;
  /** Offsets inside the literal where a piece may start (no escape or character is split). */
  cuts: number[];
  /** Has escapes or control characters: its pieces must go through JSON.parse. */
  escaped: boolean;
}

export interface JsonIndex {
  /** Containers longer than a slice: start offset (`{` or `[`) → end offset (after the bracket). */
  containers: Map<number, number>;
  /** Strings longer than a slice, by the offset of their opening quote. */
  strings: Map<number, LongString>;
  /** The deepest nesting seen (`{}` is 1; scanning stops once it passes the limit). */
  depth: number;
  /** Values in containers, counted as the containers plus the commas between values. */
  items: number;
}

export class JsonTooManyItemsError extends Error {
  readonly type = 'json.too.many.items';
  constructor(readonly maxItems: number) {
    super(`JSON has more than ${maxItems} values`);
  }
}

export class JsonTooDeepError extends Error {
  readonly type = 'json.too.deep';
  constructor(readonly maxDepth: number) {
    super(`JSON nested deeper than ${maxDepth} levels`);
  }
}

/** Bytes scanned between two looks at the clock. */
const STEP = 256 * 1024;

/**
 * Indexes `bytes` from `from`. `slice` is the size above which a container or string is
 * indexed (and the distance between cuts of a long string). Throws JsonTooDeepError past
 * `maxDepth` and JsonTooManyItemsError past `maxItems`. With a `slicer` it yields between steps; without, it runs in one go.
 */
export async function indexJson(
  bytes: Uint8Array,
  opts: { slice: number; maxDepth: number; maxItems?: number; from?: number; slicer?: TimeSlicer },
): Promise<JsonIndex> {
  const { slice, maxDepth } = opts;
  const maxItems = opts.maxItems ?? Number.POSITIVE_INFINITY;
  let items = 0;
  const containers = new Map<number, number>();
  const strings = new Map<number, LongString>();
  const opens = new Int32Array(maxDepth + 1);
  let depth = 0;
  let deepest = 0;
  let inString = false;
  let afterBackslash = false;
  let hexLeft = 0;
  let stringStart = 0;
  let escaped = false;
  let lastCut = 0;
  let cuts: number[] = [];
  const n = bytes.length;
  for (let stepStart = opts.from ?? 0; stepStart < n; stepStart += STEP) {
    const stepEnd = Math.min(n, stepStart + STEP);
    for (let i = stepStart; i < stepEnd; i++) {
      const c = bytes[i];
      if (inString) {
        if (hexLeft > 0) {
          hexLeft--;
          continue;
        }
        if (afterBackslash) {
          afterBackslash = false;
          if (c === LOWER_U) hexLeft = 4;
          continue;
        }
        if (c === QUOTE) {
          inString = false;
          if (i + 1 - stringStart > slice) strings.set(stringStart, { end: i + 1, cuts, escaped });
          continue;
        }
        // A piece may start here: not inside an escape, not on a UTF-8 continuation byte.
        if (i - lastCut >= slice && (c & 0xc0) !== 0x80) {
          cuts.push(i);
          lastCut = i;
        }
        if (c === BACKSLASH) {
          afterBackslash = true;
          escaped = true;
        } else if (c < 0x20) escaped = true;
        continue;
      }
      if (c === QUOTE) {
        inString = true;
        stringStart = i;
        lastCut = i + 1;
        escaped = false;
        cuts = [];
      } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        depth++;
        if (depth > deepest) deepest = depth;
        if (depth > maxDepth) throw new JsonTooDeepError(maxDepth);
        opens[depth] = i;
        if (++items > maxItems) throw new JsonTooManyItemsError(maxItems);
      } else if (c === 0x2c) {
        if (++items > maxItems) throw new JsonTooManyItemsError(maxItems);
      } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
        if (depth > 0) {
          const start = opens[depth];
          if (i + 1 - start > slice) containers.set(start, i + 1);
          depth--;
        }
      }
    }
    await opts.slicer?.pause();
  }
  return { containers, strings, depth: deepest, items };
}
