import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexJson, JsonTooDeepError } from './json-structure.js';

const bytes = (s: string) => Buffer.from(s, 'utf8');
const depthOf = async (text: string) => (await indexJson(bytes(text), { slice: 16, maxDepth: 1000 })).depth;

/** Reference depth of a parsed value (recursive; fine for test-sized values). */
const parsedDepth = (v: unknown): number => {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(parsedDepth));
  if (v !== null && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(parsedDepth));
  return 0;
};

describe('indexJson', () => {
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
    ['{"a":"\\u005b[["}', 1],
  ])('%s nests %d deep', async (text, want) => {
    expect(await depthOf(text)).toBe(want);
  });

  it('matches the parsed depth on arbitrary JSON (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.json({ maxDepth: 8 }), async (text) => {
        expect(await depthOf(text)).toBe(parsedDepth(JSON.parse(text)));
      }),
      { numRuns: 500 },
    );
  });

  it('stops at the first level past the limit: 10 MB of "[" is refused, exactly maxDepth is not', async () => {
    await expect(indexJson(Buffer.alloc(10 * 1024 * 1024, '['), { slice: 64, maxDepth: 64 })).rejects.toBeInstanceOf(JsonTooDeepError);
    const at = '['.repeat(64) + ']'.repeat(64);
    expect((await indexJson(bytes(at), { slice: 64, maxDepth: 64 })).depth).toBe(64);
    await expect(indexJson(bytes(`[${at}]`), { slice: 64, maxDepth: 64 })).rejects.toBeInstanceOf(JsonTooDeepError);
  });

  it('indexes exactly the containers and strings longer than a slice, with cuts that split no escape or character', async () => {
    const long = `${'é'.repeat(10)}\\u00e9\\n${'a'.repeat(10)}`;
    const text = `{"small":[1,2],"big":[1,2,3,4,5,6,7,8,9],"s":"${long}"}`;
    const index = await indexJson(bytes(text), { slice: 12, maxDepth: 64 });
    const at = (needle: string) => bytes(text.slice(0, text.indexOf(needle))).length;
    expect([...index.containers]).toEqual([
      [at('[1,2,3'), at('[1,2,3') + '[1,2,3,4,5,6,7,8,9]'.length],
      [0, bytes(text).length],
    ]);
    const s = index.strings.get(at(`"${long}`));
    expect(s?.escaped).toBe(true);
    expect(s?.end).toBe(bytes(text).length - 1);
    // Every piece between cuts is a complete string literal of its own.
    const b = bytes(text);
    const bounds = [at(`"${long}`) + 1, ...(s?.cuts ?? []), (s?.end ?? 0) - 1];
    expect(bounds.length).toBeGreaterThan(2);
    const pieces = bounds.slice(1).map((end, k) => JSON.parse(`"${b.toString('utf8', bounds[k], end)}"`) as string);
    expect(pieces.join('')).toBe(JSON.parse(`"${long}"`));
  });
});
