/**
 * Conformance with OpenAI's documented Responses streams (testdata/README.md): the
 * canonical events for the same answer must come out as the documented events, with
 * every documented field identical except the producer-chosen ids, and nothing extra
 * beyond what the current streaming reference adds.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TurnEvent, Usage } from '../../turn/types.js';
import { eventsOf, MemorySink, outcomeOf, parseSse, type SseFrame, subsetProblems } from '../shared/testdata/sse-helpers.js';
import { parseResponsesRequest } from './parse-responses-request.js';
import { streamResponses } from './stream-responses.js';

const read = (name: string): string => readFileSync(new URL(`testdata/${name}`, import.meta.url), 'utf8');

const OPTIONS = {
  // Required by the streaming reference and the SDK types, absent from the older examples.
  allowedExtra: ['sequence_number', 'logprobs', 'background', 'input_tokens_details', 'status', 'name'],
  // Chosen by the producer: only the JSON type must match.
  anyValue: ['id', 'item_id'],
  // In the function-calling guide's example, gone from the current event types.
  notRequired: ['response_id'],
};

const usage = (input: number, output: number): Usage => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
});

function expectConformance(ours: SseFrame[], documented: SseFrame[]): void {
  expect(ours.map((f) => f.event)).toEqual(documented.map((f) => f.event));
  ours.forEach((frame, i) => {
    expect(subsetProblems(frame.data, documented[i].data, OPTIONS), `event ${i} (${frame.event})`).toEqual([]);
  });
  // The ids we chose are used consistently: every item_id names an item that was added.
  const added = new Set(
    ours.flatMap((f) => {
      const item = (f.data as { item?: { id: string } }).item;
      return item ? [item.id] : [];
    }),
  );
  for (const f of ours) {
    const itemId = (f.data as { item_id?: string }).item_id;
    if (itemId !== undefined) expect(added.has(itemId)).toBe(true);
  }
}

describe('docs-text-streaming.sse (API reference, create a response, streaming)', () => {
  it('comes out as the documented stream', async () => {
    const documented = parseSse(read('docs-text-streaming.sse'));
    const parsed = parseResponsesRequest({ model: 'gpt-4.1', instructions: 'You are a helpful assistant.', input: 'Hello!', stream: true }, { headers: {} });
    const events: TurnEvent[] = [
      { type: 'start', messageId: 'msg_x', model: 'claude', sessionId: 's', usage: usage(37, 1) },
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'Hi' },
      { type: 'text_delta', index: 0, text: ' there! How can I assist you today?' },
      { type: 'block_stop', index: 0 },
      { type: 'stop', stopReason: 'end_turn', usage: usage(37, 11) },
    ];
    const sink = new MemorySink();
    await streamResponses(
      eventsOf(events),
      sink,
      {
        id: 'resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654',
        createdAt: 1741290958,
        model: 'gpt-4.1-2025-04-14',
        echo: parsed.echo,
      },
      outcomeOf(events),
    );
    expectConformance(sink.frames, documented);
  });
});

describe('docs-function-call-streaming.jsonl (function calling guide, streaming)', () => {
  it('contains the documented events, in order, between created and completed', async () => {
    const documented = read('docs-function-call-streaming.jsonl')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l): SseFrame => {
        const data = JSON.parse(l) as { type: string };
        return { event: data.type, data };
      });
    const deltas = documented.flatMap((f) => {
      const d = f.data as { type: string; delta?: string };
      return d.type === 'response.function_call_arguments.delta' ? [d.delta!] : [];
    });
    const events: TurnEvent[] = [
      { type: 'start', messageId: 'msg_x', model: 'claude', sessionId: 's', usage: usage(60, 1) },
      { type: 'block_start', index: 0, block: { type: 'tool_use', id: 'call_1234xyz', name: 'get_weather' } },
      ...deltas.map((partialJson): TurnEvent => ({ type: 'tool_input_delta', index: 0, partialJson })),
      { type: 'block_stop', index: 0 },
      { type: 'stop', stopReason: 'tool_use', usage: usage(60, 18) },
    ];
    const sink = new MemorySink();
    await streamResponses(eventsOf(events), sink, { id: 'resp_1234xyz', createdAt: 1741290958, model: 'gpt-4.1' }, outcomeOf(events));
    const names = sink.frames.map((f) => f.event);
    expect(names.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(names.at(-1)).toBe('response.completed');
    expectConformance(sink.frames.slice(2, -1), documented);
  });
});
