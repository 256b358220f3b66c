/**
 * Nesting depth of raw JSON text, measured by one iterative pass over the bytes
 * (no recursion, no parse), so absurd input like a megabyte of `[` is refused in
 * linear time before JSON.parse or any recursive walker downstream sees it.
 * Works on UTF-8 bytes: multi-byte sequences never contain the ASCII bytes it looks
 * at. Brackets inside strings (and escaped quotes) are skipped. Malformed text gets
 * some answer; the JSON parser rejects it afterwards anyway.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * The maximum nesting depth of the JSON text in `bytes` (`{}` is 1, `[[1]]` is 2, a bare
 * scalar 0). Stops scanning as soon as the depth passes `stopAbove`, returning that depth.
 */
export const jsonNestingDepth = (bytes: ArrayLike<number>, stopAbove = Number.POSITIVE_INFINITY): number => {
  let depth = 0;
  let max = 0;
  let inString = false;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH)
        i++; // skip the escaped character (\" or \\ included)
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth > 0) depth--;
    }
  }
  return max;
};

/** True when the JSON text nests deeper than `maxDepth`. */
export const jsonTooDeep = (bytes: ArrayLike<number>, maxDepth: number): boolean => jsonNestingDepth(bytes, maxDepth) > maxDepth;
