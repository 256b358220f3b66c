import type { SDKAssistantMessage, SDKMessage, SDKPartialAssistantMessage, SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import type { FetchedDocument, RateLimitInfo, StopReason, TextCitation, TurnEvent, Usage } from '../turn/types.js';
import { emptyUsage } from '../turn/types.js';
import { type CliFailure, classifyCliFailure } from './cli-errors.js';
import { WEB_FETCH_CLI_TOOL } from './client-tool-names.js';
import type { WebFetchOutcome } from './web-fetch-tool.js';

/**
 * What the CLI sends, typed by the pinned Agent SDK's own message union: an SDK upgrade
 * that changes a field this translator reads breaks the build, not a user's turn.
 */
export type CliMessage = SDKMessage;
type ApiMessage = SDKAssistantMessage['message'];
type WireUsage = {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
};

/**
 * The fields of the upstream's stream events this translator reads. The replay of a
 * non-streamed answer builds such events itself, so they are not the SDK's full types;
 * the check below makes the SDK's event type break the build if it stops fitting.
 */
type StreamEventLike =
  | { type: 'message_start'; message: { id?: string; model?: string; usage?: WireUsage | null } }
  | {
      type: 'content_block_start';
      index: number;
      content_block: { type: string; text?: string; thinking?: string; data?: string; id?: string; name?: string; input?: unknown };
    }
  | {
      type: 'content_block_delta';
      index: number;
      delta: { type: string; text?: string; thinking?: string; signature?: string; partial_json?: string; citation?: unknown };
    }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason?: string | null; stop_sequence?: string | null }; usage?: WireUsage | null }
  | { type: 'message_stop' };
const sdkEventsFit = (e: SDKPartialAssistantMessage['event']): StreamEventLike => e;

const toUsage = (u: WireUsage | null | undefined, base: Usage = emptyUsage()): Usage => ({
  inputTokens: typeof u?.input_tokens === 'number' ? u.input_tokens : base.inputTokens,
  outputTokens: typeof u?.output_tokens === 'number' ? u.output_tokens : base.outputTokens,
  cacheReadInputTokens: typeof u?.cache_read_input_tokens === 'number' ? u.cache_read_input_tokens : base.cacheReadInputTokens,
  cacheCreationInputTokens: typeof u?.cache_creation_input_tokens === 'number' ? u.cache_creation_input_tokens : base.cacheCreationInputTokens,
});

const isCitation = (c: unknown): c is TextCitation => typeof c === 'object' && c !== null && typeof (c as { type?: unknown }).type === 'string';

const STOP_REASONS = new Set<StopReason>(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal']);

export interface TranslatorHooks {
  /** Maps an MCP tool name the CLI sees (mcp__client__x) back to the client's name; undefined = not a client tool. */
  clientToolName?: (cliName: string) => string | undefined;
  /**
   * The client asked for JSON output: the CLI enforces the schema through its
   * StructuredOutput tool, so that tool call and any prose around it are held back
   * and the validated JSON is sent as the answer's text at the end.
   */
  structuredOutput?: boolean;
  /** The client's JSON is this property of the structured output (a non-object schema was wrapped). */
  structuredOutputKey?: string;
  /** A tool call that is not one of the client's offered tools was held back (for a log line). */
  onForeignTool?: (cliName: string) => void;
  /**
   * The upstream's own error message for a failed turn, which the CLI keeps only in its
   * transcript (e.g. the token counts of "prompt is too long"); given the synthetic
   * error message's uuid.
   */
  upstreamErrorMessage?: (syntheticUuid: string) => string | undefined;
  /** The model the turn asked for, for error messages that name it. */
  model?: string;
  /**
   * The client offered hosted web search: the CLI's WebSearch calls become server_tool_use
   * and web_search_result events (never a client tool call).
   */
  hostedSearch?: boolean;
  /**
   * The daemon's web fetch is offered (decision 095): the CLI's mcp__maxproxy__web_fetch calls
   * become server_tool_use and web_fetch_result events (never a client tool call), the
   * result built from the outcome the tool kept by tool-use id.
   */
  hostedFetch?: { outcome(toolUseId: string): WebFetchOutcome | undefined };
}

/** The CLI's built-in search tool (enabled only for sessions whose client offered hosted search). */
export const WEB_SEARCH_TOOL = 'WebSearch';

type SearchHit = { title: string; url: string };
const isHit = (h: unknown): h is SearchHit =>
  typeof h === 'object' && h !== null && typeof (h as SearchHit).url === 'string' && typeof (h as SearchHit).title === 'string';

/**
 * The CLI's report of one WebSearch (`tool_use_result`): `results` mixes
 * `{tool_use_id, content: [{title, url}]}` entries (one per upstream search) with the
 * summary text; a failed search is the text `Web search error: <error_code>`.
 */
export function searchOutcome(r: unknown): { hits: SearchHit[]; error?: { code: string }; searches: number } | undefined {
  if (typeof r !== 'object' || r === null || !Array.isArray((r as { results?: unknown }).results)) return undefined;
  const hits: SearchHit[] = [];
  let error: { code: string } | undefined;
  let searches = 0;
  for (const e of (r as { results: unknown[] }).results) {
    // A failed search is reported as text (captured: fixture web-search-error).
    const failed = typeof e === 'string' ? /^Web search error: (\S+)/.exec(e) : null;
    if (failed) error = { code: failed[1] };
    if (typeof e !== 'object' || e === null) continue;
    const content = (e as { content?: unknown }).content;
    searches++;
    if (Array.isArray(content)) hits.push(...content.filter(isHit).map((h) => ({ title: h.title, url: h.url })));
    else if (typeof content === 'object' && content !== null && typeof (content as { error_code?: unknown }).error_code === 'string')
      error = { code: (content as { error_code: string }).error_code };
  }
  const count = (r as { searchCount?: unknown }).searchCount;
  if (typeof count === 'number') searches = count;
  return { hits, ...(error && hits.length === 0 ? { error } : {}), searches };
}

/**
 * A hosted tool call's id as the Messages API names server tool calls (`srvtoolu_…`): the
 * CLI's call is a plain tool_use (`toolu_…`) to it, never one the client runs.
 */
export const serverToolId = (id: string): string => id.replace(/^toolu_/, 'srvtoolu_');

/** The CLI's built-in tool behind `outputFormat: json_schema`. */
export const STRUCTURED_OUTPUT_TOOL = 'StructuredOutput';

/**
 * Turns the CLI's stream-json messages of ONE turn into canonical events.
 * Stateful: block indices continue across the API messages of a turn, usage comes
 * from message_delta (the assistant messages only carry message_start placeholders),
 * and errors are held until the result so they can be classified with everything known.
 */
export class CliTurnTranslator {
  private started = false;
  private indexBase = 0;
  private maxIndexThisMessage = -1;
  private usage = emptyUsage();
  /** Usage of the API messages this request has seen, finished ones first. */
  private readonly usages: Usage[] = [];
  private toolIdsThisMessage: string[] = [];
  private foreignToolThisMessage = false;
  /** Client tool calls shown in this turn (a tool_use stop without any is an end_turn to the client). */
  private clientToolCalls = 0;
  /** The turn stopped for client tool calls; the CLI turn stays open waiting for their results. */
  suspended = false;
  /** Ids of the client tool calls the suspended turn waits for. */
  pendingToolIds: string[] = [];
  /** Block indices (turn-wide) not shown to the client. */
  private readonly hidden = new Set<number>();
  /** Ids of API messages seen as stream events. */
  private readonly streamedIds = new Set<string>();
  private replayId?: string;
  private replayNext = 0;
  private stopReason: StopReason | undefined;
  /** Text of the current API message held back from the client (structured output). */
  private heldText = '';
  /** The last API message ended in a refusal; its held-back text, if any. */
  private refusal: { text: string } | undefined;
  private stopSequence: string | null = null;
  private failure: Partial<CliFailure> = {};
  private synthetic = false;
  private syntheticUuid?: string;
  /** Hosted tool calls (WebSearch, the daemon's web fetch) in progress, by turn-wide block index: their id and input JSON so far. */
  private readonly serverCalls = new Map<number, { id: string; name: 'web_search' | 'web_fetch'; json: string }>();
  /** Ids of the WebSearch calls shown as server_tool_use, awaiting their result. */
  private readonly searchIds = new Set<string>();
  /** Ids of the web fetch calls shown as server_tool_use, awaiting their result. */
  private readonly fetchIds = new Set<string>();
  /** Upstream searches made in this request (the CLI's own counter stays 0). */
  private webSearches = 0;
  /** Fetches the daemon ran for this request (a call refused by max_uses fetched nothing). */
  private webFetches = 0;
  /** The message stopped for client tools while hosted tool calls of it (search, fetch) had not reported yet. */
  private suspendAfterHosted = false;
  done = false;
  /** The turn ended in an error (its CLI history now holds a synthetic error message). */
  failed = false;

  constructor(
    private readonly sessionId: string,
    private readonly hooks: TranslatorHooks = {},
  ) {}

  push(m: CliMessage): TurnEvent[] {
    if (this.done) return [];
    switch (m.type) {
      case 'stream_event':
        if (m.parent_tool_use_id) return []; // sub-agent traffic never reaches the client
        return this.streamEvent(sdkEventsFit(m.event));
      case 'assistant': {
        if (m.parent_tool_use_id) return [];
        if (m.message?.model === '<synthetic>') {
          this.synthetic = true;
          if (typeof m.uuid === 'string') this.syntheticUuid = m.uuid;
          if (m.error) this.failure.assistantError = m.error;
          // The CLI's typed cause (stream-json field, not in the SDK's declared type).
          const apiError = (m as { api_error?: unknown }).api_error;
          if (typeof apiError === 'string') this.failure.apiError = apiError;
          const text = (m.message.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');
          if (text) this.failure.message = text;
        } else {
          // After a failed stream the CLI retries without streaming: that answer arrives only
          // as an assistant message whose id was never streamed. Replay it as stream events.
          if (typeof m.message?.id === 'string' && !this.streamedIds.has(m.message.id)) return this.replayUnstreamed(m.message);
        }
        return [];
      }
      case 'user': {
        if (m.parent_tool_use_id) return [];
        const out = [...(this.hooks.hostedSearch ? this.searchResult(m) : []), ...(this.hooks.hostedFetch ? this.fetchResults(m) : [])];
        if (this.suspendAfterHosted && !this.hostedPending()) out.push(...this.suspend());
        return out;
      }
      case 'system':
        if (m.subtype === 'api_retry') {
          const delay = typeof m.retry_delay_ms === 'number' ? m.retry_delay_ms : 0;
          this.failure.retryDelayMs = Math.max(this.failure.retryDelayMs ?? 0, delay);
          return [
            { type: 'keepalive', reason: `upstream ${m.error_status ?? 'error'}; Claude Code retries in ${delay} ms (attempt ${m.attempt}/${m.max_retries})` },
          ];
        }
        return [];
      case 'rate_limit_event': {
        const info: RateLimitInfo = { ...m.rate_limit_info };
        if (info.status === 'rejected' && typeof info.resetsAt === 'number') this.failure.rateLimitResetsAt = info.resetsAt;
        return [{ type: 'rate_limit', info }];
      }
      case 'result':
        return this.result(m);
      default:
        return [];
    }
  }

  private streamEvent(e: StreamEventLike): TurnEvent[] {
    if (!e || typeof e.type !== 'string') return [];
    switch (e.type) {
      case 'message_start': {
        if (typeof e.message?.id === 'string' && e.message.id !== this.replayId) this.streamedIds.add(e.message.id);
        this.indexBase += this.maxIndexThisMessage + 1;
        this.maxIndexThisMessage = -1;
        this.usage = toUsage(e.message?.usage);
        this.usages.push(this.usage);
        this.toolIdsThisMessage = [];
        this.foreignToolThisMessage = false;
        this.heldText = '';
        if (this.started) return [];
        this.started = true;
        return [{ type: 'start', messageId: e.message?.id ?? '', model: e.message?.model ?? '', sessionId: this.sessionId, usage: { ...this.usage } }];
      }
      case 'content_block_start': {
        const index = this.indexBase + e.index;
        this.maxIndexThisMessage = Math.max(this.maxIndexThisMessage, e.index);
        const cb = e.content_block ?? {};
        if (this.hooks.structuredOutput && (cb.type === 'text' || (cb.type === 'tool_use' && cb.name === STRUCTURED_OUTPUT_TOOL))) {
          this.hidden.add(index);
          if (cb.type === 'tool_use') this.foreignToolThisMessage = true;
          return [];
        }
        if (cb.type === 'text') {
          const out: TurnEvent[] = [{ type: 'block_start', index, block: { type: 'text' } }];
          if (cb.text) out.push({ type: 'text_delta', index, text: cb.text });
          return out;
        }
        if (cb.type === 'thinking') return [{ type: 'block_start', index, block: { type: 'thinking' } }];
        if (cb.type === 'redacted_thinking') return [{ type: 'block_start', index, block: { type: 'redacted_thinking', data: cb.data ?? '' } }];
        if (cb.type === 'tool_use' && this.hooks.hostedSearch && cb.name === WEB_SEARCH_TOOL) {
          this.serverCalls.set(index, { id: cb.id ?? '', name: 'web_search', json: '' });
          return [];
        }
        if (cb.type === 'tool_use' && this.hooks.hostedFetch && cb.name === WEB_FETCH_CLI_TOOL) {
          this.serverCalls.set(index, { id: cb.id ?? '', name: 'web_fetch', json: '' });
          return [];
        }
        if (cb.type === 'tool_use') {
          const id = cb.id ?? '';
          const cliName = cb.name ?? '';
          const client = this.hooks.clientToolName?.(cliName);
          if (client === undefined) {
            // Not a tool the client offered: never shown (a client would run it). The CLI
            // refuses the call itself and the turn goes on to the model's next message.
            this.hidden.add(index);
            this.hooks.onForeignTool?.(cliName);
            return [];
          }
          this.toolIdsThisMessage.push(id);
          this.clientToolCalls++;
          return [{ type: 'block_start', index, block: { type: 'tool_use', id, name: client } }];
        }
        return [];
      }
      case 'content_block_delta': {
        const index = this.indexBase + e.index;
        const d = e.delta ?? {};
        const call = this.serverCalls.get(index);
        if (call) {
          if (d.type === 'input_json_delta') call.json += d.partial_json ?? '';
          return [];
        }
        if (this.hidden.has(index)) {
          if (d.type === 'text_delta') this.heldText += d.text ?? '';
          return [];
        }
        if (d.type === 'text_delta') return [{ type: 'text_delta', index, text: d.text ?? '' }];
        if (d.type === 'thinking_delta') return [{ type: 'thinking_delta', index, thinking: d.thinking ?? '' }];
        if (d.type === 'signature_delta') return [{ type: 'signature_delta', index, signature: d.signature ?? '' }];
        if (d.type === 'input_json_delta') return [{ type: 'tool_input_delta', index, partialJson: d.partial_json ?? '' }];
        if (d.type === 'citations_delta' && isCitation(d.citation)) return [{ type: 'text_citation', index, citation: d.citation }];
        return [];
      }
      case 'content_block_stop': {
        const index = this.indexBase + e.index;
        const call = this.serverCalls.get(index);
        if (call) {
          this.serverCalls.delete(index);
          let input: { query?: unknown; url?: unknown } = {};
          try {
            input = JSON.parse(call.json || '{}') as typeof input;
          } catch {
            // The CLI validates the input itself and answers the model; the query or url stays empty here.
          }
          const str = (v: unknown): string => (typeof v === 'string' ? v : '');
          if (call.name === 'web_fetch') {
            this.fetchIds.add(call.id);
            return [{ type: 'server_tool_use', index, id: serverToolId(call.id), name: 'web_fetch', input: { url: str(input.url) } }];
          }
          this.searchIds.add(call.id);
          return [{ type: 'server_tool_use', index, id: serverToolId(call.id), name: 'web_search', input: { query: str(input.query) } }];
        }
        if (this.hidden.has(this.indexBase + e.index)) return [];
        return [{ type: 'block_stop', index: this.indexBase + e.index }];
      }
      case 'message_delta': {
        this.usage = toUsage(e.usage, this.usage);
        if (this.usages.length) this.usages[this.usages.length - 1] = this.usage;
        const r = e.delta?.stop_reason;
        if (typeof r === 'string' && STOP_REASONS.has(r as StopReason)) this.stopReason = r as StopReason;
        // On a refusal the CLI asks the model once more and, refused again, ends the turn in an error.
        if (typeof r === 'string') this.refusal = r === 'refusal' ? { text: this.heldText.trim() } : undefined;
        this.stopSequence = e.delta?.stop_sequence ?? null;
        return [];
      }
      case 'message_stop': {
        if (this.stopReason === 'tool_use' && this.toolIdsThisMessage.length > 0 && !this.foreignToolThisMessage) {
          this.pendingToolIds = [...this.toolIdsThisMessage];
          // A hosted tool (web search or fetch) called beside the client's tools runs meanwhile,
          // whatever the order of the calls, and the CLI reports its result while the client's
          // calls wait (measured for both): its result belongs in this response.
          if (this.hostedPending()) {
            this.suspendAfterHosted = true;
            return [];
          }
          return this.suspend();
        }
        return [];
      }
      default:
        return [];
    }
  }

  /** The CLI ran a WebSearch: its report becomes the web_search_result block after the call. */
  private searchResult(m: Extract<CliMessage, { type: 'user' }>): TurnEvent[] {
    const content = m.message?.content;
    if (!Array.isArray(content)) return [];
    const blocks = content as Array<{ type?: string; tool_use_id?: string; is_error?: boolean }>;
    const block = blocks.find((b) => typeof b === 'object' && b !== null && b.type === 'tool_result' && this.searchIds.has(b.tool_use_id ?? ''));
    if (!block?.tool_use_id) return [];
    this.searchIds.delete(block.tool_use_id);
    const outcome = searchOutcome((m as { tool_use_result?: unknown }).tool_use_result);
    this.webSearches += outcome?.searches ?? 0;
    // The result takes the next block index of the message that called the tool.
    this.maxIndexThisMessage++;
    const index = this.indexBase + this.maxIndexThisMessage;
    const error = outcome?.error ?? (block.is_error || !outcome ? { code: 'unavailable' } : undefined);
    const toolUseId = serverToolId(block.tool_use_id);
    return [{ type: 'web_search_result', index, toolUseId, results: outcome?.hits ?? [], ...(error ? { error } : {}) }];
  }

  /** Hosted tool calls shown as server_tool_use whose results the CLI has not reported yet. */
  private hostedPending(): boolean {
    return this.searchIds.size > 0 || this.fetchIds.size > 0;
  }

  /** The client runs the pending tools: its response ends here; the CLI turn waits in the tool handlers. */
  private suspend(): TurnEvent[] {
    this.done = true;
    this.suspended = true;
    return [{ type: 'stop', stopReason: 'tool_use', stopSequence: null, usage: this.totalUsage() }];
  }

  /**
   * The CLI got the daemon's web fetch result (its tool_result for the call): the client's
   * web_fetch_result comes from the structured outcome the tool kept, never from the text.
   */
  private fetchResults(m: Extract<CliMessage, { type: 'user' }>): TurnEvent[] {
    const content = m.message?.content;
    if (!Array.isArray(content)) return [];
    const out: TurnEvent[] = [];
    for (const b of content as Array<{ type?: string; tool_use_id?: string }>) {
      const id = typeof b === 'object' && b !== null && b.type === 'tool_result' ? b.tool_use_id : undefined;
      if (!id || !this.fetchIds.has(id)) continue;
      this.fetchIds.delete(id);
      const o = this.hooks.hostedFetch?.outcome(id);
      if (o && !('error' in o && o.error.code === 'max_uses_exceeded')) this.webFetches++;
      this.maxIndexThisMessage++;
      const index = this.indexBase + this.maxIndexThisMessage;
      const toolUseId = serverToolId(id);
      if (!o) out.push({ type: 'web_fetch_result', index, toolUseId, url: '', error: { code: 'unavailable' } });
      else if ('error' in o) out.push({ type: 'web_fetch_result', index, toolUseId, url: o.url, error: { code: o.error.code } });
      else {
        const p = o.page;
        const document: FetchedDocument = {
          source:
            p.kind === 'text' ? { type: 'text', media_type: 'text/plain', data: p.text } : { type: 'base64', media_type: 'application/pdf', data: p.data },
          ...(p.title ? { title: p.title } : {}),
        };
        // The url the page came from (after redirects), as the API's "fetched content URL".
        out.push({ type: 'web_fetch_result', index, toolUseId, url: p.url, document, retrievedAt: o.retrievedAt });
      }
    }
    return out;
  }

  /** Feeds a non-streamed assistant message through the stream path, block by block. */
  private replayUnstreamed(msg: ApiMessage): TurnEvent[] {
    const out: TurnEvent[] = [];
    if (msg.id !== this.replayId) {
      this.replayId = msg.id;
      this.replayNext = 0;
      out.push(...this.streamEvent({ type: 'message_start', message: msg }));
    }
    for (const b of msg.content ?? []) {
      const index = this.replayNext++;
      const deltas: Extract<StreamEventLike, { type: 'content_block_delta' }>['delta'][] = [];
      let start: Extract<StreamEventLike, { type: 'content_block_start' }>['content_block'];
      if (b.type === 'text') {
        start = { type: 'text', text: '' };
        deltas.push({ type: 'text_delta', text: b.text ?? '' });
        for (const citation of b.citations ?? []) deltas.push({ type: 'citations_delta', citation });
      } else if (b.type === 'thinking') {
        start = { type: 'thinking', thinking: '' };
        deltas.push({ type: 'thinking_delta', thinking: b.thinking ?? '' });
        if (b.signature) deltas.push({ type: 'signature_delta', signature: b.signature });
      } else if (b.type === 'redacted_thinking') start = b;
      else if (b.type === 'tool_use') {
        start = { type: 'tool_use', id: b.id, name: b.name, input: {} };
        deltas.push({ type: 'input_json_delta', partial_json: JSON.stringify(b.input ?? {}) });
      } else continue;
      out.push(...this.streamEvent({ type: 'content_block_start', index, content_block: start }));
      for (const delta of deltas) out.push(...this.streamEvent({ type: 'content_block_delta', index, delta }));
      out.push(...this.streamEvent({ type: 'content_block_stop', index }));
    }
    if (msg.stop_reason) {
      out.push(
        ...this.streamEvent({ type: 'message_delta', delta: { stop_reason: msg.stop_reason, stop_sequence: msg.stop_sequence ?? null }, usage: msg.usage }),
      );
      out.push(...this.streamEvent({ type: 'message_stop' }));
    }
    return out;
  }

  /**
   * The model declined: a refusal, not an error. Its text has reached the client already,
   * unless structured output held it back; then it comes as the `refusal` event. The CLI's
   * history now ends in its own error message, so the turn counts as failed for reuse.
   */
  private refused(heldText: string): TurnEvent[] {
    this.failed = true;
    const usage = this.totalUsage();
    const out: TurnEvent[] = this.started ? [] : [{ type: 'start', messageId: '', model: '', sessionId: this.sessionId, usage }];
    if (this.hooks.structuredOutput) out.push({ type: 'refusal', text: heldText || 'The model declined to answer (stop_reason: refusal).' });
    out.push({ type: 'stop', stopReason: 'refusal', stopSequence: null, usage });
    return out;
  }

  private totalUsage(): Usage {
    const t = emptyUsage();
    for (const u of this.usages) {
      t.inputTokens += u.inputTokens;
      t.outputTokens += u.outputTokens;
      t.cacheReadInputTokens += u.cacheReadInputTokens;
      t.cacheCreationInputTokens += u.cacheCreationInputTokens;
    }
    if (this.hooks.hostedSearch || this.hooks.hostedFetch)
      t.serverToolUse = { webSearchRequests: this.webSearches, ...(this.hooks.hostedFetch ? { webFetchRequests: this.webFetches } : {}) };
    return t;
  }

  private result(m: SDKResultMessage): TurnEvent[] {
    this.done = true;
    if (this.refusal && (m.is_error || this.synthetic)) return this.refused(this.refusal.text);
    if (m.is_error || this.synthetic || m.subtype !== 'success') {
      // A failed upstream call still ends in subtype "success" with is_error and the API status.
      const resultText = m.subtype === 'success' ? m.result : undefined;
      const failure: CliFailure = {
        ...this.failure,
        message: this.failure.message ?? (typeof resultText === 'string' ? resultText : (m.subtype === 'success' ? [] : m.errors).join('; ')),
        apiStatus: (m.subtype === 'success' ? m.api_error_status : undefined) ?? null,
        terminalReason: m.terminal_reason,
        model: this.hooks.model,
      };
      if (typeof resultText === 'string' && resultText) failure.message = resultText;
      if (this.syntheticUuid && this.hooks.upstreamErrorMessage) failure.upstreamMessage = this.hooks.upstreamErrorMessage(this.syntheticUuid);
      this.failed = true;
      return [{ type: 'error', error: classifyCliFailure(failure) }];
    }
    if (this.hooks.structuredOutput) {
      const key = this.hooks.structuredOutputKey;
      const answer = key === undefined ? m.structured_output : (m.structured_output as Record<string, unknown> | undefined)?.[key];
      if (answer === undefined) {
        this.failed = true;
        return [
          {
            type: 'error',
            error: { kind: 'upstream', code: 'structured_output_failed', message: 'the model did not produce JSON matching the requested schema' },
          },
        ];
      }
      const index = this.indexBase + this.maxIndexThisMessage + 1;
      const usage = this.usages.length ? this.totalUsage() : toUsage(m.usage);
      return [
        ...(this.started ? [] : [{ type: 'start' as const, messageId: '', model: '', sessionId: this.sessionId, usage }]),
        { type: 'block_start', index, block: { type: 'text' } },
        { type: 'text_delta', index, text: JSON.stringify(answer) },
        { type: 'block_stop', index },
        { type: 'stop', stopReason: 'end_turn', stopSequence: null, usage },
      ];
    }
    // The result's usage covers the whole CLI turn, which may span several client requests
    // (tool round trips): count only the API messages this request saw.
    const usage = this.usages.length ? this.totalUsage() : toUsage(m.usage);
    let stopReason = this.stopReason ?? (STOP_REASONS.has(m.stop_reason as StopReason) ? (m.stop_reason as StopReason) : 'end_turn');
    if (stopReason === 'tool_use' && this.clientToolCalls === 0) stopReason = 'end_turn';
    return [{ type: 'stop', stopReason, stopSequence: this.stopSequence, usage }];
  }
}
