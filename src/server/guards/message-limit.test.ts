import { describe, expect, it } from 'vitest';
import { MAX_MESSAGES, tooManyMessages } from './message-limit.js';

describe('message-count limit', () => {
  it('accepts up to the limit and refuses one more, naming the field', () => {
    const items = (n: number) => Array.from({ length: n }, () => ({}));
    expect(tooManyMessages({ messages: items(MAX_MESSAGES) })).toBeUndefined();
    expect(tooManyMessages({ messages: items(MAX_MESSAGES + 1) })).toMatchObject({ kind: 'invalid_request', param: 'messages', code: 'too_many_messages' });
    expect(tooManyMessages({ input: items(MAX_MESSAGES + 1) })).toMatchObject({ param: 'input' });
    expect(tooManyMessages({ input: 'a string input' })).toBeUndefined();
    expect(tooManyMessages(null)).toBeUndefined();
  });
});
