import { describe, expect, it } from 'vitest';
import { collectTurn } from '../../turn/collect.js';
import { type TurnEvent, TurnFailure, type Usage } from '../../turn/types.js';
import { eventsOf, MemorySink, noOutcome, outcomeOf } from '../shared/testdata/sse-helpers.js';
import { encodeResponse, type ResponseMeta, responseObject } from './encode-response.js';
import { streamResponses } from './stream-responses.js';

const usage: Usage = { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 2, cacheCreationInputTokens: 0 };
const start: TurnEvent = { type: 'start', messageId: 'msg_1', model: 'claude-x', sessionId: 's', usage };
const meta: ResponseMeta = {
  id: 'resp_r1',
  createdAt: 1700000000,
  model: 'gpt-5',
  namespacedTools: new Map([['ns__find', { namespace: 'ns', name: 'find' }]]),
};
const wireUsage = {
  input_tokens: 12,
  input_tokens_details: { cached_tokens: 2, cache_write_tokens: 0 },
  output_tokens: 5,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 17,
};

const run = async (events: TurnEvent[], sink = new MemorySink()) => {
  const result = await streamResponses(eventsOf(events), sink, meta, outcomeOf(events));
  return { sink, result, types: sink.frames.map((f) => f.event) };
};

const mixedTurn: TurnEvent[] = [
  { type: 'keepalive', reason: 'queued' },
  start,
  { type: 'block_start', index: 0, block: { type: 'thinking' } },
  { type: 'thinking_delta', index: 0, thinking: 'Let me ' },
  { type: 'thinking_delta', index: 0, thinking: 'see.' },
  { type: 'signature_delta', index: 0, signature: 'sig' },
  { type: 'block_stop', index: 0 },
  { type: 'block_start', index: 1, block: { type: 'redacted_thinking', data: 'x' } },
  { type: 'block_stop', index: 1 },
  { type: 'block_start', index: 2, block: { type: 'text' } },
  { type: 'text_delta', index: 2, text: 'Hel' },
  { type: 'text_delta', index: 2, text: 'lo' },
  { type: 'block_stop', index: 2 },
  { type: 'block_start', index: 3, block: { type: 'tool_use', id: 'toolu_9', name: 'ns__find' } },
  { type: 'tool_input_delta', index: 3, partialJson: '{"q":' },
  { type: 'tool_input_delta', index: 3, partialJson: ' "a"}' },
  { type: 'block_stop', index: 3 },
  { type: 'rate_limit', info: { status: 'allowed' } },
  { type: 'stop', stopReason: 'tool_use', usage },
];

describe('streamResponses', () => {
  it('writes the documented event order, numbered from 0, with event names equal to types', async () => {
    const { sink, types } = await run(mixedTurn);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    sink.frames.forEach((f, i) => {
      expect(f.data).toMatchObject({ type: f.event, sequence_number: i });
    });
    expect(sink.comments).toEqual(['keepalive']);
  });

  it('writes each event exactly', async () => {
    const { sink } = await run(mixedTurn);
    const data = sink.frames.map((f) => f.data);
    const inProgress = responseObject(meta, { status: 'in_progress', output: [], usage: null });
    expect(data[0]).toEqual({ type: 'response.created', sequence_number: 0, response: inProgress });
    expect(data[1]).toEqual({ type: 'response.in_progress', sequence_number: 1, response: inProgress });
    expect(data.slice(2, 9)).toEqual([
      { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { type: 'reasoning', id: 'rs_r1_0', summary: [] } },
      {
        type: 'response.reasoning_summary_part.added',
        sequence_number: 3,
        item_id: 'rs_r1_0',
        output_index: 0,
        summary_index: 0,
        part: { type: 'summary_text', text: '' },
      },
      { type: 'response.reasoning_summary_text.delta', sequence_number: 4, item_id: 'rs_r1_0', output_index: 0, summary_index: 0, delta: 'Let me ' },
      { type: 'response.reasoning_summary_text.delta', sequence_number: 5, item_id: 'rs_r1_0', output_index: 0, summary_index: 0, delta: 'see.' },
      { type: 'response.reasoning_summary_text.done', sequence_number: 6, item_id: 'rs_r1_0', output_index: 0, summary_index: 0, text: 'Let me see.' },
      {
        type: 'response.reasoning_summary_part.done',
        sequence_number: 7,
        item_id: 'rs_r1_0',
        output_index: 0,
        summary_index: 0,
        part: { type: 'summary_text', text: 'Let me see.' },
      },
      {
        type: 'response.output_item.done',
        sequence_number: 8,
        output_index: 0,
        item: { type: 'reasoning', id: 'rs_r1_0', summary: [{ type: 'summary_text', text: 'Let me see.' }] },
      },
    ]);
    expect(data.slice(9, 16)).toEqual([
      {
        type: 'response.output_item.added',
        sequence_number: 9,
        output_index: 1,
        item: { type: 'message', id: 'msg_r1_1', status: 'in_progress', role: 'assistant', content: [] },
      },
      {
        type: 'response.content_part.added',
        sequence_number: 10,
        item_id: 'msg_r1_1',
        output_index: 1,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      },
      { type: 'response.output_text.delta', sequence_number: 11, item_id: 'msg_r1_1', output_index: 1, content_index: 0, delta: 'Hel', logprobs: [] },
      { type: 'response.output_text.delta', sequence_number: 12, item_id: 'msg_r1_1', output_index: 1, content_index: 0, delta: 'lo', logprobs: [] },
      { type: 'response.output_text.done', sequence_number: 13, item_id: 'msg_r1_1', output_index: 1, content_index: 0, text: 'Hello', logprobs: [] },
      {
        type: 'response.content_part.done',
        sequence_number: 14,
        item_id: 'msg_r1_1',
        output_index: 1,
        content_index: 0,
        part: { type: 'output_text', text: 'Hello', annotations: [] },
      },
      {
        type: 'response.output_item.done',
        sequence_number: 15,
        output_index: 1,
        item: {
          type: 'message',
          id: 'msg_r1_1',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Hello', annotations: [] }],
        },
      },
    ]);
    const call = { type: 'function_call', id: 'fc_r1_2', call_id: 'toolu_9', name: 'find', namespace: 'ns' };
    expect(data.slice(16, 21)).toEqual([
      { type: 'response.output_item.added', sequence_number: 16, output_index: 2, item: { ...call, status: 'in_progress', arguments: '' } },
      { type: 'response.function_call_arguments.delta', sequence_number: 17, item_id: 'fc_r1_2', output_index: 2, delta: '{"q":' },
      { type: 'response.function_call_arguments.delta', sequence_number: 18, item_id: 'fc_r1_2', output_index: 2, delta: ' "a"}' },
      {
        type: 'response.function_call_arguments.done',
        sequence_number: 19,
        item_id: 'fc_r1_2',
        output_index: 2,
        name: 'find',
        arguments: '{"q": "a"}',
      },
      { type: 'response.output_item.done', sequence_number: 20, output_index: 2, item: { ...call, status: 'completed', arguments: '{"q": "a"}' } },
    ]);
    expect(data[21]).toMatchObject({
      type: 'response.completed',
      sequence_number: 21,
      response: { id: 'resp_r1', status: 'completed', usage: wireUsage, incomplete_details: null, error: null },
    });
  });

  it('ends with the same response the non-streaming path gives, and returns the turn result', async () => {
    const { sink, result } = await run(mixedTurn);
    const collected = await collectTurn(eventsOf(mixedTurn));
    if (!collected.ok) throw new Error('collect failed');
    expect(result).toEqual(collected.result);
    const completed = sink.frames.at(-1)!.data as { response: { output: object[] } };
    const expected = encodeResponse(collected.result, meta);
    // Arguments are the streamed text; the non-streaming path re-serializes the parsed object.
    const normalize = (o: { output: readonly object[] }) =>
      o.output.map((i) => ('arguments' in i && typeof i.arguments === 'string' ? { ...i, arguments: JSON.parse(i.arguments) as unknown } : i));
    expect(normalize(completed.response)).toEqual(normalize(expected));
    expect({ ...completed.response, output: [] }).toEqual({ ...expected, output: [] });
  });

  it('ends a max_tokens turn with response.incomplete', async () => {
    const { sink, result } = await run([
      start,
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'cut' },
      { type: 'stop', stopReason: 'max_tokens', usage },
    ]);
    expect(sink.frames.at(-1)!.data).toMatchObject({
      type: 'response.incomplete',
      response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
    });
    // the open text block was closed before the end
    expect(sink.frames.map((f) => f.event).slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.incomplete',
    ]);
    expect(result?.stopReason).toBe('max_tokens');
  });

  it('ends an error event with response.failed carrying the completed items', async () => {
    const { sink, result } = await run([
      start,
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'done' },
      { type: 'block_stop', index: 0 },
      { type: 'block_start', index: 1, block: { type: 'text' } },
      { type: 'error', error: { kind: 'rate_limit', message: 'Usage limit reached.', retryAfterSeconds: 30 } },
      { type: 'keepalive', reason: 'never read' },
    ]);
    expect(result).toBeUndefined();
    expect(sink.comments).toEqual([]);
    const last = sink.frames.at(-1)!.data as { type: string; response: { status: string; error: unknown; output: Array<{ id: string }>; usage: unknown } };
    expect(last.type).toBe('response.failed');
    expect(last.response.status).toBe('failed');
    expect(last.response.error).toEqual({ code: 'rate_limit_exceeded', message: 'Usage limit reached. Please try again in 30s.' });
    expect(last.response.output.map((i) => i.id)).toEqual(['msg_r1_0']);
    expect(last.response.usage).toBeNull();
  });

  it('fails a turn that ends without a result, and one whose tool JSON is broken', async () => {
    const ended = await run([start]);
    expect(ended.sink.frames.at(-1)!.data).toMatchObject({
      type: 'response.failed',
      response: { error: { code: 'server_error', message: 'the turn ended without a result' } },
    });
    const broken = await run([
      start,
      { type: 'block_start', index: 0, block: { type: 'tool_use', id: 't', name: 'f' } },
      { type: 'tool_input_delta', index: 0, partialJson: '{"a":' },
      { type: 'block_stop', index: 0 },
      { type: 'stop', stopReason: 'tool_use', usage },
    ]);
    expect(broken.result).toBeUndefined();
    expect(broken.sink.frames.at(-1)!.data).toMatchObject({
      type: 'response.failed',
      response: { error: { code: 'server_error', message: 'model produced invalid JSON for tool f' } },
    });
  });

  it('sends response.created before the engine says anything', async () => {
    const sink = new MemorySink();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow(): AsyncGenerator<TurnEvent> {
      await gate;
      yield start;
      yield { type: 'stop', stopReason: 'end_turn', usage };
    }
    const done = streamResponses(slow(), sink, meta, outcomeOf([start, { type: 'stop', stopReason: 'end_turn', usage }]));
    await Promise.resolve();
    expect(sink.frames.map((f) => f.event)).toEqual(['response.created', 'response.in_progress']);
    release();
    await done;
    expect(sink.frames.at(-1)!.event).toBe('response.completed');
  });

  it('stops writing and reading once the client has gone, and returns nothing', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<TurnEvent> {
      yield start;
      yield { type: 'block_start', index: 0, block: { type: 'text' } };
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield { type: 'text_delta', index: 0, text: String(i) };
      }
      yield { type: 'stop', stopReason: 'end_turn', usage };
    }
    const sink = new MemorySink(5);
    // The outcome never comes: the encoder must not wait for it once the client is gone.
    const result = await streamResponses(source(), sink, meta, noOutcome());
    expect(result).toBeUndefined();
    expect(sink.frames).toHaveLength(5);
    expect(pulled).toBe(2);
  });

  it('turns a thrown TurnFailure into response.failed, and rethrows anything else after writing', async () => {
    async function* failing(): AsyncGenerator<TurnEvent> {
      yield start;
      throw new TurnFailure({ kind: 'timeout', message: 'no answer in 300 s' });
    }
    const a = new MemorySink();
    expect(await streamResponses(failing(), a, meta, noOutcome())).toBeUndefined();
    expect(a.frames.at(-1)!.data).toMatchObject({
      type: 'response.failed',
      response: { error: { code: 'server_error', message: 'no answer in 300 s' } },
    });

    async function* buggy(): AsyncGenerator<TurnEvent> {
      yield start;
      throw new TypeError('bug');
    }
    const b = new MemorySink();
    await expect(streamResponses(buggy(), b, meta, noOutcome())).rejects.toThrow('bug');
    expect(b.frames.at(-1)!.data).toMatchObject({
      type: 'response.failed',
      response: { error: { code: 'server_error', message: 'internal error: bug' } },
    });
  });

  it('gives an empty tool input {} as arguments, and thinking without text no summary part', async () => {
    const { sink } = await run([
      start,
      { type: 'block_start', index: 0, block: { type: 'thinking' } },
      { type: 'signature_delta', index: 0, signature: 's' },
      { type: 'block_stop', index: 0 },
      { type: 'block_start', index: 1, block: { type: 'tool_use', id: 't', name: 'now' } },
      { type: 'block_stop', index: 1 },
      { type: 'stop', stopReason: 'tool_use', usage },
    ]);
    expect(sink.frames.map((f) => f.event).slice(2)).toEqual([
      'response.output_item.added',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(sink.frames[5].data).toMatchObject({ arguments: '{}' });
  });
});

describe('streamResponses: custom (freeform) tools', () => {
  const customMeta: ResponseMeta = { ...meta, customTools: new Set(['apply_patch']) };
  const patch = '*** Begin Patch\n*** Add File: "é".txt\n+😀\n*** End Patch';
  // The JSON text cut at awkward places: inside an escape, inside a surrogate pair.
  const json = JSON.stringify({ input: patch }).replace('😀', '\\ud83d\\ude00');
  const cuts = [3, 12, json.indexOf('\\n') + 1, json.indexOf('\\ud83d') + 4, json.indexOf('\\ude00') + 2, json.length];
  const pieces = cuts.map((end, i) => json.slice(i === 0 ? 0 : cuts[i - 1], end));
  const turn: TurnEvent[] = [
    start,
    { type: 'block_start', index: 0, block: { type: 'tool_use', id: 'toolu_p', name: 'apply_patch' } },
    ...pieces.map((p): TurnEvent => ({ type: 'tool_input_delta', index: 0, partialJson: p })),
    { type: 'block_stop', index: 0 },
    { type: 'stop', stopReason: 'tool_use', usage },
  ];

  it('streams the raw text as custom_tool_call_input deltas, then done, then the item', async () => {
    const sink = new MemorySink();
    await streamResponses(eventsOf(turn), sink, customMeta, outcomeOf(turn));
    const frames = sink.frames.map((f) => f.data as any);
    const types = frames.map((f) => f.type);
    expect(types[0]).toBe('response.created');
    expect(types[2]).toBe('response.output_item.added');
    expect(frames[2].item).toEqual({ type: 'custom_tool_call', id: 'ctc_r1_0', status: 'in_progress', call_id: 'toolu_p', name: 'apply_patch', input: '' });
    const deltas = frames.filter((f) => f.type === 'response.custom_tool_call_input.delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.delta).join('')).toBe(patch);
    for (const d of deltas) expect(d.delta).not.toMatch(/[\ud800-\udbff]$/); // no half of a pair on its own
    const done = frames.find((f) => f.type === 'response.custom_tool_call_input.done');
    expect(done).toMatchObject({ item_id: 'ctc_r1_0', output_index: 0, input: patch });
    const itemDone = frames.find((f) => f.type === 'response.output_item.done');
    expect(itemDone.item).toEqual({ type: 'custom_tool_call', id: 'ctc_r1_0', status: 'completed', call_id: 'toolu_p', name: 'apply_patch', input: patch });
    expect(types.indexOf('response.custom_tool_call_input.done')).toBeLessThan(types.indexOf('response.output_item.done'));
    expect(types.at(-1)).toBe('response.completed');
    expect(frames.at(-1).response.output).toEqual([itemDone.item]);
    // The non-streaming answer has the same item.
    const collected = await collectTurn(eventsOf(turn));
    if (!collected.ok) throw new Error('collect failed');
    expect(encodeResponse(collected.result, customMeta).output).toEqual([itemDone.item]);
  });

  it('sends the whole text once when the JSON has another shape', async () => {
    const other: TurnEvent[] = [
      start,
      { type: 'block_start', index: 0, block: { type: 'tool_use', id: 't', name: 'apply_patch' } },
      { type: 'tool_input_delta', index: 0, partialJson: '{"other": 1, "input": "x"}' },
      { type: 'block_stop', index: 0 },
      { type: 'stop', stopReason: 'tool_use', usage },
    ];
    const sink = new MemorySink();
    await streamResponses(eventsOf(other), sink, customMeta, outcomeOf(other));
    const deltas = sink.frames.map((f) => f.data as any).filter((f) => f.type === 'response.custom_tool_call_input.delta');
    // Nothing the model wrote is lost: not one string, so the input is passed on as JSON text.
    expect(deltas.map((d) => d.delta)).toEqual(['{"other":1,"input":"x"}']);
  });
});
