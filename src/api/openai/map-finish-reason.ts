/** Canonical stop reasons to Chat Completions' finish_reason. */
import type { StopReason } from '../../turn/types.js';
import type { ChatFinishReason } from './wire-types.js';

const FINISH_REASONS: Record<StopReason, ChatFinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function mapFinishReason(stop: StopReason): ChatFinishReason {
  return FINISH_REASONS[stop];
}
