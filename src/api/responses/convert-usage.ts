/** Canonical (Anthropic-semantics) usage to the Responses API's usage object. */
import { promptTokens, type Usage } from '../../turn/types.js';
import type { ResponsesUsage } from './wire-types.js';

export function encodeResponsesUsage(u: Usage): ResponsesUsage {
  const input = promptTokens(u); // OpenAI counts cached prompt tokens in input_tokens
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheReadInputTokens, cache_write_tokens: u.cacheCreationInputTokens },
    output_tokens: u.outputTokens,
    // Claude's thinking tokens are not reported separately; they are inside output_tokens.
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + u.outputTokens,
  };
}
