/**
 * Conformance with Anthropic's documented streams (testdata/README.md): the canonical
 * events equivalent to each documented stream must come out as the same SSE events, with
 * every documented field identical.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BlockStart, ErrorKind, StopReason, TurnEvent, Usage } from '../../turn/types.js';
import { eventsOf, MemorySink, parseSse, type SseFrame, subsetProblems } from '../shared/testdata/sse-helpers.js';
import { streamMessages } from './stream-messages.js';

/** Fields we send that a documented example may lack (all are in the live API's events). */
const ALLOWED_EXTRA = ['cache_creation_input_tokens', 'cache_read_input_tokens', 'input_tokens', 'usage', 'stop_details'];

const KIND_OF_TYPE: Record<string, ErrorKind> = { overloaded_error: 'overloaded', api_error: 'upstream' };

interface WireUsage {
  input_tokens?: number;
  output_tokens?: number;
}
const toUsage = (u: WireUsage | undefined, inputFallback = 0): Usage => ({
  inputTokens: u?.input_tokens ?? inputFallback,
  outputTokens: u?.output_tokens ?? 0,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
});

/** A documented event, loosely typed: only what this test reads. */
interface DocEvent {
  type: string;
  index?: number;
  message?: { id: string; model: string; usage?: WireUsage };
  content_block?: { type: 'text' | 'thinking' | 'tool_use'; id?: string; name?: string };
  delta?: {
    type?: string;
    text?: string;
    thinking?: string;
    signature?: string;
    partial_json?: string;
    stop_reason?: StopReason;
    stop_sequence?: string | null;
  };
  usage?: WireUsage;
  error?: { type: string; message: string };
}

/**
 * The canonical events a documented stream stands for (what the engine derives from the
 * CLI's stream_event lines). Engine indices are deliberately sparse (2i+1) so the
 * documented 0, 1, 2 must come from streamMessages' renumbering.
 */
function canonicalEventsFor(frames: SseFrame[]): TurnEvent[] {
  let input = 0;
  return frames.flatMap((frame): TurnEvent[] => {
    const d = frame.data as DocEvent;
    const index = 2 * (d.index ?? 0) + 1;
    switch (d.type) {
      case 'message_start': {
        const m = d.message!;
        input = m.usage?.input_tokens ?? 0;
        return [{ type: 'start', messageId: m.id, model: m.model, sessionId: 's', usage: toUsage(m.usage) }];
      }
      case 'content_block_start': {
        const b = d.content_block!;
        const block: BlockStart = b.type === 'tool_use' ? { type: 'tool_use', id: b.id!, name: b.name! } : { type: b.type };
        return [{ type: 'block_start', index, block }];
      }
      case 'content_block_delta': {
        const delta = d.delta!;
        if (delta.type === 'text_delta') return [{ type: 'text_delta', index, text: delta.text! }];
        if (delta.type === 'thinking_delta') return [{ type: 'thinking_delta', index, thinking: delta.thinking! }];
        if (delta.type === 'signature_delta') return [{ type: 'signature_delta', index, signature: delta.signature! }];
        return [{ type: 'tool_input_delta', index, partialJson: delta.partial_json! }];
      }
      case 'content_block_stop':
        return [{ type: 'block_stop', index }];
      case 'message_delta':
        return [{ type: 'stop', stopReason: d.delta!.stop_reason!, stopSequence: d.delta!.stop_sequence, usage: toUsage(d.usage, input) }];
      case 'message_stop':
        return []; // follows from stop
      case 'ping':
        return [{ type: 'keepalive', reason: 'ping' }];
      case 'error':
        return [{ type: 'error', error: { kind: KIND_OF_TYPE[d.error!.type], message: d.error!.message } }];
      default:
        throw new Error(`fixture has an event this test does not know: ${d.type}`);
    }
  });
}

describe.each(['docs-basic-streaming.sse', 'docs-tool-use-streaming.sse', 'docs-extended-thinking-streaming.sse', 'docs-error-event.sse'])('%s', (file) => {
  const documented = parseSse(readFileSync(new URL(`testdata/${file}`, import.meta.url), 'utf8'));

  it('comes out as the documented event sequence, field for field', async () => {
    const sink = new MemorySink();
    await streamMessages(eventsOf(canonicalEventsFor(documented)), sink);

    expect(sink.frames.map((f) => f.event)).toEqual(documented.map((f) => f.event));
    for (const [i, frame] of sink.frames.entries()) {
      expect(frame.event).toBe((frame.data as { type: string }).type);
      expect(subsetProblems(frame.data, documented[i].data, { allowedExtra: ALLOWED_EXTRA }), `event ${i} (${frame.event})`).toEqual([]);
    }
  });
});

describe('subsetProblems (the comparison itself)', () => {
  it('catches a changed value, a missing field and an unexpected field', () => {
    expect(subsetProblems({ a: 1, b: { c: 'x' }, z: 1 }, { a: 2, b: { c: 'x', d: 1 } })).toEqual(['$.a: 1 != 2', '$.b.d: missing', '$.z: unexpected field']);
  });

  it('applies allowedExtra, anyValue and notRequired by key', () => {
    const opts = { allowedExtra: ['z'], anyValue: ['id'], notRequired: ['old'] };
    expect(subsetProblems({ id: 'mine', z: 1 }, { id: 'theirs', old: 2 }, opts)).toEqual([]);
    expect(subsetProblems({ id: 7 }, { id: 'theirs' }, opts)).toEqual(['$.id: number is not a string']);
  });
});
