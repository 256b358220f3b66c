/**
 * What maxproxy sends on the OpenAI Responses wire, field by field (names as in the
 * `openai` SDK's `resources/responses`). Requests are read from `unknown`.
 */

export interface OutputText {
  type: 'output_text';
  text: string;
  /** url_citation where a hosted search result's url occurs in the text; else empty. */
  annotations: UrlCitation[];
}

export type { UrlCitation } from '../shared/url-citations.js';

import type { UrlCitation } from '../shared/url-citations.js';

/** A hosted web search the upstream ran (the CLI's WebSearch, decision 091). */
export interface WebSearchCallItem {
  type: 'web_search_call';
  id: string;
  status: 'in_progress' | 'searching' | 'completed' | 'failed';
  action: { type: 'search'; query: string; sources?: Array<{ type: 'url'; url: string }> };
}

/** The model declined under structured output (`response.refusal.*` events when streamed). */
export interface RefusalPart {
  type: 'refusal';
  refusal: string;
}

export interface MessageItem {
  type: 'message';
  id: string;
  status: 'in_progress' | 'completed' | 'incomplete';
  role: 'assistant'; // always "assistant"
  content: Array<OutputText | RefusalPart>;
}

export interface FunctionCallItem {
  type: 'function_call';
  id: string;
  status: 'in_progress' | 'completed' | 'incomplete';
  /** The tool_use id, unchanged. */
  call_id: string;
  name: string;
  /** Present when the tool came from a `namespace` tool; `name` is then the inner name. */
  namespace?: string;
  /** A JSON text. */
  arguments: string;
}

/** A call of a `custom` (freeform) tool: `input` is the model's raw text, not JSON. */
export interface CustomToolCallItem {
  type: 'custom_tool_call';
  id: string;
  status: 'in_progress' | 'completed' | 'incomplete';
  call_id: string;
  name: string;
  /** Present when the tool came from a `namespace` tool; `name` is then the inner name. */
  namespace?: string;
  input: string;
}

export interface SummaryText {
  type: 'summary_text';
  text: string;
}

export interface ReasoningItem {
  type: 'reasoning';
  id: string;
  /** Claude's (already summarised) thinking, as one summary part; empty when it had none. */
  summary: SummaryText[];
}

export type OutputItem = MessageItem | FunctionCallItem | CustomToolCallItem | ReasoningItem | WebSearchCallItem;

export interface ResponsesUsage {
  /** All prompt tokens, cached ones included (OpenAI semantics). */
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

/** What a response repeats from its request (OpenAI's defaults when the request left them out). */
export interface EchoedRequest {
  instructions: string | null;
  max_output_tokens: number | null;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number;
  text: { format: Record<string, unknown> };
  tool_choice: unknown;
  /** The function and namespace tools as sent; hosted tools that were dropped are left out. */
  tools: unknown[];
  top_p: number;
  truncation: string;
  user: string | null;
  metadata: Record<string, unknown>;
}

export interface ResponseObject extends EchoedRequest {
  id: string;
  object: 'response'; // always "response"
  created_at: number;
  status: ResponseStatus;
  background: false;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  model: string;
  output: OutputItem[];
  usage: ResponsesUsage | null;
}

/** The Responses error body (also OpenAI's format for every endpoint). */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Every streamed event carries `sequence_number`; the SSE `event:` name equals `type`. */
export type ResponsesStreamEvent = { sequence_number: number } & (
  | { type: 'response.created' | 'response.in_progress'; response: ResponseObject }
  | { type: 'response.completed' | 'response.incomplete' | 'response.failed'; response: ResponseObject }
  | { type: 'response.output_item.added' | 'response.output_item.done'; output_index: number; item: OutputItem }
  | {
      type: 'response.content_part.added' | 'response.content_part.done';
      item_id: string;
      output_index: number;
      content_index: number;
      part: OutputText | RefusalPart;
    }
  | {
      type: 'response.web_search_call.in_progress' | 'response.web_search_call.searching' | 'response.web_search_call.completed';
      item_id: string;
      output_index: number;
    }
  | { type: 'response.refusal.delta'; item_id: string; output_index: number; content_index: number; delta: string }
  | { type: 'response.refusal.done'; item_id: string; output_index: number; content_index: number; refusal: string }
  | {
      type: 'response.output_text.delta';
      item_id: string;
      output_index: number;
      content_index: number;
      delta: string;
      logprobs: never[];
    }
  | {
      type: 'response.output_text.done';
      item_id: string;
      output_index: number;
      content_index: number;
      text: string;
      logprobs: never[];
    }
  | { type: 'response.function_call_arguments.delta'; item_id: string; output_index: number; delta: string }
  | {
      type: 'response.function_call_arguments.done';
      item_id: string;
      output_index: number;
      name: string;
      arguments: string;
    }
  | { type: 'response.custom_tool_call_input.delta'; item_id: string; output_index: number; delta: string }
  | { type: 'response.custom_tool_call_input.done'; item_id: string; output_index: number; input: string }
  | {
      type: 'response.reasoning_summary_part.added' | 'response.reasoning_summary_part.done';
      item_id: string;
      output_index: number;
      summary_index: number;
      part: SummaryText;
    }
  | {
      type: 'response.reasoning_summary_text.delta';
      item_id: string;
      output_index: number;
      summary_index: number;
      delta: string;
    }
  | {
      type: 'response.reasoning_summary_text.done';
      item_id: string;
      output_index: number;
      summary_index: number;
      text: string;
    }
);

/** The union without sequence_number, as encoders build events before numbering them. */
export type UnnumberedEvent = ResponsesStreamEvent extends infer E ? (E extends { sequence_number: number } ? Omit<E, 'sequence_number'> : never) : never;
