/**
 * What maxproxy sends on the Anthropic Messages wire, field by field. Requests are read
 * from `unknown` by the parsers, so only outgoing shapes are typed here.
 */
import type { StopReason, TextCitation } from '../../turn/types.js';

export interface AnthropicUsage {
  /** Input tokens not read from or written to the cache. */
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** web_fetch_requests only when the request offered the web fetch. */
  server_tool_use?: { web_search_requests: number; web_fetch_requests?: number };
}

/**
 * The CLI reports titles and urls only: `encrypted_content` is '' and `page_age` null
 * (decision 091); a failed search is the API's error object.
 */
export type WebSearchToolResultContent =
  | Array<{ type: 'web_search_result'; title: string; url: string; encrypted_content: string; page_age: string | null }>
  | { type: 'web_search_tool_result_error'; error_code: string };

/**
 * A fetched page as the API gives it: a `document` (plain text, or a base64 PDF) with the
 * page's title (null when it had none); or the API's error object (decision 095).
 */
export type WebFetchToolResultContent =
  | {
      type: 'web_fetch_result';
      url: string;
      retrieved_at: string | null;
      content: {
        type: 'document';
        source: { type: 'text'; media_type: 'text/plain'; data: string } | { type: 'base64'; media_type: 'application/pdf'; data: string };
        title: string | null;
      };
    }
  | { type: 'web_fetch_tool_result_error'; error_code: string };

export type AnthropicContentBlock =
  | { type: 'text'; text: string; citations?: TextCitation[] }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'server_tool_use'; id: string; name: 'web_search' | 'web_fetch'; input: Record<string, unknown> }
  | { type: 'web_search_tool_result'; tool_use_id: string; content: WebSearchToolResultContent }
  | { type: 'web_fetch_tool_result'; tool_use_id: string; content: WebFetchToolResultContent }
  // Never produced by the model; kept so every canonical block has an encoding.
  | { type: 'image'; source: unknown }
  | { type: 'document'; source: unknown; title?: string; context?: string; citations?: { enabled: boolean } }
  | { type: 'tool_result'; tool_use_id: string; content: unknown; is_error?: boolean };

export interface AnthropicMessage {
  id: string;
  type: 'message'; // always "message"
  role: 'assistant'; // always "assistant"
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: StopReason | null; // null only in message_start
  stop_sequence: string | null;
  /** Refusal details in the live API; maxproxy has none to give. */
  stop_details: null;
  usage: AnthropicUsage;
}

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error'; // always "error"
  error: { type: AnthropicErrorType; message: string };
}

/** content_block_start's block: empty text/input, filled by the deltas that follow. */
export type AnthropicBlockStart =
  | { type: 'text'; text: '' }
  | { type: 'thinking'; thinking: '' }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, never> }
  | { type: 'server_tool_use'; id: string; name: 'web_search' | 'web_fetch'; input: Record<string, never> }
  | { type: 'web_search_tool_result'; tool_use_id: string; content: WebSearchToolResultContent }
  | { type: 'web_fetch_tool_result'; tool_use_id: string; content: WebFetchToolResultContent };

export type AnthropicDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: 'citations_delta'; citation: TextCitation };

/** One SSE event; the SSE `event:` name always equals `type`. */
export type AnthropicStreamEvent =
  | { type: 'message_start'; message: AnthropicMessage }
  | { type: 'content_block_start'; index: number; content_block: AnthropicBlockStart }
  | { type: 'content_block_delta'; index: number; delta: AnthropicDelta }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta';
      delta: { stop_reason: StopReason; stop_sequence: string | null; stop_details: null };
      // Cumulative; the SDK's .stream() crashes when usage is missing here.
      usage: AnthropicUsage;
    }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | AnthropicErrorBody;

export interface AnthropicModelInfo {
  type: 'model'; // always "model"
  id: string;
  display_name: string;
  /** RFC 3339; the epoch when the release date is unknown (as the API does). */
  created_at: string;
}

export interface AnthropicModelsList {
  data: AnthropicModelInfo[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}
