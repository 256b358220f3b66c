/** Canonical (Anthropic-semantics) usage to Chat Completions' usage object. */
import { promptTokens, type Usage } from '../../turn/types.js';
import type { ChatUsage } from './wire-types.js';

export function encodeChatUsage(u: Usage): ChatUsage {
  const prompt = promptTokens(u); // OpenAI counts cached prompt tokens in prompt_tokens
  return {
    prompt_tokens: prompt,
    completion_tokens: u.outputTokens,
    total_tokens: prompt + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cacheReadInputTokens },
    // Claude's thinking tokens are not reported separately; they are inside completion_tokens.
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}
