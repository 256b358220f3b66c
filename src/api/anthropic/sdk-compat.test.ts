/**
 * The official @anthropic-ai/sdk reads what these encoders write: its MessageStream
 * accumulates our SSE into the same message encodeMessagesResponse gives for the same
 * turn, and its error classes see our error types. Offline: the client's fetch is ours.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { collectTurn } from '../../turn/collect.js';
import type { TurnError, TurnEvent } from '../../turn/types.js';
import { eventsOf, MemorySink } from '../shared/testdata/sse-helpers.js';
import { encodeMessagesError } from './encode-messages-error.js';
import { encodeMessagesResponse } from './encode-messages-response.js';
import { streamMessages } from './stream-messages.js';

const clientAnswering = (status: number, body: string, headers: Record<string, string>): Anthropic =>
  new Anthropic({
    apiKey: 'sk-test',
    maxRetries: 0,
    fetch: async () => new Response(body, { status, headers }),
  });

const request = { model: 'maxproxy-test-model', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };

const turn: TurnEvent[] = [
  { type: 'keepalive', reason: 'warming' },
  {
    type: 'start',
    messageId: 'msg_sdk',
    model: 'claude-sonnet-5-5',
    sessionId: 's',
    usage: { inputTokens: 30, outputTokens: 1, cacheReadInputTokens: 5, cacheCreationInputTokens: 2 },
  },
  { type: 'block_start', index: 1, block: { type: 'thinking' } },
  { type: 'thinking_delta', index: 1, thinking: 'Let me ' },
  { type: 'thinking_delta', index: 1, thinking: 'think.' },
  { type: 'signature_delta', index: 1, signature: 'c2ln' },
  { type: 'block_stop', index: 1 },
  { type: 'block_start', index: 4, block: { type: 'text' } },
  { type: 'text_delta', index: 4, text: 'Looking ' },
  { type: 'text_delta', index: 4, text: 'it up.' },
  { type: 'block_stop', index: 4 },
  { type: 'block_start', index: 5, block: { type: 'tool_use', id: 'toolu_01', name: 'lookup' } },
  { type: 'tool_input_delta', index: 5, partialJson: '{"q": "wea' },
  { type: 'tool_input_delta', index: 5, partialJson: 'ther", "n": 2}' },
  { type: 'block_stop', index: 5 },
  {
    type: 'stop',
    stopReason: 'tool_use',
    stopSequence: null,
    usage: { inputTokens: 30, outputTokens: 42, cacheReadInputTokens: 5, cacheCreationInputTokens: 2 },
  },
];

describe('@anthropic-ai/sdk reads our stream', () => {
  it('accumulates the stream into the non-streaming answer for the same turn', async () => {
    const sink = new MemorySink();
    await streamMessages(eventsOf(turn), sink);
    const client = clientAnswering(200, sink.toText(), { 'content-type': 'text/event-stream' });

    const { parsed_output: parsed, ...final } = await client.messages.stream(request).finalMessage();
    expect(parsed).toBeNull(); // added by the SDK itself

    const collected = await collectTurn(eventsOf(turn));
    if (!collected.ok) throw new Error('collect failed');
    expect(final).toEqual(encodeMessagesResponse(collected.result));
  });

  it('accumulates a hosted web fetch (server_tool_use, web_fetch_tool_result, usage) into the non-streaming answer', async () => {
    const u = { inputTokens: 30, outputTokens: 9, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 };
    const fetched: TurnEvent[] = [
      { type: 'start', messageId: 'msg_wf', model: 'claude-sonnet-5-5', sessionId: 's', usage: u },
      { type: 'server_tool_use', index: 0, id: 'srvtoolu_01', name: 'web_fetch', input: { url: 'https://example.com/a' } },
      {
        type: 'web_fetch_result',
        index: 1,
        toolUseId: 'srvtoolu_01',
        url: 'https://example.com/a',
        document: { source: { type: 'text', media_type: 'text/plain', data: 'page text' }, title: 'A' },
        retrievedAt: '2026-12-07T11:00:00.000Z',
      },
      { type: 'server_tool_use', index: 2, id: 'srvtoolu_02', name: 'web_fetch', input: { url: 'http://127.0.0.1/' } },
      { type: 'web_fetch_result', index: 3, toolUseId: 'srvtoolu_02', url: 'http://127.0.0.1/', error: { code: 'url_not_accessible' } },
      { type: 'server_tool_use', index: 4, id: 'srvtoolu_03', name: 'web_fetch', input: { url: 'ftp://x/' } },
      { type: 'web_fetch_result', index: 5, toolUseId: 'srvtoolu_03', url: 'ftp://x/', error: { code: 'invalid_input' } },
      { type: 'block_start', index: 6, block: { type: 'text' } },
      { type: 'text_delta', index: 6, text: 'Done.' },
      { type: 'block_stop', index: 6 },
      { type: 'stop', stopReason: 'end_turn', stopSequence: null, usage: { ...u, serverToolUse: { webSearchRequests: 0, webFetchRequests: 2 } } },
    ];
    const sink = new MemorySink();
    await streamMessages(eventsOf(fetched), sink);
    const client = clientAnswering(200, sink.toText(), { 'content-type': 'text/event-stream' });
    const { parsed_output: _p, ...final } = await client.messages.stream(request).finalMessage();
    const collected = await collectTurn(eventsOf(fetched));
    if (!collected.ok) throw new Error('collect failed');
    const answer = encodeMessagesResponse(collected.result);
    expect(final).toEqual(answer);
    expect(answer.content).toEqual([
      { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_fetch', input: { url: 'https://example.com/a' } },
      {
        type: 'web_fetch_tool_result',
        tool_use_id: 'srvtoolu_01',
        content: {
          type: 'web_fetch_result',
          url: 'https://example.com/a',
          retrieved_at: '2026-12-07T11:00:00.000Z',
          content: { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'page text' }, title: 'A' },
        },
      },
      { type: 'server_tool_use', id: 'srvtoolu_02', name: 'web_fetch', input: { url: 'http://127.0.0.1/' } },
      { type: 'web_fetch_tool_result', tool_use_id: 'srvtoolu_02', content: { type: 'web_fetch_tool_result_error', error_code: 'url_not_accessible' } },
      { type: 'server_tool_use', id: 'srvtoolu_03', name: 'web_fetch', input: { url: 'ftp://x/' } },
      // The SDK's WebFetchToolResultErrorCode calls the fetcher's invalid_input invalid_tool_input.
      { type: 'web_fetch_tool_result', tool_use_id: 'srvtoolu_03', content: { type: 'web_fetch_tool_result_error', error_code: 'invalid_tool_input' } },
      { type: 'text', text: 'Done.' },
    ]);
    expect(answer.usage.server_tool_use).toEqual({ web_search_requests: 0, web_fetch_requests: 2 });
  });

  it('surfaces an error event as an APIError with our error type', async () => {
    const sink = new MemorySink();
    await streamMessages(eventsOf([turn[1], { type: 'error', error: { kind: 'overloaded', message: 'Overloaded' } }]), sink);
    const client = clientAnswering(200, sink.toText(), { 'content-type': 'text/event-stream' });

    const err = await client.messages
      .stream(request)
      .finalMessage()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
  });
});

describe('@anthropic-ai/sdk reads our errors', () => {
  const answer = async (e: TurnError): Promise<unknown> => {
    const wire = encodeMessagesError(e);
    const client = clientAnswering(wire.status, JSON.stringify(wire.body), {
      'content-type': 'application/json',
      ...wire.headers,
    });
    return client.messages.create(request).catch((err: unknown) => err);
  };

  it('maps statuses to the SDK error classes', async () => {
    expect(await answer({ kind: 'invalid_request', message: 'messages: field required' })).toBeInstanceOf(Anthropic.BadRequestError);
    expect(await answer({ kind: 'authentication', message: 'not logged in' })).toBeInstanceOf(Anthropic.AuthenticationError);
    const limited = await answer({ kind: 'rate_limit', message: 'limit', retryAfterSeconds: 30 });
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect((limited as InstanceType<typeof Anthropic.RateLimitError>).headers.get('retry-after')).toBe('30');
    const overloaded = await answer({ kind: 'overloaded', message: 'Overloaded' });
    expect(overloaded).toBeInstanceOf(Anthropic.InternalServerError);
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
  });
});
