/**
 * OpenAI's reasoning effort (`reasoning_effort` in Chat Completions, `reasoning.effort`
 * in Responses) on the canonical scale (Claude Code's own levels), shared by api/openai
 * and api/responses. `low`, `medium`, `high` and `xhigh` are the same levels in both;
 * `minimal` has no Claude level and rounds to the nearest, `low`; `none` turns thinking
 * off. The table is in docs/settings.md.
 */
import type { EffortOption, TurnRequest } from '../../turn/types.js';

const EFFORTS: Record<string, EffortOption | 'none'> = {
  none: 'none',
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'xhigh',
};

/** The values a request may send. */
export const OPENAI_EFFORT_VALUES: readonly string[] = Object.keys(EFFORTS);

/** Sets the request's thinking or effort from an already validated OpenAI effort value. */
export function applyOpenAIEffort(request: TurnRequest, effort: string | undefined, field = 'reasoning_effort'): void {
  const mapped = effort === undefined ? undefined : EFFORTS[effort];
  if (mapped === undefined) return;
  if (mapped === 'none') {
    request.thinking = { type: 'disabled' };
    request.settingFields = { ...request.settingFields, thinking: field };
  } else {
    request.effort = mapped;
    request.settingFields = { ...request.settingFields, effort: field };
  }
}
