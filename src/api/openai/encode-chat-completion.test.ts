import { describe, expect, it } from 'vitest';
import type { TurnResult } from '../../turn/collect.js';
import { encodeChatCompletion } from './encode-chat-completion.js';

const meta = { id: 'chatcmpl-abc', created: 1700000000, model: 'gpt-4o' };
const result = (over: Partial<TurnResult>): TurnResult => ({
  messageId: 'msg_1',
  model: 'claude-sonnet-5-5',
  sessionId: 's',
  content: [],
  stopReason: 'end_turn',
  stopSequence: null,
  usage: { inputTokens: 9, outputTokens: 12, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
  rateLimits: [],
  ...over,
});
const usage = {
  prompt_tokens: 9,
  completion_tokens: 12,
  total_tokens: 21,
  prompt_tokens_details: { cached_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0 },
};

describe('encodeChatCompletion', () => {
  it('encodes a text answer', () => {
    expect(encodeChatCompletion(result({ content: [{ type: 'text', text: 'Hello there!' }] }), meta)).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      created: 1700000000,
      model: 'gpt-4o',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello there!', refusal: null },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage,
    });
  });

  it('encodes tool calls with content null and thinking as reasoning_content', () => {
    const out = encodeChatCompletion(
      result({
        stopReason: 'tool_use',
        content: [
          { type: 'thinking', thinking: 'Need weather.', signature: 'x' },
          { type: 'redacted_thinking', data: 'zzz' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: {} },
        ],
      }),
      meta,
    );
    expect(out.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        reasoning_content: 'Need weather.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
        refusal: null,
      },
      finish_reason: 'tool_calls',
      logprobs: null,
    });
  });

  it('joins text blocks and keeps text next to tool calls', () => {
    const out = encodeChatCompletion(
      result({
        content: [
          { type: 'text', text: 'One. ' },
          { type: 'tool_use', id: 't', name: 'f', input: { a: [1] } },
          { type: 'text', text: 'Two.' },
        ],
      }),
      meta,
    );
    expect(out.choices[0].message.content).toBe('One. Two.');
    expect(out.choices[0].message.tool_calls).toHaveLength(1);
  });

  it('answers an empty turn with empty content, and maps the finish reason', () => {
    const out = encodeChatCompletion(result({ stopReason: 'max_tokens' }), meta);
    expect(out.choices[0].message).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(out.choices[0].finish_reason).toBe('length');
    expect(encodeChatCompletion(result({ stopReason: 'refusal' }), meta).choices[0].finish_reason).toBe('content_filter');
  });
});
