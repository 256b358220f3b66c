import { describe, expect, it } from 'vitest';
import { type TurnEvent, TurnFailure, type Usage } from '../../turn/types.js';
import { eventsOf, MemorySink } from '../shared/testdata/sse-helpers.js';
import { streamMessages } from './stream-messages.js';

const usage = (input: number, output: number): Usage => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadInputTokens: 3,
  cacheCreationInputTokens: 2,
});
const wireUsage = (input: number, output: number) => ({
  input_tokens: input,
  output_tokens: output,
  cache_read_input_tokens: 3,
  cache_creation_input_tokens: 2,
});
const start: TurnEvent = { type: 'start', messageId: 'msg_1', model: 'claude-x', sessionId: 's', usage: usage(10, 1) };
const messageStart = {
  event: 'message_start',
  data: {
    type: 'message_start',
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      stop_details: null,
      usage: wireUsage(10, 1),
    },
  },
};

const run = async (events: TurnEvent[], sink = new MemorySink()) => {
  await streamMessages(eventsOf(events), sink);
  return sink;
};

describe('streamMessages', () => {
  it('renumbers engine block indices to 0, 1, 2 in start order', async () => {
    const sink = await run([
      start,
      { type: 'block_start', index: 3, block: { type: 'thinking' } },
      { type: 'thinking_delta', index: 3, thinking: 'hm' },
      { type: 'signature_delta', index: 3, signature: 'sig' },
      { type: 'block_stop', index: 3 },
      { type: 'block_start', index: 7, block: { type: 'text' } },
      { type: 'text_delta', index: 7, text: 'Hi' },
      { type: 'block_stop', index: 7 },
      { type: 'block_start', index: 9, block: { type: 'tool_use', id: 'toolu_1', name: 'f' } },
      { type: 'tool_input_delta', index: 9, partialJson: '{"a":' },
      { type: 'tool_input_delta', index: 9, partialJson: '1}' },
      { type: 'block_stop', index: 9 },
      { type: 'stop', stopReason: 'tool_use', usage: usage(10, 20) },
    ]);
    expect(sink.frames).toEqual([
      messageStart,
      { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hm' } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } } },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hi' } } },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 1 } },
      {
        event: 'content_block_start',
        data: { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } },
      },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"a":' } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '1}' } } },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 2 } },
      {
        event: 'message_delta',
        data: { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null, stop_details: null }, usage: wireUsage(10, 20) },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
  });

  it('gives a reused engine index a new client index, and redacted thinking its data', async () => {
    const sink = await run([
      start,
      { type: 'block_start', index: 0, block: { type: 'redacted_thinking', data: 'opaque' } },
      { type: 'block_stop', index: 0 },
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'block_stop', index: 0 },
      { type: 'stop', stopReason: 'end_turn', usage: usage(1, 1) },
    ]);
    expect(sink.frames.filter((f) => f.event === 'content_block_start').map((f) => f.data)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'redacted_thinking', data: 'opaque' } },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
    ]);
  });

  it('sends keep-alives as ping events after message_start, as comments before it, and ignores rate-limit info', async () => {
    const sink = await run([
      { type: 'keepalive', reason: 'queued' },
      start,
      { type: 'rate_limit', info: { status: 'allowed_warning', utilization: 0.9 } },
      { type: 'keepalive', reason: 'api_retry' },
      { type: 'stop', stopReason: 'end_turn', usage: usage(1, 1) },
    ]);
    // Anthropic never sends an event before message_start (a CLI retry happens before it).
    expect(sink.frames.map((f) => f.event)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop']);
    expect(sink.frames[1].data).toEqual({ type: 'ping' });
    expect(sink.comments).toEqual(['ping']);
  });

  it('closes blocks the engine left open before message_delta, and carries the stop sequence', async () => {
    const sink = await run([
      start,
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'a END' },
      { type: 'stop', stopReason: 'stop_sequence', stopSequence: 'END', usage: usage(1, 2) },
    ]);
    expect(sink.frames.slice(-3)).toEqual([
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      {
        event: 'message_delta',
        data: { type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: 'END', stop_details: null }, usage: wireUsage(1, 2) },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
  });

  it('drops deltas for blocks that never started', async () => {
    const sink = await run([start, { type: 'text_delta', index: 4, text: 'lost' }, { type: 'stop', stopReason: 'end_turn', usage: usage(1, 1) }]);
    expect(sink.frames.map((f) => f.event)).toEqual(['message_start', 'message_delta', 'message_stop']);
  });

  it('writes an error event and stops reading on an error event', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<TurnEvent> {
      for (const ev of [start, { type: 'error', error: { kind: 'overloaded', message: 'Overloaded' } }, { type: 'keepalive', reason: 'late' }] as TurnEvent[]) {
        pulled++;
        yield ev;
      }
    }
    const sink = new MemorySink();
    await streamMessages(source(), sink);
    expect(sink.frames).toEqual([messageStart, { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }]);
    expect(pulled).toBe(2);
  });

  it('keeps reading after message_stop without writing', async () => {
    let finished = false;
    async function* source(): AsyncGenerator<TurnEvent> {
      yield start;
      yield { type: 'stop', stopReason: 'end_turn', usage: usage(1, 1) };
      yield { type: 'rate_limit', info: { status: 'allowed' } };
      yield { type: 'keepalive', reason: 'after' };
      finished = true;
    }
    const sink = await (async () => {
      const s = new MemorySink();
      await streamMessages(source(), s);
      return s;
    })();
    expect(finished).toBe(true);
    expect(sink.frames.map((f) => f.event)).toEqual(['message_start', 'message_delta', 'message_stop']);
  });

  it('reports a stream that ends without a result as an api_error event', async () => {
    const sink = await run([start]);
    expect(sink.frames.at(-1)).toEqual({
      event: 'error',
      data: { type: 'error', error: { type: 'api_error', message: 'the turn ended without a result' } },
    });
  });

  it('stops writing and reading once the client has gone', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<TurnEvent> {
      yield start;
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield { type: 'keepalive', reason: String(i) };
      }
    }
    const sink = new MemorySink(2);
    await streamMessages(source(), sink);
    expect(sink.frames.map((f) => f.event)).toEqual(['message_start', 'ping']);
    expect(pulled).toBe(2);
  });

  it('turns a thrown TurnFailure into an error event', async () => {
    async function* source(): AsyncGenerator<TurnEvent> {
      yield start;
      throw new TurnFailure({ kind: 'rate_limit', message: 'limit reached', retryAfterSeconds: 60 });
    }
    const sink = new MemorySink();
    await streamMessages(source(), sink);
    expect(sink.frames.at(-1)).toEqual({
      event: 'error',
      data: { type: 'error', error: { type: 'rate_limit_error', message: 'limit reached' } },
    });
  });

  it('writes an api_error event for an unexpected exception, then rethrows it', async () => {
    async function* source(): AsyncGenerator<TurnEvent> {
      yield start;
      throw new TypeError('bug');
    }
    const sink = new MemorySink();
    await expect(streamMessages(source(), sink)).rejects.toThrow('bug');
    expect(sink.frames.at(-1)).toEqual({
      event: 'error',
      data: { type: 'error', error: { type: 'api_error', message: 'internal error: bug' } },
    });
  });

  it('starts the message itself if blocks arrive before the engine start', async () => {
    const sink = await run([
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'stop', stopReason: 'end_turn', usage: usage(0, 0) },
    ]);
    expect(sink.frames.map((f) => f.event)).toEqual(['message_start', 'content_block_start', 'content_block_stop', 'message_delta', 'message_stop']);
  });
});
