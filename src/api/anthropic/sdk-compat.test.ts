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
