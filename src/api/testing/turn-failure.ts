/** Test support for the API translators (not used at run time): what a call refused with. */
import { type TurnError, TurnFailure } from '../../turn/types.js';

/** The TurnFailure `fn` throws; anything else it throws is rethrown, and returning fails the test. */
export function failureOf(fn: () => unknown): TurnFailure {
  try {
    fn();
  } catch (e) {
    if (e instanceof TurnFailure) return e;
    throw e;
  }
  throw new Error('expected a TurnFailure');
}

/** The TurnError `fn` fails with. */
export const errorOf = (fn: () => unknown): TurnError => failureOf(fn).error;
