import type { TurnMessage } from './types.js';

/**
 * Joins consecutive messages of the same role into one (clients send consecutive user
 * messages; the Messages API wants alternation). Inputs are never mutated: a merge
 * makes a new message object, others are passed through.
 */
export function mergeTurns(turns: readonly TurnMessage[]): TurnMessage[] {
  const merged: TurnMessage[] = [];
  for (const turn of turns) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.role === turn.role) {
      merged[merged.length - 1] = { role: last.role, content: [...last.content, ...turn.content] };
    } else {
      merged.push(turn);
    }
  }
  return merged;
}
