/**
 * Canonical turn events to a Chat Completions SSE stream (data-only frames, no `event:`):
 *
 *   chunk {delta: {role: 'assistant', content: ''}}     first, before the engine answers
 *   chunk {delta: {content}}                             per text delta
 *   chunk {delta: {reasoning_content}}                   per thinking delta
 *   chunk {delta: {tool_calls: [{index, id, type, function: {name, arguments: ''}}]}}
 *   chunk {delta: {tool_calls: [{index, function: {arguments}}]}}   per input fragment
 *   chunk {delta: {}, finish_reason}                     at stop
 *   chunk {choices: [], usage}                           with stream_options.include_usage
 *   [DONE]
 *
 * Tool call `index` is the call's ordinal in this answer (0, 1, …): the openai SDK's
 * stream helper indexes its snapshot array with it. With include_usage every other chunk
 * carries `usage: null`, as OpenAI documents.
 *
 * A failure (an `error` event, a TurnFailure thrown by the source, or a source that ends
 * without stopping) is one `{error: {message, type, param, code}}` frame and no [DONE]:
 * the openai SDK raises an APIError on a data frame carrying `error`. Any other exception
 * is reported the same way and rethrown for the caller to log. Nothing is written once
 * the sink is closed (the client went away), and reading stops; after stop or error the
 * remaining events are read to the end without writing.
 */
import { type TurnError, type TurnEvent, TurnFailure, type WebSearchHit } from '../../turn/types.js';
import { encodeOpenAIErrorBody } from '../shared/openai-errors.js';
import type { SseSink } from '../wire.js';
import { encodeChatUsage } from './convert-chat-usage.js';
import { type ChatMeta, chatCitations } from './encode-chat-completion.js';
import { mapFinishReason } from './map-finish-reason.js';
import type { ChatCompletionChunk, ChatDelta, ChatFinishReason } from './wire-types.js';

export interface ChatStreamMeta extends ChatMeta {
  /** stream_options.include_usage. */
  includeUsage: boolean;
}

export async function streamChat(events: AsyncIterable<TurnEvent>, sink: SseSink, meta: ChatStreamMeta): Promise<void> {
  const enc = new ChatStreamEncoder(sink, meta);
  enc.delta({ role: 'assistant', content: '' });
  let finished = false;
  try {
    for await (const ev of events) {
      // After stop or error the rest is read but not written: the caller folds the whole
      // event stream (usage, logs), so it must run to its end.
      if (finished) continue;
      if (sink.closed) return;
      finished = enc.handle(ev);
    }
  } catch (e) {
    if (finished && e instanceof TurnFailure) return; // the client has its answer already
    if (finished) throw e;
    enc.fail(e instanceof TurnFailure ? e.error : internalError(e));
    if (e instanceof TurnFailure) return;
    throw e;
  }
  if (!finished) enc.fail({ kind: 'upstream', message: 'stream ended unexpectedly' });
}

const internalError = (e: unknown): TurnError => ({
  kind: 'internal',
  message: `internal error: ${e instanceof Error ? e.message : String(e)}`,
});

class ChatStreamEncoder {
  /** Canonical block index → tool call ordinal. */
  private readonly toolCalls = new Map<number, number>();
  private refused = false;
  /** The answer's text and the hosted search hits so far (url_citation annotations at the end). */
  private text = '';
  private readonly hits: WebSearchHit[] = [];

  constructor(
    private readonly sink: SseSink,
    private readonly meta: ChatStreamMeta,
  ) {}

  /** Encodes one event; true once the stream is finished (stop or error). */
  handle(ev: TurnEvent): boolean {
    switch (ev.type) {
      case 'web_search_result':
        this.hits.push(...ev.results);
        return false;
      case 'text_delta':
        this.text += ev.text;
        if (ev.text !== '') this.delta({ content: ev.text });
        return false;
      case 'thinking_delta':
        if (ev.thinking !== '') this.delta({ reasoning_content: ev.thinking });
        return false;
      case 'block_start':
        if (ev.block.type === 'tool_use') {
          const index = this.toolCalls.size;
          this.toolCalls.set(ev.index, index);
          this.delta({
            tool_calls: [{ index, id: ev.block.id, type: 'function', function: { name: ev.block.name, arguments: '' } }],
          });
        }
        return false;
      case 'tool_input_delta': {
        const index = this.toolCalls.get(ev.index);
        if (index !== undefined && ev.partialJson !== '') {
          this.delta({ tool_calls: [{ index, function: { arguments: ev.partialJson } }] });
        }
        return false;
      }
      case 'keepalive':
        if (!this.sink.closed) this.sink.comment(`keepalive ${ev.reason}`);
        return false;
      case 'refusal':
        this.refused = true;
        this.delta({ refusal: ev.text });
        return false;
      case 'stop':
        // As OpenAI's search models do: the annotations on a delta once the text is complete.
        if (this.hits.length) this.delta({ annotations: chatCitations(this.text, this.hits) });
        this.delta({}, this.refused ? 'stop' : mapFinishReason(ev.stopReason));
        if (this.meta.includeUsage) this.send({ ...this.base(), choices: [], usage: encodeChatUsage(ev.usage) });
        this.send('[DONE]');
        return true;
      case 'error':
        this.fail(ev.error);
        return true;
      case 'start':
      case 'signature_delta':
      // Chat Completions has no place for document citations (annotations are url_citation only).
      case 'text_citation':
      case 'block_stop':
      case 'rate_limit':
      // Hosted search is the upstream's own work: Chat has no item for it (annotations point at the sources).
      case 'server_tool_use':
      // Only Anthropic clients offer a web fetch (decision 095).
      case 'web_fetch_result':
        return false;
    }
  }

  delta(delta: ChatDelta, finishReason: ChatFinishReason | null = null): void {
    this.send({
      ...this.base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(this.meta.includeUsage ? { usage: null } : {}),
    });
  }

  fail(error: TurnError): void {
    this.send(encodeOpenAIErrorBody(error));
  }

  private base(): Omit<ChatCompletionChunk, 'choices'> {
    return {
      id: this.meta.id,
      object: 'chat.completion.chunk',
      created: this.meta.created,
      model: this.meta.model,
      system_fingerprint: null,
    };
  }

  private send(data: unknown): void {
    if (!this.sink.closed) this.sink.send(data);
  }
}
