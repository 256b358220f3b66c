/**
 * The canonical turn: the one seam between wire formats (api/) and the engine.
 * Content blocks follow Anthropic's Messages shapes because that is what the CLI
 * speaks; every wire format translates to and from these types and nothing else.
 */

/**
 * A citation on answer text, in the Messages API's own shape and passed on as it came:
 * document locations (char_location, page_location, content_block_location) and any other
 * kind the upstream sends; `type` names which.
 */
export type TextCitation = { type: string; [field: string]: unknown };

export interface TextBlock {
  type: 'text';
  text: string;
  /** Only on answers: where the model's words come from (see TextCitation). */
  citations?: TextCitation[];
}

export type ImageSource = { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };

export interface ImageBlock {
  type: 'image';
  source: ImageSource;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  /** The client's own tool name (never the MCP-prefixed one). */
  name: string;
  input: Record<string, unknown>;
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string | Array<TextBlock | ImageBlock>;
  is_error?: boolean;
}

export interface ThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature?: string;
}

export interface RedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

/**
 * A document (PDF or plain text) for the model to read, in the Messages API's own shape:
 * the data is never re-encoded on its way to the upstream. `content` sources are text and
 * image blocks the client chunked itself (custom documents for citations).
 */
export type DocumentSource =
  | { type: 'base64'; media_type: 'application/pdf'; data: string }
  | { type: 'text'; media_type: 'text/plain'; data: string }
  | { type: 'url'; url: string }
  | { type: 'content'; content: string | Array<TextBlock | ImageBlock> };

export interface DocumentBlock {
  type: 'document';
  source: DocumentSource;
  title?: string;
  context?: string;
  /** Asks the model to cite passages of this document (char/page/content_block locations). */
  citations?: { enabled: boolean };
}

/** Which hosted tool was called, with its input: the CLI's WebSearch, or the daemon's web fetch (decision 095). */
export type ServerToolCall = { name: 'web_search'; input: { query: string } } | { name: 'web_fetch'; input: { url: string } };

/** A hosted (server-run) tool call, shown as the Messages API's server_tool_use. */
export type ServerToolUseBlock = { type: 'server_tool_use'; id: string } & ServerToolCall;

/** One search hit: the CLI reports only title and url (no encrypted_content, no page_age). */
export interface WebSearchHit {
  title: string;
  url: string;
}

/** The result of a hosted search; `error` when the search failed (error_code as the upstream named it). */
export interface WebSearchResultBlock {
  type: 'web_search_result';
  toolUseId: string;
  results: WebSearchHit[];
  error?: { code: string };
}

/** A page the daemon's web fetch retrieved: text (HTML made readable, plain text) or a PDF. */
export interface FetchedDocument {
  source: { type: 'text'; media_type: 'text/plain'; data: string } | { type: 'base64'; media_type: 'application/pdf'; data: string };
  title?: string;
}

/** The result of a hosted web fetch; `error` when it was refused or failed (the Messages API's error_code). */
export interface WebFetchResultBlock {
  type: 'web_fetch_result';
  toolUseId: string;
  url: string;
  document?: FetchedDocument;
  /** ISO 8601, when the page was fetched. */
  retrievedAt?: string;
  error?: { code: string };
}

export type ContentBlock =
  | TextBlock
  | ImageBlock
  | DocumentBlock
  | ToolUseBlock
  | ToolResultBlock
  | ThinkingBlock
  | RedactedThinkingBlock
  | ServerToolUseBlock
  | WebSearchResultBlock
  | WebFetchResultBlock;

export type Role = 'user' | 'assistant';

export interface TurnMessage {
  role: Role;
  content: ContentBlock[];
}

/** A client-defined tool; `inputSchema` is the client's JSON Schema, passed on unchanged. */
export interface ToolDef {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'any' } | { type: 'tool'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name?: string; schema: Record<string, unknown>; strict?: boolean };

export type ThinkingOption = { type: 'enabled'; budgetTokens?: number } | { type: 'disabled' } | { type: 'adaptive' };

export type EffortOption = 'low' | 'medium' | 'high' | 'xhigh' | 'max';

/** Hints that let the engine find the live session a request continues. */
export interface ConversationHints {
  /** An id the client gave explicitly (x-session-id, `user`, prompt_cache_key, metadata.user_id...). */
  explicitId?: string;
  /** The client's user-agent, used for display and to separate clients in the session map. */
  userAgent?: string;
  /**
   * Who the turn is for, set by the server's turn route: a client key's name, else the
   * User-Agent's readable name (docs/decisions/090). The ledger, tray and metrics show it.
   */
  client?: string;
  /** Which wire format the request came in on (for logs and status only). */
  api?: 'openai-chat' | 'anthropic-messages' | 'openai-responses';
}

/** Hosted web search as the client offered it (limits the daemon enforces). */
export interface WebSearchOffer {
  /** Searches allowed in one turn; later ones are refused. */
  maxUses?: number;
  allowedDomains?: string[];
  blockedDomains?: string[];
}

/**
 * Hosted web fetch as the client offered it (`web_fetch_*`, decision 095): served by the
 * daemon's own SSRF-safe fetcher only when allowWebFetch is on, else named as ignored.
 */
export interface WebFetchOffer {
  /** The wire field of the tool (`tools.N`), for x-maxproxy-ignored. */
  field: string;
  /** Fetches allowed in one turn; later ones are refused (max_uses_exceeded). */
  maxUses?: number;
  allowedDomains?: string[];
  blockedDomains?: string[];
  /** Page text is cut to about this many tokens. */
  maxContentTokens?: number;
  /** The client asked for citations of fetched documents. */
  citations?: boolean;
}

export interface HostedTools {
  webSearch?: WebSearchOffer;
  webFetch?: WebFetchOffer;
}

export interface TurnRequest {
  /** The model as the client named it; resolution (aliases, validation) happens before the engine. */
  model: string;
  /** System prompt text (system/developer messages, instructions), joined in order. */
  system?: string;
  /** Full history as the client sent it, oldest first, ending with the new user input. */
  messages: TurnMessage[];
  tools: ToolDef[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  thinking?: ThinkingOption;
  effort?: EffortOption;
  responseFormat?: ResponseFormat;
  /**
   * Tools the upstream runs for the client (the CLI's own tools), only when the client
   * offered its API's hosted tool. Part of the session shape.
   */
  hostedTools?: HostedTools;
  /**
   * The wire field each setting came from (e.g. effort: 'reasoning_effort'), so what the
   * engine finds it cannot honour for the chosen model is reported in the client's terms.
   */
  settingFields?: { effort?: string; thinking?: string; maxTokens?: string };
  conversation: ConversationHints;
  stream: boolean;
}

export interface Usage {
  /** Input tokens not read from or written to the cache (Anthropic semantics). */
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  /**
   * Hosted tool calls of the turn (searches counted from the CLI's reports, its own counter
   * stays 0; fetches counted by the daemon, present when the fetch was offered).
   */
  serverToolUse?: { webSearchRequests: number; webFetchRequests?: number };
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

export type ErrorKind =
  | 'invalid_request' // 400
  | 'authentication' // 401
  | 'billing' // 402
  | 'permission' // 403
  | 'not_found' // 404
  | 'too_large' // 413
  | 'rate_limit' // 429
  | 'upstream' // 502
  | 'unavailable' // 503 (paused, queue full, overloaded upstream)
  | 'overloaded' // 503 for OpenAI, 529 for Anthropic
  | 'timeout' // 504
  | 'internal'; // 500: a defect of ours

export interface TurnError {
  kind: ErrorKind;
  message: string;
  /** The offending request field, for invalid_request. */
  param?: string;
  /** A machine code such as model_not_found. */
  code?: string;
  /** Seconds until a retry can succeed, when known. */
  retryAfterSeconds?: number;
  /** For claude_code_version_too_old: the refused model and the versions the upstream named. */
  modelFloor?: { model?: string; required?: string; cliVersion?: string };
}

export interface RateLimitInfo {
  status?: string;
  resetsAt?: number;
  rateLimitType?: string;
  utilization?: number;
  isUsingOverage?: boolean;
  overageStatus?: string;
  [key: string]: unknown;
}

export type BlockStart = { type: 'text' } | { type: 'thinking' } | { type: 'redacted_thinking'; data: string } | { type: 'tool_use'; id: string; name: string };

/** What the engine emits while a turn runs; each wire format encodes these. */
export type TurnEvent =
  | { type: 'start'; messageId: string; model: string; sessionId: string; usage: Usage }
  | { type: 'block_start'; index: number; block: BlockStart }
  | { type: 'text_delta'; index: number; text: string }
  /** One citation for the text block at `index` (the upstream's citations_delta). */
  | { type: 'text_citation'; index: number; citation: TextCitation }
  | { type: 'thinking_delta'; index: number; thinking: string }
  | { type: 'signature_delta'; index: number; signature: string }
  | { type: 'tool_input_delta'; index: number; partialJson: string }
  | { type: 'block_stop'; index: number }
  /** A hosted tool call, complete (the block at `index`); never a client tool call. */
  | ({ type: 'server_tool_use'; index: number; id: string } & ServerToolCall)
  /** The hosted search's result for `toolUseId` (the block at `index`). */
  | { type: 'web_search_result'; index: number; toolUseId: string; results: WebSearchHit[]; error?: { code: string } }
  /** The hosted web fetch's result for `toolUseId` (the block at `index`). */
  | ({ index: number } & Omit<WebFetchResultBlock, 'type'> & { type: 'web_fetch_result' })
  /** The CLI is retrying upstream, or waiting: a chance to send a keep-alive. */
  | { type: 'keepalive'; reason: string }
  | { type: 'rate_limit'; info: RateLimitInfo }
  /**
   * The model declined (stop_reason refusal) while its text was held back (structured
   * output): its explanation, for the API's own refusal field. Comes just before `stop`.
   */
  | { type: 'refusal'; text: string }
  | { type: 'stop'; stopReason: StopReason; stopSequence?: string | null; usage: Usage }
  | { type: 'error'; error: TurnError };

export const emptyUsage = (): Usage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
});

/** Total prompt tokens as OpenAI counts them (cached ones included). */
export const promptTokens = (u: Usage): number => u.inputTokens + u.cacheReadInputTokens + u.cacheCreationInputTokens;

/** Error thrown by translators and the engine; carries the canonical error. */
export class TurnFailure extends Error {
  constructor(public readonly error: TurnError) {
    super(error.message);
    this.name = 'TurnFailure';
  }
}

export const invalid = (message: string, param?: string, code?: string): TurnFailure => new TurnFailure({ kind: 'invalid_request', message, param, code });
