/**
 * Canonical turn events to the Messages API's SSE stream, every event with its `event:`
 * line, in the order Anthropic sends them:
 *   message_start → (content_block_start → content_block_delta* → content_block_stop)*
 *   → message_delta → message_stop, with `ping` for keep-alives and `error` on failure.
 *   A keep-alive before message_start is an SSE comment instead: Anthropic never sends
 *   an event before message_start.
 *
 * - Block indices are renumbered 0, 1, 2… in the order blocks start, whatever the
 *   engine's indices are (gaps, or an index reused for a later block).
 * - A block the engine left open is closed before message_delta.
 * - After message_stop the remaining events are consumed without writing (the producer
 *   runs to its end); after an error event, or once the client has gone, iteration stops.
 * - A stream that ends without a stop or an error gets an api_error event, as a
 *   non-streaming request would get a 502.
 * - A TurnFailure thrown by the event source becomes an error event; any other exception
 *   becomes an api_error event and is then rethrown for the caller to log (the caller
 *   must not write to the sink after that).
 */
import { type BlockStart, emptyUsage, type TurnError, type TurnEvent, TurnFailure, type Usage } from '../../turn/types.js';
import type { SseSink } from '../wire.js';
import { encodeErrorBody } from './encode-messages-error.js';
import { encodeUsage, webFetchContent, webSearchContent } from './encode-messages-response.js';
import type { AnthropicBlockStart, AnthropicDelta, AnthropicStreamEvent } from './wire-types.js';

export async function streamMessages(events: AsyncIterable<TurnEvent>, sink: SseSink): Promise<void> {
  const enc = new MessagesStreamEncoder(sink);
  try {
    for await (const ev of events) {
      if (sink.closed) return;
      if (enc.state === 'stopped') continue; // drain
      if (!enc.handle(ev)) return; // failed
    }
  } catch (e) {
    if (enc.state === 'open') enc.fail(e instanceof TurnFailure ? e.error : internalError(e));
    if (e instanceof TurnFailure) return;
    throw e;
  }
  if (enc.state === 'open') enc.fail({ kind: 'upstream', message: 'the turn ended without a result' });
}

const internalError = (e: unknown): TurnError => ({
  kind: 'internal',
  message: `internal error: ${e instanceof Error ? e.message : String(e)}`,
});

class MessagesStreamEncoder {
  state: 'open' | 'stopped' | 'failed' = 'open';
  private started = false;
  private nextIndex = 0;
  /** Engine index → client index, for blocks that are open. */
  private readonly open = new Map<number, number>();

  constructor(private readonly sink: SseSink) {}

  /** Encodes one event; false once the stream has failed. */
  handle(ev: TurnEvent): boolean {
    switch (ev.type) {
      case 'start':
        this.start(ev.messageId, ev.model, ev.usage);
        break;
      case 'block_start':
        this.blockStart(ev.index, ev.block);
        break;
      case 'text_delta':
        this.delta(ev.index, { type: 'text_delta', text: ev.text });
        break;
      case 'text_citation':
        this.delta(ev.index, { type: 'citations_delta', citation: ev.citation });
        break;
      case 'thinking_delta':
        this.delta(ev.index, { type: 'thinking_delta', thinking: ev.thinking });
        break;
      case 'signature_delta':
        this.delta(ev.index, { type: 'signature_delta', signature: ev.signature });
        break;
      case 'tool_input_delta':
        this.delta(ev.index, { type: 'input_json_delta', partial_json: ev.partialJson });
        break;
      case 'block_stop':
        this.blockStop(ev.index);
        break;
      case 'server_tool_use':
        // As the API streams it: an empty input, then the whole input as one JSON delta.
        this.serverBlock(ev.index, { type: 'server_tool_use', id: ev.id, name: ev.name, input: {} });
        this.delta(ev.index, { type: 'input_json_delta', partial_json: JSON.stringify(ev.input) });
        this.blockStop(ev.index);
        break;
      case 'web_search_result':
        this.serverBlock(ev.index, {
          type: 'web_search_tool_result',
          tool_use_id: ev.toolUseId,
          content: webSearchContent({ type: 'web_search_result', toolUseId: ev.toolUseId, results: ev.results, ...(ev.error ? { error: ev.error } : {}) }),
        });
        this.blockStop(ev.index);
        break;
      case 'web_fetch_result':
        this.serverBlock(ev.index, { type: 'web_fetch_tool_result', tool_use_id: ev.toolUseId, content: webFetchContent(ev) });
        this.blockStop(ev.index);
        break;
      case 'keepalive':
        // Anthropic's streams always open with message_start; before it a keep-alive is
        // an SSE comment (CLI retries happen before the first upstream event).
        if (this.started) this.emit({ type: 'ping' });
        else if (!this.sink.closed) this.sink.comment('ping');
        break;
      case 'rate_limit':
        break; // status information; the wire has no place for it
      case 'refusal': {
        // The Messages API has no refusal field: the model's words are a text block, and stop_reason says refusal.
        const REFUSAL_INDEX = -1;
        this.blockStart(REFUSAL_INDEX, { type: 'text' });
        this.delta(REFUSAL_INDEX, { type: 'text_delta', text: ev.text });
        this.blockStop(REFUSAL_INDEX);
        break;
      }
      case 'stop':
        this.start('', '', emptyUsage());
        for (const engineIndex of [...this.open.keys()]) this.blockStop(engineIndex);
        this.emit({
          type: 'message_delta',
          delta: { stop_reason: ev.stopReason, stop_sequence: ev.stopSequence ?? null, stop_details: null },
          usage: encodeUsage(ev.usage),
        });
        this.emit({ type: 'message_stop' });
        this.state = 'stopped';
        break;
      case 'error':
        this.fail(ev.error);
        return false;
    }
    return true;
  }

  fail(err: TurnError): void {
    this.emit(encodeErrorBody(err));
    this.state = 'failed';
  }

  /** message_start, once; later calls (or a late engine `start`) do nothing. */
  private start(id: string, model: string, usage: Usage): void {
    if (this.started) return;
    this.started = true;
    this.emit({
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        stop_details: null,
        usage: encodeUsage(usage),
      },
    });
  }

  private blockStart(engineIndex: number, block: BlockStart): void {
    this.start('', '', emptyUsage());
    if (this.open.has(engineIndex)) this.blockStop(engineIndex);
    const index = this.nextIndex++;
    this.open.set(engineIndex, index);
    let content_block: AnthropicBlockStart;
    switch (block.type) {
      case 'text':
        content_block = { type: 'text', text: '' };
        break;
      case 'thinking':
        content_block = { type: 'thinking', thinking: '' };
        break;
      case 'redacted_thinking':
        content_block = { type: 'redacted_thinking', data: block.data };
        break;
      case 'tool_use':
        content_block = { type: 'tool_use', id: block.id, name: block.name, input: {} };
        break;
    }
    this.emit({ type: 'content_block_start', index, content_block });
  }

  /** A hosted tool's block, started whole (its content is known when the event comes). */
  private serverBlock(engineIndex: number, content_block: AnthropicBlockStart): void {
    this.start('', '', emptyUsage());
    if (this.open.has(engineIndex)) this.blockStop(engineIndex);
    const index = this.nextIndex++;
    this.open.set(engineIndex, index);
    this.emit({ type: 'content_block_start', index, content_block });
  }

  /** Deltas for a block that never started are dropped (an engine defect, not the client's). */
  private delta(engineIndex: number, delta: AnthropicDelta): void {
    const index = this.open.get(engineIndex);
    if (index !== undefined) this.emit({ type: 'content_block_delta', index, delta });
  }

  private blockStop(engineIndex: number): void {
    const index = this.open.get(engineIndex);
    if (index === undefined) return;
    this.open.delete(engineIndex);
    this.emit({ type: 'content_block_stop', index });
  }

  private emit(ev: AnthropicStreamEvent): void {
    if (!this.sink.closed) this.sink.send(ev, ev.type);
  }
}
