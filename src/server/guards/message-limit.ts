import type { TurnError } from '../../turn/types.js';

/**
 * The most conversation items one request may carry (`messages`, or `input` for the
 * Responses API). Parsing is linear, but 100,000 items still hold the event loop for a
 * few hundred ms on a loaded machine; no real conversation comes near 10,000 messages
 * (docs/decisions/040-message-count-limit.md).
 */
export const MAX_MESSAGES = 10_000;

/** A 400 naming the field when the body carries more items than MAX_MESSAGES; checked before any parsing work. */
export function tooManyMessages(body: unknown, max = MAX_MESSAGES): TurnError | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  for (const field of ['messages', 'input'] as const) {
    const v = (body as Record<string, unknown>)[field];
    if (Array.isArray(v) && v.length > max) {
      return {
        kind: 'invalid_request',
        param: field,
        code: 'too_many_messages',
        message: `${field} has ${v.length} items; maxproxy accepts at most ${max} per request`,
      };
    }
  }
  return undefined;
}
