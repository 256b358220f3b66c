/**
 * OpenAI's reasoning effort (`reasoning_effort` in Chat Completions, `reasoning.effort`
 * in Responses) on the canonical scale, shared by api/openai and api/responses:
 * `none` turns thinking off, `minimal` rounds up to low, `xhigh` to max.
 */
import type { EffortOption, TurnRequest } from '../../turn/types.js';

const EFFORTS: Record<string, EffortOption | 'none'> = {
  none: 'none',
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'max',
};

/** The values a request may send. */
export const OPENAI_EFFORT_VALUES: readonly string[] = Object.keys(EFFORTS);

/** Sets the request's thinking or effort from an already validated OpenAI effort value. */
export function applyOpenAIEffort(request: TurnRequest, effort: string | undefined): void {
  const mapped = effort === undefined ? undefined : EFFORTS[effort];
  if (mapped === 'none') request.thinking = { type: 'disabled' };
  else if (mapped !== undefined) request.effort = mapped;
}
