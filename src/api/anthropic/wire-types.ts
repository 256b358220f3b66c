/**
 * What maxproxy sends on the Anthropic Messages wire, field by field. Requests are read
 * from `unknown` by the parsers, so only outgoing shapes are typed here.
 */
import type { StopReason, TextCitation, WebFetchResultContent } from '../../turn/types.js';

export interface AnthropicUsage {
  /** Input tokens not read from or written to the cache. */
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** Hosted tools the daemon ran for the client (docs/decisions/095). */
  server_tool_use?: { web_fetch_requests: number };
}

export type AnthropicContentBlock =
  | { type: 'text'; text: string; citations?: TextCitation[] }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'server_tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'web_fetch_tool_result'; tool_use_id: string; content: WebFetchResultContent }
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
  | { type: 'server_tool_use'; id: string; name: string; input: Record<string, never> }
  | { type: 'web_fetch_tool_result'; tool_use_id: string; content: WebFetchResultContent };

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
