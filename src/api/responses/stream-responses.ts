/**
 * Canonical turn events to the Responses API's SSE stream. Every event has an `event:`
 * line equal to its `type` and a `sequence_number` counting from 0:
 *
 *   response.created (first, before the engine answers: the openai SDK and Codex need it)
 *   response.in_progress
 *   per output item, in order:
 *     text      output_item.added, content_part.added, output_text.delta*,
 *               output_text.done, content_part.done, output_item.done
 *     tool call output_item.added (arguments ''), function_call_arguments.delta*,
 *               function_call_arguments.done, output_item.done
 *     custom    output_item.added (custom_tool_call, input ''),
 *     tool call custom_tool_call_input.delta* (the raw text, decoded from the streamed
 *               JSON as it comes: custom-input-stream.ts), custom_tool_call_input.done,
 *               output_item.done
 *     thinking  output_item.added (reasoning), then, once there is text,
 *               reasoning_summary_part.added, reasoning_summary_text.delta*,
 *               reasoning_summary_text.done, reasoning_summary_part.done;
 *               output_item.done. (Thinking is shown as a reasoning summary because
 *               Codex displays those; redacted thinking has no item.)
 *   response.completed | response.incomplete (max_tokens, refusal) with the full
 *   response and usage, or response.failed with `response.error {code, message}`.
 *
 * Keep-alives are SSE comments. The closing event needs the whole turn (stop reason,
 * usage): it comes from `outcome`, the one fold of the turn the engine already makes, so
 * the events are not folded a second time here. Returns that result (what ResponseStore
 * keeps); undefined when the turn failed or the client went away first (then `outcome`
 * is not waited for). A TurnFailure thrown by the source becomes response.failed; any
 * other exception does too and is rethrown for the caller to log (the caller must not
 * write to the sink afterwards).
 */
import type { CollectOutcome, TurnResult } from '../../turn/collect.js';
import { type BlockStart, type TurnError, type TurnEvent, TurnFailure, type WebSearchHit } from '../../turn/types.js';
import type { SseSink } from '../wire.js';
import {
  customInputText,
  customToolCallItem,
  functionCallItem,
  itemId,
  messageItem,
  reasoningItem,
  refusalItem,
  urlCitations,
  webSearchCallItem,
} from './build-output-items.js';
import { encodeResponsesUsage } from './convert-usage.js';
import { CustomInputStream } from './custom-input-stream.js';
import { type ResponseMeta, responseObject, statusForResult } from './encode-response.js';
import { encodeResponseFailure } from './encode-responses-error.js';
import type { OutputItem, ResponsesStreamEvent, UnnumberedEvent } from './wire-types.js';

export async function streamResponses(
  events: AsyncIterable<TurnEvent>,
  sink: SseSink,
  meta: ResponseMeta,
  turn: Promise<CollectOutcome>,
): Promise<TurnResult | undefined> {
  const enc = new ResponsesStreamEncoder(sink, meta);
  enc.begin();
  try {
    for await (const _ of enc.tap(events));
  } catch (e) {
    enc.fail(e instanceof TurnFailure ? e.error : internalError(e));
    if (e instanceof TurnFailure) return undefined;
    throw e;
  }
  if (sink.closed) return undefined;
  const outcome = await turn;
  if (!outcome.ok) {
    enc.fail(outcome.error);
    return undefined;
  }
  enc.finish(outcome.result);
  return outcome.result;
}

const internalError = (e: unknown): TurnError => ({
  kind: 'internal',
  message: `internal error: ${e instanceof Error ? e.message : String(e)}`,
});

type OpenItem =
  | { kind: 'message'; outputIndex: number; id: string; text: string }
  | { kind: 'reasoning'; outputIndex: number; id: string; text: string; partOpen: boolean }
  | { kind: 'function_call'; outputIndex: number; id: string; callId: string; name: string; args: string }
  | { kind: 'custom_tool_call'; outputIndex: number; id: string; callId: string; name: string; input: CustomInputStream; streamed: string }
  | { kind: 'web_search_call'; outputIndex: number; id: string; query: string }
  | { kind: 'none' };

class ResponsesStreamEncoder {
  private seq = 0;
  /** Engine block index → the item it feeds. */
  private readonly open = new Map<number, OpenItem>();
  /** Output items by output index: in progress until their output_item.done. */
  private readonly output: OutputItem[] = [];
  private readonly done = new Set<number>();
  /** Hosted search hits seen so far (url_citation annotations on later text). */
  private readonly hits: WebSearchHit[] = [];
  /** Open web_search_call items by the search's tool use id. */
  private readonly searches = new Map<string, Extract<OpenItem, { kind: 'web_search_call' }>>();

  constructor(
    private readonly sink: SseSink,
    private readonly meta: ResponseMeta,
  ) {}

  begin(): void {
    const response = responseObject(this.meta, { status: 'in_progress', output: [], usage: null });
    this.emit({ type: 'response.created', response });
    this.emit({ type: 'response.in_progress', response });
  }

  /** Passes events on, writing SSE for each on the way; ends at an error or when the client goes. */
  async *tap(events: AsyncIterable<TurnEvent>): AsyncGenerator<TurnEvent> {
    for await (const ev of events) {
      if (this.sink.closed) return;
      this.handle(ev);
      yield ev;
      if (ev.type === 'error') return; // the turn is over: nothing after it is read
    }
  }

  finish(result: TurnResult): void {
    this.closeAll();
    const { status, incomplete_details } = statusForResult(result);
    const response = responseObject(this.meta, {
      status,
      incompleteDetails: incomplete_details,
      output: [...this.output],
      usage: encodeResponsesUsage(result.usage),
    });
    this.emit({ type: status === 'completed' ? 'response.completed' : 'response.incomplete', response });
  }

  fail(err: TurnError): void {
    const response = responseObject(this.meta, {
      status: 'failed',
      error: encodeResponseFailure(err),
      output: this.output.filter((_, i) => this.done.has(i)),
      usage: null,
    });
    this.emit({ type: 'response.failed', response });
  }

  private handle(ev: TurnEvent): void {
    switch (ev.type) {
      case 'block_start':
        this.blockStart(ev.index, ev.block);
        break;
      case 'text_delta': {
        const item = this.open.get(ev.index);
        if (item?.kind !== 'message') break;
        item.text += ev.text;
        this.emit({
          type: 'response.output_text.delta',
          item_id: item.id,
          output_index: item.outputIndex,
          content_index: 0,
          delta: ev.text,
          logprobs: [],
        });
        break;
      }
      case 'thinking_delta': {
        const item = this.open.get(ev.index);
        if (item?.kind !== 'reasoning' || ev.thinking === '') break;
        const at = { item_id: item.id, output_index: item.outputIndex, summary_index: 0 };
        if (!item.partOpen) {
          item.partOpen = true;
          this.emit({ type: 'response.reasoning_summary_part.added', ...at, part: { type: 'summary_text', text: '' } });
        }
        item.text += ev.thinking;
        this.emit({ type: 'response.reasoning_summary_text.delta', ...at, delta: ev.thinking });
        break;
      }
      case 'tool_input_delta': {
        const item = this.open.get(ev.index);
        if (item?.kind === 'custom_tool_call') {
          const delta = item.input.push(ev.partialJson);
          if (delta !== '') this.customDelta(item, delta);
          break;
        }
        if (item?.kind !== 'function_call') break;
        item.args += ev.partialJson;
        this.emit({
          type: 'response.function_call_arguments.delta',
          item_id: item.id,
          output_index: item.outputIndex,
          delta: ev.partialJson,
        });
        break;
      }
      case 'server_tool_use':
        // Only Anthropic clients offer a web fetch (decision 095); Responses has no item for one.
        if (ev.name === 'web_search') this.searchStart(ev.id, ev.input.query);
        break;
      case 'web_fetch_result':
        break;
      case 'web_search_result':
        this.searchDone(ev.toolUseId, ev.results, ev.error !== undefined);
        break;
      case 'block_stop':
        this.blockStop(ev.index);
        break;
      case 'refusal':
        this.refusal(ev.text);
        break;
      case 'stop':
        this.closeAll();
        break;
      case 'keepalive':
        if (!this.sink.closed) this.sink.comment('keepalive');
        break;
      case 'start':
      case 'signature_delta':
      // Document citations have no Responses shape without a Files API (file_citation needs a file_id).
      case 'text_citation':
      case 'rate_limit':
      case 'error': // the turn's outcome is then a failure; fail() writes response.failed
        break;
    }
  }

  private blockStart(engineIndex: number, block: BlockStart): void {
    if (this.open.has(engineIndex)) this.blockStop(engineIndex);
    const outputIndex = this.output.length;
    let item: OpenItem;
    let added: OutputItem;
    switch (block.type) {
      case 'redacted_thinking':
        this.open.set(engineIndex, { kind: 'none' });
        return;
      case 'text': {
        const id = itemId(this.meta.id, 'msg', outputIndex);
        item = { kind: 'message', outputIndex, id, text: '' };
        added = { ...messageItem(id, '', 'in_progress'), content: [] };
        break;
      }
      case 'thinking': {
        const id = itemId(this.meta.id, 'rs', outputIndex);
        item = { kind: 'reasoning', outputIndex, id, text: '', partOpen: false };
        added = reasoningItem(id, '');
        break;
      }
      case 'tool_use': {
        if (this.meta.customTools?.has(block.name)) {
          const id = itemId(this.meta.id, 'ctc', outputIndex);
          item = { kind: 'custom_tool_call', outputIndex, id, callId: block.id, name: block.name, input: new CustomInputStream(), streamed: '' };
          added = customToolCallItem(id, block.id, block.name, '', 'in_progress', this.meta.namespacedTools);
          break;
        }
        const id = itemId(this.meta.id, 'fc', outputIndex);
        item = { kind: 'function_call', outputIndex, id, callId: block.id, name: block.name, args: '' };
        added = functionCallItem(id, block.id, block.name, '', 'in_progress', this.meta.namespacedTools);
        break;
      }
    }
    this.open.set(engineIndex, item);
    this.output.push(added);
    this.emit({ type: 'response.output_item.added', output_index: outputIndex, item: added });
    if (item.kind === 'message') {
      this.emit({
        type: 'response.content_part.added',
        item_id: item.id,
        output_index: outputIndex,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      });
    }
  }

  /** A hosted search: its item added, then in_progress and searching (the CLI runs it next). */
  private searchStart(toolUseId: string, query: string): void {
    const outputIndex = this.output.length;
    const id = itemId(this.meta.id, 'ws', outputIndex);
    const item = { kind: 'web_search_call' as const, outputIndex, id, query };
    this.searches.set(toolUseId, item);
    const added = webSearchCallItem(id, query, 'in_progress');
    this.output.push(added);
    this.emit({ type: 'response.output_item.added', output_index: outputIndex, item: added });
    this.emit({ type: 'response.web_search_call.in_progress', item_id: id, output_index: outputIndex });
    this.emit({ type: 'response.web_search_call.searching', item_id: id, output_index: outputIndex });
  }

  private searchDone(toolUseId: string, hits: WebSearchHit[], failed: boolean): void {
    const item = this.searches.get(toolUseId);
    if (!item) return;
    this.searches.delete(toolUseId);
    this.hits.push(...hits);
    if (!failed) this.emit({ type: 'response.web_search_call.completed', item_id: item.id, output_index: item.outputIndex });
    const done = webSearchCallItem(item.id, item.query, failed ? 'failed' : 'completed', failed ? undefined : hits);
    this.output[item.outputIndex] = done;
    this.done.add(item.outputIndex);
    this.emit({ type: 'response.output_item.done', output_index: item.outputIndex, item: done });
  }

  /** A whole refusal message item: added, its refusal part streamed in one delta, done. */
  private refusal(text: string): void {
    this.closeAll();
    const outputIndex = this.output.length;
    const id = itemId(this.meta.id, 'msg', outputIndex);
    const added = { ...refusalItem(id, '', 'in_progress'), content: [] };
    this.output.push(added);
    this.emit({ type: 'response.output_item.added', output_index: outputIndex, item: added });
    const at = { item_id: id, output_index: outputIndex, content_index: 0 };
    this.emit({ type: 'response.content_part.added', ...at, part: { type: 'refusal', refusal: '' } });
    this.emit({ type: 'response.refusal.delta', ...at, delta: text });
    this.emit({ type: 'response.refusal.done', ...at, refusal: text });
    this.emit({ type: 'response.content_part.done', ...at, part: { type: 'refusal', refusal: text } });
    const done = refusalItem(id, text, 'completed');
    this.output[outputIndex] = done;
    this.done.add(outputIndex);
    this.emit({ type: 'response.output_item.done', output_index: outputIndex, item: done });
  }

  private blockStop(engineIndex: number): void {
    const item = this.open.get(engineIndex);
    if (item === undefined) return;
    this.open.delete(engineIndex);
    let done: OutputItem;
    switch (item.kind) {
      case 'none':
      case 'web_search_call':
        return;
      case 'message': {
        const at = { item_id: item.id, output_index: item.outputIndex, content_index: 0 };
        this.emit({ type: 'response.output_text.done', ...at, text: item.text, logprobs: [] });
        const annotations = urlCitations(item.text, this.hits);
        const part = { type: 'output_text' as const, text: item.text, annotations };
        this.emit({ type: 'response.content_part.done', ...at, part });
        done = messageItem(item.id, item.text, 'completed', annotations);
        break;
      }
      case 'reasoning': {
        if (item.partOpen) {
          const at = { item_id: item.id, output_index: item.outputIndex, summary_index: 0 };
          this.emit({ type: 'response.reasoning_summary_text.done', ...at, text: item.text });
          const part = { type: 'summary_text' as const, text: item.text };
          this.emit({ type: 'response.reasoning_summary_part.done', ...at, part });
        }
        done = reasoningItem(item.id, item.text);
        break;
      }
      case 'function_call': {
        // The arguments as streamed (their concatenated deltas); none at all means {}.
        const args = item.args.trim() === '' ? '{}' : item.args;
        const name = this.meta.namespacedTools?.get(item.name)?.name ?? item.name;
        this.emit({
          type: 'response.function_call_arguments.done',
          item_id: item.id,
          output_index: item.outputIndex,
          name,
          arguments: args,
        });
        done = functionCallItem(item.id, item.callId, item.name, args, 'completed', this.meta.namespacedTools);
        break;
      }
      case 'custom_tool_call': {
        const input = customInputText(parseToolInput(item.input.text));
        // What was not streamed yet (all of it when the JSON had another shape).
        if (input.startsWith(item.streamed) && input.length > item.streamed.length) this.customDelta(item, input.slice(item.streamed.length));
        this.emit({ type: 'response.custom_tool_call_input.done', item_id: item.id, output_index: item.outputIndex, input });
        done = customToolCallItem(item.id, item.callId, item.name, input, 'completed', this.meta.namespacedTools);
        break;
      }
    }
    this.output[item.outputIndex] = done;
    this.done.add(item.outputIndex);
    this.emit({ type: 'response.output_item.done', output_index: item.outputIndex, item: done });
  }

  private customDelta(item: Extract<OpenItem, { kind: 'custom_tool_call' }>, delta: string): void {
    item.streamed += delta;
    this.emit({ type: 'response.custom_tool_call_input.delta', item_id: item.id, output_index: item.outputIndex, delta });
  }

  private closeAll(): void {
    for (const engineIndex of [...this.open.keys()]) this.blockStop(engineIndex);
  }

  private emit(ev: UnnumberedEvent): void {
    if (this.sink.closed) return;
    const numbered = { ...ev, sequence_number: this.seq++ } as ResponsesStreamEvent;
    this.sink.send(numbered, ev.type);
  }
}

/** A tool's streamed JSON input as an object (what collect.ts keeps too); unreadable JSON is kept as text. */
function parseToolInput(json: string): Record<string, unknown> {
  if (json.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { input: json };
  } catch {
    return { input: json };
  }
}
