import { type ContentBlock, emptyUsage, type RateLimitInfo, type StopReason, type TurnError, type TurnEvent, type Usage } from './types.js';

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
  /** The model's refusal, when it declined under structured output (see the `refusal` event). */
  refusal?: string;
}

export type CollectOutcome = { ok: true; result: TurnResult } | { ok: false; error: TurnError };

/**
 * Folds turn events into one message, one event at a time (so a stream can be
 * forwarded and remembered in the same pass). Tool input JSON is parsed once the
 * block stops; malformed JSON from the model is an upstream error rather than a
 * silently emptied argument object.
 */
export class TurnCollector {
  private readonly blocks = new Map<number, ContentBlock>();
  private readonly partialJson = new Map<number, string>();
  private messageId = '';
  private model = '';
  private sessionId = '';
  private usage = emptyUsage();
  private stopReason: StopReason | undefined;
  private stopSequence: string | null = null;
  private readonly rateLimits: RateLimitInfo[] = [];
  private error: TurnError | undefined;
  private refusal: string | undefined;

  push(ev: TurnEvent): void {
    if (this.error) return;
    switch (ev.type) {
      case 'start':
        this.messageId = ev.messageId;
        this.model = ev.model;
        this.sessionId = ev.sessionId;
        this.usage = ev.usage;
        break;
      case 'block_start':
        if (ev.block.type === 'text') this.blocks.set(ev.index, { type: 'text', text: '' });
        else if (ev.block.type === 'thinking') this.blocks.set(ev.index, { type: 'thinking', thinking: '', signature: '' });
        else if (ev.block.type === 'redacted_thinking') this.blocks.set(ev.index, { type: 'redacted_thinking', data: ev.block.data });
        else {
          this.blocks.set(ev.index, { type: 'tool_use', id: ev.block.id, name: ev.block.name, input: {} });
          this.partialJson.set(ev.index, '');
        }
        break;
      case 'text_delta': {
        const b = this.blocks.get(ev.index);
        if (b?.type === 'text') b.text += ev.text;
        break;
      }
      case 'text_citation': {
        const b = this.blocks.get(ev.index);
        if (b?.type === 'text') (b.citations ??= []).push(ev.citation);
        break;
      }
      case 'thinking_delta': {
        const b = this.blocks.get(ev.index);
        if (b?.type === 'thinking') b.thinking += ev.thinking;
        break;
      }
      case 'signature_delta': {
        const b = this.blocks.get(ev.index);
        if (b?.type === 'thinking') b.signature = (b.signature ?? '') + ev.signature;
        break;
      }
      case 'tool_input_delta':
        this.partialJson.set(ev.index, (this.partialJson.get(ev.index) ?? '') + ev.partialJson);
        break;
      case 'block_stop': {
        const b = this.blocks.get(ev.index);
        if (b?.type === 'tool_use') {
          const raw = this.partialJson.get(ev.index) ?? '';
          try {
            b.input = raw.trim() === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
          } catch {
            this.error = { kind: 'upstream', message: `model produced invalid JSON for tool ${b.name}` };
          }
        }
        break;
      }
      case 'server_tool_use':
        this.blocks.set(
          ev.index,
          ev.name === 'web_fetch'
            ? { type: 'server_tool_use', id: ev.id, name: ev.name, input: ev.input }
            : { type: 'server_tool_use', id: ev.id, name: ev.name, input: ev.input },
        );
        break;
      case 'web_fetch_result': {
        const { index: _index, ...block } = ev;
        this.blocks.set(ev.index, block);
        break;
      }
      case 'web_search_result':
        this.blocks.set(ev.index, {
          type: 'web_search_result',
          toolUseId: ev.toolUseId,
          results: ev.results,
          ...(ev.error ? { error: ev.error } : {}),
        });
        break;
      case 'rate_limit':
        this.rateLimits.push(ev.info);
        break;
      case 'stop':
        this.stopReason = ev.stopReason;
        this.stopSequence = ev.stopSequence ?? null;
        this.usage = ev.usage;
        break;
      case 'error':
        this.error = ev.error;
        break;
      case 'refusal':
        this.refusal = (this.refusal ?? '') + ev.text;
        break;
      case 'keepalive':
        break;
    }
  }

  /** What the turn reported so far, whether or not it finished: for its ledger record. */
  summary(): { model: string; usage: Usage; rateLimits: RateLimitInfo[]; stopReason?: StopReason; error?: TurnError } {
    return { model: this.model, usage: this.usage, rateLimits: [...this.rateLimits], stopReason: this.stopReason, error: this.error };
  }

  /** The content blocks so far, in order (what the client has been shown). */
  content(): ContentBlock[] {
    return [...this.blocks.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
  }

  outcome(): CollectOutcome {
    if (this.error) return { ok: false, error: this.error };
    if (!this.stopReason) return { ok: false, error: { kind: 'upstream', message: 'the turn ended without a result' } };
    return {
      ok: true,
      result: {
        messageId: this.messageId,
        model: this.model,
        sessionId: this.sessionId,
        content: this.content(),
        stopReason: this.stopReason,
        stopSequence: this.stopSequence,
        usage: this.usage,
        rateLimits: this.rateLimits,
        ...(this.refusal !== undefined ? { refusal: this.refusal } : {}),
      },
    };
  }
}

/** Folds a whole stream of turn events into one message. */
export async function collectTurn(events: AsyncIterable<TurnEvent>): Promise<CollectOutcome> {
  const c = new TurnCollector();
  for await (const ev of events) {
    c.push(ev);
    if (ev.type === 'error') break;
  }
  return c.outcome();
}
