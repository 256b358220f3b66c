import { describe, expect, it } from 'vitest';
import type { TurnResult } from '../../turn/collect.js';
import { encodeResponse, type ResponseMeta } from './encode-response.js';
import { parseResponsesRequest } from './parse-responses-request.js';

const result: TurnResult = {
  messageId: 'msg_01',
  model: 'claude-sonnet-5-5',
  sessionId: 's',
  content: [
    { type: 'thinking', thinking: 'Plan it.', signature: 'sig' },
    { type: 'redacted_thinking', data: 'opaque' },
    { type: 'text', text: 'Checking.' },
    { type: 'tool_use', id: 'toolu_1', name: 'mcp__gh__search', input: { q: 'x' } },
    { type: 'tool_use', id: 'toolu_2', name: 'shell', input: {} },
  ],
  stopReason: 'tool_use',
  stopSequence: null,
  usage: { inputTokens: 10, outputTokens: 20, cacheReadInputTokens: 100, cacheCreationInputTokens: 5 },
  rateLimits: [],
};

const meta: ResponseMeta = {
  id: 'resp_abc',
  createdAt: 1700000000,
  model: 'gpt-5.1-codex',
  namespacedTools: new Map([['mcp__gh__search', { namespace: 'mcp__gh', name: 'search' }]]),
};

describe('encodeResponse', () => {
  it('encodes the full response object', () => {
    expect(encodeResponse(result, meta)).toEqual({
      id: 'resp_abc',
      object: 'response',
      created_at: 1700000000,
      status: 'completed',
      background: false,
      error: null,
      incomplete_details: null,
      model: 'gpt-5.1-codex',
      output: [
        { type: 'reasoning', id: 'rs_abc_0', summary: [{ type: 'summary_text', text: 'Plan it.' }] },
        {
          type: 'message',
          id: 'msg_abc_1',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Checking.', annotations: [] }],
        },
        {
          type: 'function_call',
          id: 'fc_abc_2',
          status: 'completed',
          call_id: 'toolu_1',
          name: 'search',
          namespace: 'mcp__gh',
          arguments: '{"q":"x"}',
        },
        { type: 'function_call', id: 'fc_abc_3', status: 'completed', call_id: 'toolu_2', name: 'shell', arguments: '{}' },
      ],
      usage: {
        input_tokens: 115,
        input_tokens_details: { cached_tokens: 100, cache_write_tokens: 5 },
        output_tokens: 20,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 135,
      },
      instructions: null,
      max_output_tokens: null,
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: true,
      temperature: 1,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: [],
      top_p: 1,
      truncation: 'disabled',
      user: null,
      metadata: {},
    });
  });

  it('marks max_tokens as incomplete (max_output_tokens) and refusal as incomplete (content_filter)', () => {
    expect(encodeResponse({ ...result, stopReason: 'max_tokens' }, meta)).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    });
    expect(encodeResponse({ ...result, stopReason: 'refusal' }, meta)).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'content_filter' },
    });
    expect(encodeResponse({ ...result, stopReason: 'end_turn' }, meta).status).toBe('completed');
  });

  it('gives thinking without text an empty summary', () => {
    expect(encodeResponse({ ...result, content: [{ type: 'thinking', thinking: '' }] }, meta).output).toEqual([
      { type: 'reasoning', id: 'rs_abc_0', summary: [] },
    ]);
  });

  it('repeats the request fields from the parsed request', () => {
    const parsed = parseResponsesRequest(
      {
        model: 'gpt-5',
        input: 'hi',
        instructions: 'sys',
        store: false,
        tools: [{ type: 'function', name: 'shell' }, { type: 'code_interpreter' }],
      },
      { headers: {} },
    );
    const out = encodeResponse(result, { ...meta, echo: parsed.echo });
    expect(out).toMatchObject({ instructions: 'sys', store: false, tools: [{ type: 'function', name: 'shell' }] });
  });
});
