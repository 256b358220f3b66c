/**
 * Test support for the request parsers' property tests (not used at run time): JSON of any
 * shape, biased towards the words and keys a parser looks for so that bodies get past its
 * first checks, and the property itself: accepted, or refused the canonical way.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { type TurnError, TurnFailure } from '../../turn/types.js';

/** Values of every JSON type, a little nested, with a bias towards the given strings and object keys. */
export function looseJson(words: readonly string[], keys: readonly string[]): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(fc.constantFrom(...words), fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
  return fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 3 }), tie('object')),
    object: fc.dictionary(fc.constantFrom(...keys), tie('value'), { maxKeys: 5 }),
  })).value;
}

/** `usually(good)`: mostly `good` (`weight` to 1), sometimes anything from `loose`. */
export const usuallyOr =
  (loose: fc.Arbitrary<unknown>, weight: number) =>
  <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
    fc.oneof({ arbitrary: good, weight }, { arbitrary: loose, weight: 1 });

/** True when `parse` accepted the body; a refusal must be a TurnFailure of one of `kinds`, with a message. */
export function acceptedOrRefused(parse: (body: unknown) => unknown, body: unknown, kinds: readonly TurnError['kind'][] = ['invalid_request']): boolean {
  try {
    parse(body);
    return true;
  } catch (e) {
    expect(e).toBeInstanceOf(TurnFailure);
    const err = (e as TurnFailure).error;
    expect(kinds).toContain(err.kind);
    expect(err.message.length).toBeGreaterThan(0);
    return false;
  }
}

/** Asserts `check` on `numRuns` generated bodies; returns how many it accepted. */
export function countAccepted<T>(bodies: fc.Arbitrary<T>, check: (body: T) => boolean, numRuns: number): number {
  let accepted = 0;
  fc.assert(
    fc.property(bodies, (body) => {
      if (check(body)) accepted++;
    }),
    { numRuns },
  );
  return accepted;
}
