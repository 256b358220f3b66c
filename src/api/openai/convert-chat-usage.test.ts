import { describe, expect, it } from 'vitest';
import { emptyUsage } from '../../turn/types.js';
import { encodeChatUsage } from './convert-chat-usage.js';

describe('encodeChatUsage', () => {
  it('counts cache reads and writes as prompt tokens and reports the reads as cached', () => {
    expect(encodeChatUsage({ inputTokens: 10, outputTokens: 7, cacheReadInputTokens: 100, cacheCreationInputTokens: 20 })).toEqual({
      prompt_tokens: 130,
      completion_tokens: 7,
      total_tokens: 137,
      prompt_tokens_details: { cached_tokens: 100 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('is all zeros for empty usage', () => {
    expect(encodeChatUsage(emptyUsage())).toEqual({
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });
});
