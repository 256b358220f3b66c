import { describe, expect, it } from 'vitest';
import { type TurnEvent, TurnFailure, type Usage } from '../../turn/types.js';
import { eventsOf } from '../shared/testdata/sse-helpers.js';
import { streamChat } from './stream-chat.js';
import { ChatMemorySink } from './testdata/chat-sse.js';

const usage: Usage = { inputTokens: 5, outputTokens: 3, cacheReadInputTokens: 10, cacheCreationInputTokens: 1 };
const meta = { id: 'chatcmpl-1', created: 1700000000, model: 'gpt-4o', includeUsage: false };
const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-4o', system_fingerprint: null };
const chunk = (delta: object, finish_reason: string | null = null) => ({
  ...base,
  choices: [{ index: 0, delta, logprobs: null, finish_reason }],
});
const start: TurnEvent = { type: 'start', messageId: 'msg_1', model: 'claude', sessionId: 's', usage };

async function run(events: TurnEvent[], m = meta, sink = new ChatMemorySink()): Promise<ChatMemorySink> {
  await streamChat(eventsOf(events), sink, m);
  return sink;
}

describe('streamChat', () => {
  it('streams text, thinking and tool calls, then the finish chunk and [DONE]', async () => {
    const sink = await run([
      start,
      { type: 'block_start', index: 0, block: { type: 'thinking' } },
      { type: 'thinking_delta', index: 0, thinking: 'Hmm.' },
      { type: 'signature_delta', index: 0, signature: 'sig' },
      { type: 'block_stop', index: 0 },
      { type: 'block_start', index: 1, block: { type: 'text' } },
      { type: 'text_delta', index: 1, text: 'Let me check.' },
      { type: 'text_delta', index: 1, text: '' },
      { type: 'block_stop', index: 1 },
      { type: 'block_start', index: 2, block: { type: 'tool_use', id: 'toolu_a', name: 'get_weather' } },
      { type: 'tool_input_delta', index: 2, partialJson: '{"city":' },
      { type: 'tool_input_delta', index: 2, partialJson: '"Paris"}' },
      { type: 'block_stop', index: 2 },
      { type: 'block_start', index: 3, block: { type: 'tool_use', id: 'toolu_b', name: 'get_time' } },
      { type: 'tool_input_delta', index: 3, partialJson: '{}' },
      { type: 'block_stop', index: 3 },
      { type: 'rate_limit', info: { status: 'allowed' } },
      { type: 'stop', stopReason: 'tool_use', usage },
    ]);
    expect(sink.frames).toEqual([
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'Hmm.' }),
      chunk({ content: 'Let me check.' }),
      chunk({ tool_calls: [{ index: 0, id: 'toolu_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'toolu_b', type: 'function', function: { name: 'get_time', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      '[DONE]',
    ]);
  });

  it('with include_usage, sends usage: null on chunks and a final usage chunk with no choices', async () => {
    const sink = await run(
      [
        start,
        { type: 'block_start', index: 0, block: { type: 'text' } },
        { type: 'text_delta', index: 0, text: 'Hi' },
        { type: 'stop', stopReason: 'max_tokens', usage },
      ],
      { ...meta, includeUsage: true },
    );
    expect(sink.frames).toEqual([
      { ...chunk({ role: 'assistant', content: '' }), usage: null },
      { ...chunk({ content: 'Hi' }), usage: null },
      { ...chunk({}, 'length'), usage: null },
      {
        ...base,
        choices: [],
        usage: {
          prompt_tokens: 16,
          completion_tokens: 3,
          total_tokens: 19,
          prompt_tokens_details: { cached_tokens: 10 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      },
      '[DONE]',
    ]);
  });

  it('turns keep-alives into comments', async () => {
    const sink = await run([start, { type: 'keepalive', reason: 'api_retry' }, { type: 'stop', stopReason: 'end_turn', usage }]);
    expect(sink.comments).toEqual(['keepalive api_retry']);
    expect(sink.frames.at(-1)).toBe('[DONE]');
  });

  it('ends an error with one error frame and no [DONE]', async () => {
    const sink = await run([
      start,
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'Par' },
      { type: 'error', error: { kind: 'rate_limit', message: 'usage limit reached', retryAfterSeconds: 60 } },
    ]);
    expect(sink.frames.slice(2)).toEqual([{ error: { message: 'usage limit reached', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } }]);
    expect(sink.frames).not.toContain('[DONE]');
  });

  it('reports a source that ends without stopping', async () => {
    const sink = await run([start, { type: 'block_start', index: 0, block: { type: 'text' } }]);
    expect(sink.frames).toEqual([
      chunk({ role: 'assistant', content: '' }),
      { error: { message: 'stream ended unexpectedly', type: 'server_error', param: null, code: null } },
    ]);
  });

  it('reports a TurnFailure thrown by the source as an error frame', async () => {
    async function* failing(): AsyncGenerator<TurnEvent> {
      yield start;
      throw new TurnFailure({ kind: 'timeout', message: 'no answer in 600s' });
    }
    const sink = new ChatMemorySink();
    await streamChat(failing(), sink, meta);
    expect(sink.frames.at(-1)).toEqual({ error: { message: 'no answer in 600s', type: 'timeout', param: null, code: null } });
  });

  it('reports and rethrows any other exception', async () => {
    async function* broken(): AsyncGenerator<TurnEvent> {
      yield start;
      throw new Error('boom');
    }
    const sink = new ChatMemorySink();
    await expect(streamChat(broken(), sink, meta)).rejects.toThrow('boom');
    expect(sink.frames.at(-1)).toEqual({ error: { message: 'internal error: boom', type: 'server_error', param: null, code: null } });
  });

  it('writes nothing after stop, yet reads the source to its end', async () => {
    let drained = false;
    async function* source(): AsyncGenerator<TurnEvent> {
      yield start;
      yield { type: 'stop', stopReason: 'end_turn', usage };
      yield { type: 'error', error: { kind: 'internal', message: 'late' } };
      yield { type: 'stop', stopReason: 'end_turn', usage };
      drained = true;
    }
    const sink = new ChatMemorySink();
    await streamChat(source(), sink, meta);
    expect(sink.frames).toEqual([chunk({ role: 'assistant', content: '' }), chunk({}, 'stop'), '[DONE]']);
    expect(drained).toBe(true);
  });

  it('stops writing and reading once the client is gone', async () => {
    let read = 0;
    async function* source(): AsyncGenerator<TurnEvent> {
      for (let i = 0; i < 10; i++) {
        read++;
        yield { type: 'text_delta', index: 0, text: `t${i}` };
      }
      yield { type: 'stop', stopReason: 'end_turn', usage };
    }
    const sink = new ChatMemorySink(3); // role chunk + 2 deltas
    await streamChat(source(), sink, meta);
    expect(sink.frames).toHaveLength(3);
    expect(read).toBeLessThan(10);
  });
});
