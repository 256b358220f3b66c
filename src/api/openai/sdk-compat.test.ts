/**
 * The official `openai` SDK reads what these encoders write: its ChatCompletionStream
 * accumulates our chunks (text, reasoning, tool calls, usage) into a completion, an error
 * frame mid-stream surfaces as an APIError, and HTTP errors map to its error classes.
 * Offline: the client's fetch answers with our bytes.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { collectTurn } from '../../turn/collect.js';
import type { TurnError, TurnEvent, Usage } from '../../turn/types.js';
import { eventsOf } from '../shared/testdata/sse-helpers.js';
import { encodeChatCompletion } from './encode-chat-completion.js';
import { encodeChatError } from './encode-chat-error.js';
import { streamChat } from './stream-chat.js';
import { ChatMemorySink } from './testdata/chat-sse.js';

const clientAnswering = (status: number, body: string, headers: Record<string, string>): OpenAI =>
  new OpenAI({ apiKey: 'sk-test', maxRetries: 0, fetch: async () => new Response(body, { status, headers }) });
const sse = { 'content-type': 'text/event-stream' };

const usage: Usage = { inputTokens: 20, outputTokens: 9, cacheReadInputTokens: 4, cacheCreationInputTokens: 0 };
const meta = { id: 'chatcmpl-sdk', created: 1700000000, model: 'gpt-4o' };
const turn: TurnEvent[] = [
  { type: 'start', messageId: 'msg_1', model: 'claude', sessionId: 's', usage },
  { type: 'block_start', index: 0, block: { type: 'text' } },
  { type: 'text_delta', index: 0, text: 'Checking ' },
  { type: 'text_delta', index: 0, text: 'both.' },
  { type: 'block_stop', index: 0 },
  { type: 'block_start', index: 1, block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather' } },
  { type: 'tool_input_delta', index: 1, partialJson: '{"city":' },
  { type: 'tool_input_delta', index: 1, partialJson: '"Paris"}' },
  { type: 'block_stop', index: 1 },
  { type: 'block_start', index: 2, block: { type: 'tool_use', id: 'toolu_2', name: 'get_weather' } },
  { type: 'tool_input_delta', index: 2, partialJson: '{"city":"Rome"}' },
  { type: 'block_stop', index: 2 },
  { type: 'stop', stopReason: 'tool_use', usage },
];
const tools: OpenAI.Chat.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
];

describe('openai SDK reads our chat stream', () => {
  it('accumulates text and tool calls into the completion we would answer without streaming', async () => {
    const sink = new ChatMemorySink();
    await streamChat(eventsOf(turn), sink, { ...meta, includeUsage: true });
    const client = clientAnswering(200, sink.toText(), sse);

    const stream = client.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      tools,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    const doneCalls: string[] = [];
    stream.on('content.delta', (e) => deltas.push(e.delta));
    stream.on('tool_calls.function.arguments.done', (e) => doneCalls.push(`${e.name}:${e.arguments}`));
    const final = await stream.finalChatCompletion();

    expect(deltas).toEqual(['Checking ', 'both.']);
    expect(doneCalls).toEqual(['get_weather:{"city":"Paris"}', 'get_weather:{"city":"Rome"}']);
    const collected = await collectTurn(eventsOf(turn));
    const expected = encodeChatCompletion(collected.ok ? collected.result : (undefined as never), meta);
    expect(final).toMatchObject({
      id: expected.id,
      created: expected.created,
      model: expected.model,
      object: 'chat.completion',
      usage: expected.usage,
    });
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    expect(final.choices[0].message).toMatchObject({
      role: 'assistant',
      content: 'Checking both.',
      tool_calls: expected.choices[0].message.tool_calls,
    });
  });

  it('iterates the raw chunks with create({stream: true}) and stops at [DONE]', async () => {
    const sink = new ChatMemorySink();
    await streamChat(eventsOf(turn), sink, { ...meta, includeUsage: false });
    const client = clientAnswering(200, sink.toText(), sse);
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks).toHaveLength(sink.frames.length - 1);
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe('tool_calls');
  });

  it('raises an APIError for an error frame mid-stream', async () => {
    const sink = new ChatMemorySink();
    await streamChat(eventsOf([turn[0], turn[1], turn[2], { type: 'error', error: { kind: 'overloaded', message: 'Claude is overloaded' } }]), sink, {
      ...meta,
      includeUsage: false,
    });
    const client = clientAnswering(200, sink.toText(), sse);
    const stream = client.chat.completions.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    const err = await stream.finalChatCompletion().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ message: 'Claude is overloaded', type: 'service_unavailable', code: 'overloaded' });
  });

  it('reads the non-streaming completion', async () => {
    const collected = await collectTurn(eventsOf(turn));
    const body = JSON.stringify(encodeChatCompletion(collected.ok ? collected.result : (undefined as never), meta));
    const client = clientAnswering(200, body, { 'content-type': 'application/json' });
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0].message.tool_calls?.map((c) => (c.type === 'function' ? c.function.arguments : ''))).toEqual([
      '{"city":"Paris"}',
      '{"city":"Rome"}',
    ]);
    expect(completion.usage).toEqual({
      prompt_tokens: 24,
      completion_tokens: 9,
      total_tokens: 33,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });
});

describe('openai SDK reads our chat errors', () => {
  const answer = async (e: TurnError): Promise<unknown> => {
    const wire = encodeChatError(e);
    const client = clientAnswering(wire.status, JSON.stringify(wire.body), { 'content-type': 'application/json', ...wire.headers });
    return client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((err: unknown) => err);
  };

  it('maps statuses to the SDK error classes, with code and param', async () => {
    const notFound = await answer({ kind: 'not_found', message: "The model 'x' does not exist", param: 'model', code: 'model_not_found' });
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    expect(notFound).toMatchObject({ code: 'model_not_found', param: 'model', type: 'not_found_error' });
    const bad = await answer({ kind: 'invalid_request', message: 'n: only one', param: 'n' });
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad).toMatchObject({ param: 'n' });
    expect(await answer({ kind: 'rate_limit', message: 'slow', retryAfterSeconds: 5 })).toBeInstanceOf(OpenAI.RateLimitError);
    expect(await answer({ kind: 'authentication', message: 'no' })).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(await answer({ kind: 'unavailable', message: 'paused' })).toBeInstanceOf(OpenAI.InternalServerError);
  });
});
