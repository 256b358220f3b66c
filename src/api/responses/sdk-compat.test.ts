/**
 * The official `openai` SDK reads what these encoders write: its ResponseStream
 * accumulates our events into the response we end with, and its error classes see our
 * errors. Offline: the client's fetch answers with our bytes.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { TurnError, TurnEvent, Usage } from '../../turn/types.js';
import { eventsOf, MemorySink, outcomeOf } from '../shared/testdata/sse-helpers.js';
import { encodeResponse, type ResponseMeta } from './encode-response.js';
import { encodeResponsesError } from './encode-responses-error.js';
import { streamResponses } from './stream-responses.js';

const clientAnswering = (status: number, body: string, headers: Record<string, string>): OpenAI =>
  new OpenAI({ apiKey: 'sk-test', maxRetries: 0, fetch: async () => new Response(body, { status, headers }) });

const usage: Usage = { inputTokens: 20, outputTokens: 9, cacheReadInputTokens: 4, cacheCreationInputTokens: 0 };
const meta: ResponseMeta = { id: 'resp_sdk', createdAt: 1700000000, model: 'gpt-5' };
const turn: TurnEvent[] = [
  { type: 'start', messageId: 'msg_1', model: 'claude', sessionId: 's', usage },
  { type: 'block_start', index: 0, block: { type: 'thinking' } },
  { type: 'thinking_delta', index: 0, thinking: 'Think.' },
  { type: 'block_stop', index: 0 },
  { type: 'block_start', index: 1, block: { type: 'text' } },
  { type: 'text_delta', index: 1, text: 'Calling ' },
  { type: 'text_delta', index: 1, text: 'lookup.' },
  { type: 'block_stop', index: 1 },
  { type: 'block_start', index: 2, block: { type: 'tool_use', id: 'toolu_1', name: 'lookup' } },
  { type: 'tool_input_delta', index: 2, partialJson: '{"q":"x"}' },
  { type: 'block_stop', index: 2 },
  { type: 'stop', stopReason: 'tool_use', usage },
];

describe('openai SDK reads our Responses stream', () => {
  it('accumulates the events into the final response we send', async () => {
    const sink = new MemorySink();
    const result = await streamResponses(eventsOf(turn), sink, meta, outcomeOf(turn));
    const client = clientAnswering(200, sink.toText(), { 'content-type': 'text/event-stream' });

    const stream = client.responses.stream({ model: 'gpt-5', input: 'hi' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();

    expect(deltas).toEqual(['Calling ', 'lookup.']);
    expect(final.output_text).toBe('Calling lookup.');
    // The SDK adds its own fields (output_text, parsed, parsed_arguments); ours must all be there.
    expect(final).toMatchObject(encodeResponse(result!, meta));
  });

  it('reads the non-streaming response', async () => {
    const sink = new MemorySink();
    const result = await streamResponses(eventsOf(turn), sink, meta, outcomeOf(turn));
    const body = JSON.stringify(encodeResponse(result!, meta));
    const client = clientAnswering(200, body, { 'content-type': 'application/json' });
    const response = await client.responses.create({ model: 'gpt-5', input: 'hi' });
    expect(response.output_text).toBe('Calling lookup.');
    expect(response.usage).toEqual({
      input_tokens: 24,
      input_tokens_details: { cached_tokens: 4, cache_write_tokens: 0 },
      output_tokens: 9,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 33,
    });
  });
});

describe('openai SDK reads our errors', () => {
  const answer = async (e: TurnError): Promise<unknown> => {
    const wire = encodeResponsesError(e);
    const client = clientAnswering(wire.status, JSON.stringify(wire.body), { 'content-type': 'application/json', ...wire.headers });
    return client.responses.create({ model: 'gpt-5', input: 'hi' }).catch((err: unknown) => err);
  };

  it('maps statuses to the SDK error classes, with code and param', async () => {
    const notFound = await answer({
      kind: 'not_found',
      message: "Previous response with id 'resp_x' not found.",
      param: 'previous_response_id',
      code: 'previous_response_not_found',
    });
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    expect(notFound).toMatchObject({ code: 'previous_response_not_found', param: 'previous_response_id', type: 'not_found_error' });
    expect(await answer({ kind: 'invalid_request', message: 'bad', param: 'input' })).toBeInstanceOf(OpenAI.BadRequestError);
    const limited = await answer({ kind: 'rate_limit', message: 'slow', retryAfterSeconds: 5 });
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited).toMatchObject({ code: 'rate_limit_exceeded' });
    expect(await answer({ kind: 'unavailable', message: 'paused' })).toBeInstanceOf(OpenAI.InternalServerError);
  });
});
