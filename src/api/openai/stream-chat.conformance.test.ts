/**
 * Conformance with OpenAI's documented Chat Completions stream (testdata/README.md): the
 * canonical events for the same answer come out as the documented chunks, every field
 * identical except the producer-chosen id and system_fingerprint (ours is null), and the
 * stream ends with `data: [DONE]`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TurnEvent, Usage } from '../../turn/types.js';
import { eventsOf, subsetProblems } from '../shared/testdata/sse-helpers.js';
import { parseChatRequest } from './parse-chat-request.js';
import { streamChat } from './stream-chat.js';
import { ChatMemorySink } from './testdata/chat-sse.js';

const read = (name: string): string => readFileSync(new URL(`testdata/${name}`, import.meta.url), 'utf8');
const usage = (input: number, output: number): Usage => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
});

/** system_fingerprint: documented as a string, ours is always null. */
function withoutFingerprint(chunk: unknown): unknown {
  const { system_fingerprint: fp, ...rest } = chunk as Record<string, unknown>;
  expect(fp === null || typeof fp === 'string').toBe(true);
  return rest;
}

describe('docs-chat-streaming.jsonl (API reference, create chat completion, streaming)', () => {
  it('comes out as the documented chunks, then [DONE]', async () => {
    const documented = read('docs-chat-streaming.jsonl')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as unknown);
    const parsed = parseChatRequest(
      {
        model: 'gpt-4o-mini',
        messages: [
          { role: 'developer', content: 'You are a helpful assistant.' },
          { role: 'user', content: 'Hello!' },
        ],
        stream: true,
      },
      { headers: {} },
    );
    expect(parsed.request.stream).toBe(true);
    expect(parsed.includeUsage).toBe(false);
    const events: TurnEvent[] = [
      { type: 'start', messageId: 'msg_x', model: 'claude', sessionId: 's', usage: usage(9, 1) },
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'Hello' },
      { type: 'block_stop', index: 0 },
      { type: 'stop', stopReason: 'end_turn', usage: usage(9, 2) },
    ];
    const sink = new ChatMemorySink();
    await streamChat(eventsOf(events), sink, {
      id: 'chatcmpl-ours',
      created: 1694268190,
      model: 'gpt-4o-mini',
      includeUsage: parsed.includeUsage,
    });

    expect(sink.frames.at(-1)).toBe('[DONE]');
    const chunks = sink.frames.slice(0, -1);
    expect(chunks).toHaveLength(documented.length);
    chunks.forEach((chunk, i) => {
      expect(subsetProblems(withoutFingerprint(chunk), withoutFingerprint(documented[i]), { anyValue: ['id'] }), `chunk ${i}`).toEqual([]);
    });
    // One id for the whole stream.
    expect(new Set(chunks.map((c) => (c as { id: string }).id)).size).toBe(1);
  });
});
