import { describe, expect, it } from 'vitest';
import { mergeTurns } from './merge-turns.js';
import type { TurnMessage } from './types.js';

const user = (t: string): TurnMessage => ({ role: 'user', content: [{ type: 'text', text: t }] });
const assistant = (t: string): TurnMessage => ({ role: 'assistant', content: [{ type: 'text', text: t }] });

describe('mergeTurns', () => {
  it('joins runs of the same role, keeps single messages as they are, never mutates its input', () => {
    const a = user('a');
    const input = [a, user('b'), assistant('x'), user('c')];
    const copy = structuredClone(input);
    const out = mergeTurns(input);
    expect(out).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
      assistant('x'),
      user('c'),
    ]);
    expect(out[1]).toBe(input[2]);
    expect(input).toEqual(copy);
    expect(a.content).toHaveLength(1);
  });

  it('is linear: 100,000 consecutive messages merge at once (the old copy-per-message merge took over 10 minutes)', () => {
    const n = 100_000;
    const out = mergeTurns(Array.from({ length: n }, (_, i) => user(`u${i}`)));
    expect(out).toHaveLength(1);
    expect(out[0].content).toHaveLength(n);
    expect(out[0].content[n - 1]).toEqual({ type: 'text', text: `u${n - 1}` });
  }, 60_000);
});
