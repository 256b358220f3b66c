/** A finished turn as the Messages API's non-streaming answer. */

import type { TurnResult } from '../../turn/collect.js';
import type { ContentBlock, Usage, WebFetchResultBlock, WebSearchResultBlock } from '../../turn/types.js';
import type { AnthropicContentBlock, AnthropicMessage, AnthropicUsage, WebFetchToolResultContent, WebSearchToolResultContent } from './wire-types.js';

/** Canonical usage already has Anthropic semantics; only the names change. */
export const encodeUsage = (u: Usage): AnthropicUsage => ({
  input_tokens: u.inputTokens,
  output_tokens: u.outputTokens,
  cache_creation_input_tokens: u.cacheCreationInputTokens,
  cache_read_input_tokens: u.cacheReadInputTokens,
  ...(u.serverToolUse
    ? {
        server_tool_use: {
          web_search_requests: u.serverToolUse.webSearchRequests,
          ...(u.serverToolUse.webFetchRequests !== undefined ? { web_fetch_requests: u.serverToolUse.webFetchRequests } : {}),
        },
      }
    : {}),
});

export const webSearchContent = (b: WebSearchResultBlock): WebSearchToolResultContent =>
  b.error
    ? { type: 'web_search_tool_result_error', error_code: b.error.code }
    : b.results.map((r) => ({ type: 'web_search_result' as const, title: r.title, url: r.url, encrypted_content: '', page_age: null }));

/**
 * The fetch's error_code as the API names it: the fetcher's `invalid_input` is the SDK's
 * `invalid_tool_input` (WebFetchToolResultErrorCode); the others are the same words.
 */
const fetchErrorCode = (code: string): string => (code === 'invalid_input' ? 'invalid_tool_input' : code);

export const webFetchContent = (b: Omit<WebFetchResultBlock, 'type'>): WebFetchToolResultContent =>
  b.error || !b.document
    ? { type: 'web_fetch_tool_result_error', error_code: fetchErrorCode(b.error?.code ?? 'unavailable') }
    : {
        type: 'web_fetch_result',
        url: b.url,
        retrieved_at: b.retrievedAt ?? null,
        content: { type: 'document', source: b.document.source, title: b.document.title ?? null },
      };

export function encodeContentBlock(b: ContentBlock): AnthropicContentBlock {
  switch (b.type) {
    case 'text':
      // Document citations pass as the upstream sent them.
      return b.citations?.length ? { type: 'text', text: b.text, citations: b.citations } : { type: 'text', text: b.text };
    case 'thinking':
      return { type: 'thinking', thinking: b.thinking, signature: b.signature ?? '' };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: b.data };
    case 'tool_use':
      return { type: 'tool_use', id: b.id, name: b.name, input: b.input };
    case 'image':
      return { type: 'image', source: b.source };
    case 'document':
      return { ...b };
    case 'server_tool_use':
      return { type: 'server_tool_use', id: b.id, name: b.name, input: b.input };
    case 'web_search_result':
      return { type: 'web_search_tool_result', tool_use_id: b.toolUseId, content: webSearchContent(b) };
    case 'web_fetch_result':
      return { type: 'web_fetch_tool_result', tool_use_id: b.toolUseId, content: webFetchContent(b) };
    case 'tool_result':
      return {
        type: 'tool_result',
        tool_use_id: b.tool_use_id,
        content: b.content,
        ...(b.is_error !== undefined ? { is_error: b.is_error } : {}),
      };
  }
}

export function encodeMessagesResponse(result: TurnResult): AnthropicMessage {
  return {
    id: result.messageId,
    type: 'message',
    role: 'assistant',
    model: result.model,
    // A structured-output refusal: the model's words as text (the Messages API has no refusal field).
    content: [...result.content.map(encodeContentBlock), ...(result.refusal !== undefined ? [{ type: 'text' as const, text: result.refusal }] : [])],
    stop_reason: result.stopReason,
    stop_sequence: result.stopSequence,
    stop_details: null,
    usage: encodeUsage(result.usage),
  };
}
