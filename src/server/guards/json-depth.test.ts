import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonNestingDepth, jsonTooDeep } from './json-depth.js';

const bytes = (s: string) => Buffer.from(s, 'utf8');

/** Reference depth of a parsed value (recursive; fine for test-sized values). */
const depthOf = (v: unknown): number => {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v !== null && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
};

describe('jsonNestingDepth', () => {
  it.each([
    ['1', 0],
    ['"x"', 0],
    ['{}', 1],
    ['[]', 1],
    ['[[1],[2,[3]]]', 3],
    ['{"a":{"b":[{}]}}', 4],
    ['{"a":"[[[[[[["}', 1],
    ['{"a":"\\"[[[[","b":[1]}', 2],
    ['{"a":"\\\\","b":[[1]]}', 3],
    ['{"é€😀":["[{"]}', 2],
  ])('%s → %d', (text, want) => {
    expect(jsonNestingDepth(bytes(text))).toBe(want);
  });

  it('matches the parsed depth on arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 8 }), (text) => {
        expect(jsonNestingDepth(bytes(text))).toBe(depthOf(JSON.parse(text)));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses 10 MB of "[" quickly, without recursion', () => {
    const big = Buffer.alloc(10 * 1024 * 1024, '[');
    const t0 = performance.now();
    expect(jsonTooDeep(big, 64)).toBe(true);
    expect(jsonNestingDepth(big)).toBe(big.length);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('allows exactly maxDepth', () => {
    const at = '['.repeat(64) + ']'.repeat(64);
    expect(jsonTooDeep(bytes(at), 64)).toBe(false);
    expect(jsonTooDeep(bytes(`[${at}]`), 64)).toBe(true);
  });
});
