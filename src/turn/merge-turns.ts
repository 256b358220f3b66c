import type { ContentBlock, TurnMessage } from './types.js';

/**
 * Joins consecutive messages of the same role into one (clients send consecutive user
 * messages; the Messages API wants alternation). Inputs are never mutated: a merge
 * makes a new message object, others are passed through.
 *
 * Linear in the number of blocks: a run of same-role messages is collected once and
 * joined at its end (copying the accumulated content per message was quadratic, and
 * 20,000 one-line user messages held the event loop for seconds).
 */
export function mergeTurns(turns: readonly TurnMessage[]): TurnMessage[] {
  const merged: TurnMessage[] = [];
  let i = 0;
  while (i < turns.length) {
    const first = turns[i];
    let j = i + 1;
    while (j < turns.length && turns[j].role === first.role) j++;
    if (j === i + 1) merged.push(first);
    else {
      const content: ContentBlock[] = [];
      for (let k = i; k < j; k++) for (const b of turns[k].content) content.push(b);
      merged.push({ role: first.role, content });
    }
    i = j;
  }
  return merged;
}
