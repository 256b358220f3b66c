import { describe, expect, it } from 'vitest';
import { encodeResponsesUsage } from './convert-usage.js';

describe('encodeResponsesUsage', () => {
  it('counts cache reads and writes inside input_tokens, as OpenAI does', () => {
    expect(encodeResponsesUsage({ inputTokens: 3, outputTokens: 7, cacheReadInputTokens: 1000, cacheCreationInputTokens: 50 })).toEqual({
      input_tokens: 1053,
      input_tokens_details: { cached_tokens: 1000, cache_write_tokens: 50 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 1060,
    });
  });
});
