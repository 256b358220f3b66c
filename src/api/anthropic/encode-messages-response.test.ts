import { describe, expect, it } from 'vitest';
import type { TurnResult } from '../../turn/collect.js';
import { encodeMessagesResponse } from './encode-messages-response.js';

const result: TurnResult = {
  messageId: 'msg_01X',
  model: 'claude-sonnet-5-5',
  sessionId: 'sess-1',
  content: [
    { type: 'thinking', thinking: 'plan', signature: 'sig' },
    { type: 'redacted_thinking', data: 'opaque' },
    { type: 'text', text: 'Calling it.' },
    { type: 'tool_use', id: 'toolu_9', name: 'lookup', input: { q: 'x' } },
  ],
  stopReason: 'tool_use',
  stopSequence: null,
  usage: { inputTokens: 12, outputTokens: 34, cacheReadInputTokens: 100, cacheCreationInputTokens: 7 },
  rateLimits: [{ status: 'allowed' }],
};

describe('encodeMessagesResponse', () => {
  it('encodes the full Anthropic message', () => {
    expect(encodeMessagesResponse(result)).toEqual({
      id: 'msg_01X',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-5-5',
      content: [
        { type: 'thinking', thinking: 'plan', signature: 'sig' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'text', text: 'Calling it.' },
        { type: 'tool_use', id: 'toolu_9', name: 'lookup', input: { q: 'x' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      stop_details: null,
      usage: { input_tokens: 12, output_tokens: 34, cache_read_input_tokens: 100, cache_creation_input_tokens: 7 },
    });
  });

  it('carries the stop sequence and gives thinking without a signature an empty one', () => {
    const out = encodeMessagesResponse({
      ...result,
      content: [{ type: 'thinking', thinking: 't' }],
      stopReason: 'stop_sequence',
      stopSequence: 'END',
    });
    expect(out.content).toEqual([{ type: 'thinking', thinking: 't', signature: '' }]);
    expect([out.stop_reason, out.stop_sequence]).toEqual(['stop_sequence', 'END']);
  });
});
