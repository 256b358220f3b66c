import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countTurns } from '../../event-loop/testing/turn-counter.js';
import { NotAnObjectError, parseJsonInSlices } from './json-in-slices.js';
import { JsonTooDeepError } from './json-structure.js';

const parse = (text: string | Buffer, slice: number, maxDepth = 64) =>
  parseJsonInSlices(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, { slice, maxDepth });

/** What JSON.parse gives, in body-parser's strict mode (an object or array at the top). */
const reference = (text: string): { value: unknown } | { error: true } => {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' ? { value } : { error: true };
  } catch {
    return { error: true };
  }
};

async function expectSameAsJsonParse(text: string, slice: number): Promise<void> {
  // The bytes a client sends: a lone surrogate in `text` goes out as U+FFFD.
  const want = reference(Buffer.from(text, 'utf8').toString('utf8'));
  let got: { value: unknown } | { error: true };
  try {
    got = { value: await parse(text, slice, 1000) };
  } catch (e) {
    expect(e).toBeInstanceOf(SyntaxError);
    got = { error: true };
  }
  expect(got).toEqual(want);
  // Same key order, duplicate keys and `__proto__` keys included.
  if ('value' in got && 'value' in want) expect(JSON.stringify(got.value)).toBe(JSON.stringify(want.value));
}

const topLevel = fc.oneof(
  fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 6 }), { maxKeys: 8 }),
  fc.array(fc.jsonValue({ maxDepth: 6 }), { maxLength: 8 }),
);

describe('parseJsonInSlices', () => {
  it('equals JSON.parse on arbitrary JSON, whatever the slice size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(topLevel, fc.integer({ min: 1, max: 80 }), fc.boolean(), async (v, slice, pretty) => {
        await expectSameAsJsonParse(pretty ? JSON.stringify(v, null, 2) : JSON.stringify(v), slice);
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses exactly what JSON.parse refuses, on damaged JSON (property)', async () => {
    const damage = fc.tuple(
      topLevel.map((v) => JSON.stringify(v, null, 1)),
      fc.nat(),
      fc.constantFrom('delete', 'insert', 'replace'),
      fc.constantFrom(...'{}[]",:\\ au0e1-.\n\u0001'.split('')),
    );
    await fc.assert(
      fc.asyncProperty(damage, fc.integer({ min: 1, max: 40 }), async ([text, at, how, ch], slice) => {
        const i = text.length ? at % text.length : 0;
        const bad =
          how === 'delete'
            ? text.slice(0, i) + text.slice(i + 1)
            : how === 'insert'
              ? text.slice(0, i) + ch + text.slice(i)
              : text.slice(0, i) + ch + text.slice(i + 1);
        await expectSameAsJsonParse(bad, slice);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['duplicate keys: the last value wins, in the first place', '{"a":1,"b":2,"a":3,"c":{"x":1,"x":[2]}}'],
    ['__proto__ stays a plain key', '{"__proto__":{"polluted":true},"a":[{"__proto__":1}]}'],
    ['surrogate pairs written as escapes, split by cuts', `{"s":"${'\\ud83d\\ude00x'.repeat(40)}","t":"${'é😀'.repeat(30)}"}`],
    ['numbers and literals', '[1,-0,1e400,0.5e-3,true,false,null,"",{},[]]'],
    ['whitespace everywhere', ' \n\t{ "a" :\r\n [ 1 , { "b" : "c" } ] , "d" : "e" } \n'],
  ])('%s', async (_name, text) => {
    for (const slice of [1, 2, 3, 5, 8, 13, 64]) await expectSameAsJsonParse(text, slice);
    const got = (await parse(text, 4)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(got)).toBe(Object.getPrototypeOf(JSON.parse(text)));
  });

  it('skips a UTF-8 byte order mark', async () => {
    expect(await parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":[1,2]}')]), 3)).toEqual({ a: [1, 2] });
  });

  it('refuses a scalar at the top, as body-parser’s strict mode did', async () => {
    for (const text of ['"x"', '1', 'null', 'nope', '']) await expect(parse(text, 4)).rejects.toBeInstanceOf(NotAnObjectError);
  });

  it('refuses nesting past the limit before parsing anything', async () => {
    await expect(parse(`${'['.repeat(65)}${']'.repeat(65)}`, 8, 64)).rejects.toBeInstanceOf(JsonTooDeepError);
    expect(await parse(`${'['.repeat(64)}${']'.repeat(64)}`, 8, 64)).toBeInstanceOf(Array);
    await expect(parse(Buffer.alloc(10 * 1024 * 1024, '['), 64 * 1024, 64)).rejects.toBeInstanceOf(JsonTooDeepError);
  });

  it('parses a large body with every kind of large value', async () => {
    const value = {
      model: 'm',
      messages: Array.from({ length: 3000 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: [{ type: 'text', text: `message ${i} ✓` }] })),
      image: 'QUFB'.repeat(300_000),
      escaped: 'line "one"\n\ttab \\ é 😀 '.repeat(20_000),
      numbers: Array.from({ length: 50_000 }, (_, i) => i / 7),
    };
    const text = JSON.stringify(value);
    expect(await parse(text, 64 * 1024)).toEqual(value);
  });

  it('gives the event loop turns while it works on a large body', async () => {
    const text = JSON.stringify({ items: Array.from({ length: 200_000 }, (_, i) => ({ i, s: `item ${i}` })), big: 'x'.repeat(4_000_000) });
    const counter = countTurns();
    const parsed = parseJsonInSlices(Buffer.from(text), { maxDepth: 64, budgetMs: 0 });
    const got = (await parsed) as { items: unknown[]; big: string };
    const turns = counter.stop();
    expect(got.items).toHaveLength(200_000);
    expect(got.big).toHaveLength(4_000_000);
    // A zero budget yields at every slice: the 4 MB string alone is 61 pieces.
    expect(turns).toBeGreaterThan(60);
  });
});
