import {
  type ContentBlock,
  type RateLimitInfo,
  type StopReason,
  type TurnError,
  type TurnEvent,
  type Usage,
  emptyUsage,
} from './types.js';

/** A finished turn, for non-streaming responses. */
export interface TurnResult {
  messageId: string;
  model: string;
  sessionId: string;
  content: ContentBlock[];
  stopReason: StopReason;
  stopSequence: string | null;
  usage: Usage;
  rateLimits: RateLimitInfo[];
}

export type CollectOutcome = { ok: true; result: TurnResult } | { ok: false; error: TurnError };

/**
 * Folds a stream of turn events into one message. Tool input JSON is parsed once
 * the block stops; malformed JSON from the model is an upstream error rather than
 * a silently emptied argument object.
 */
export async function collectTurn(events: AsyncIterable<TurnEvent>): Promise<CollectOutcome> {
  const blocks = new Map<number, ContentBlock>();
  const partialJson = new Map<number, string>();
  let messageId = '';
  let model = '';
  let sessionId = '';
  let usage = emptyUsage();
  let stopReason: StopReason | undefined;
  let stopSequence: string | null = null;
  const rateLimits: RateLimitInfo[] = [];

  for await (const ev of events) {
    switch (ev.type) {
      case 'start':
        messageId = ev.messageId;
        model = ev.model;
        sessionId = ev.sessionId;
        usage = ev.usage;
        break;
      case 'block_start':
        if (ev.block.type === 'text') blocks.set(ev.index, { type: 'text', text: '' });
        else if (ev.block.type === 'thinking') blocks.set(ev.index, { type: 'thinking', thinking: '', signature: '' });
        else if (ev.block.type === 'redacted_thinking') blocks.set(ev.index, { type: 'redacted_thinking', data: ev.block.data });
        else {
          blocks.set(ev.index, { type: 'tool_use', id: ev.block.id, name: ev.block.name, input: {} });
          partialJson.set(ev.index, '');
        }
        break;
      case 'text_delta': {
        const b = blocks.get(ev.index);
        if (b?.type === 'text') b.text += ev.text;
        break;
      }
      case 'thinking_delta': {
        const b = blocks.get(ev.index);
        if (b?.type === 'thinking') b.thinking += ev.thinking;
        break;
      }
      case 'signature_delta': {
        const b = blocks.get(ev.index);
        if (b?.type === 'thinking') b.signature = (b.signature ?? '') + ev.signature;
        break;
      }
      case 'tool_input_delta':
        partialJson.set(ev.index, (partialJson.get(ev.index) ?? '') + ev.partialJson);
        break;
      case 'block_stop': {
        const b = blocks.get(ev.index);
        if (b?.type === 'tool_use') {
          const raw = partialJson.get(ev.index) ?? '';
          try {
            b.input = raw.trim() === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
          } catch {
            return { ok: false, error: { kind: 'upstream', message: `model produced invalid JSON for tool ${b.name}` } };
          }
        }
        break;
      }
      case 'rate_limit':
        rateLimits.push(ev.info);
        break;
      case 'stop':
        stopReason = ev.stopReason;
        stopSequence = ev.stopSequence ?? null;
        usage = ev.usage;
        break;
      case 'error':
        return { ok: false, error: ev.error };
      case 'keepalive':
        break;
    }
  }
  if (!stopReason) {
    return { ok: false, error: { kind: 'upstream', message: 'the turn ended without a result' } };
  }
  const content = [...blocks.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
  return { ok: true, result: { messageId, model, sessionId, content, stopReason, stopSequence, usage, rateLimits } };
}
