/**
 * What maxproxy sends on the OpenAI Chat Completions wire, field by field (names as in
 * the `openai` SDK's `resources/chat/completions`). Requests are read from `unknown`.
 */
export type { OpenAIErrorBody } from '../shared/openai-errors.js';

export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ChatUsage {
  /** All prompt tokens, cached ones included (OpenAI semantics). */
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  /** Always 0: Claude's thinking tokens are inside completion_tokens, not reported apart. */
  completion_tokens_details: { reasoning_tokens: number };
}

export interface ChatToolCall {
  /** The tool_use id, unchanged. */
  id: string;
  type: 'function'; // always "function"
  function: { name: string /** A JSON text. */; arguments: string };
}

export interface ChatCompletionMessage {
  role: 'assistant'; // always "assistant"
  /** null when the answer is only tool calls. */
  content: string | null;
  /** Claude's thinking, as DeepSeek/vLLM-style clients read it; absent when there was none. */
  reasoning_content?: string;
  tool_calls?: ChatToolCall[];
  /** The model's refusal under structured output (finish_reason stop); otherwise a refusal is finish_reason content_filter. */
  refusal: string | null;
  /** Where a hosted web search result's url occurs in `content` (web_search_options). */
  annotations?: ChatUrlCitation[];
}

export interface ChatUrlCitation {
  type: 'url_citation';
  url_citation: { start_index: number; end_index: number; url: string; title: string };
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion'; // always "chat.completion"
  created: number;
  model: string;
  choices: [{ index: 0; message: ChatCompletionMessage; finish_reason: ChatFinishReason; logprobs: null }];
  usage: ChatUsage;
}

/** A streamed tool call fragment: the first carries id, type and name; later ones only arguments. */
export interface ChatToolCallDelta {
  /** The tool call's ordinal in this answer (0, 1, …), not the canonical block index. */
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

export interface ChatDelta {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  tool_calls?: ChatToolCallDelta[];
  refusal?: string;
  annotations?: ChatUrlCitation[];
}

export interface ChatChunkChoice {
  index: 0; // always 0: n > 1 is refused
  delta: ChatDelta;
  logprobs: null;
  finish_reason: ChatFinishReason | null;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk'; // always "chat.completion.chunk"
  created: number;
  model: string;
  system_fingerprint: null; // always null
  /** One choice; empty in the final usage chunk (stream_options.include_usage). */
  choices: ChatChunkChoice[];
  /** With include_usage: null on every chunk but the last, which carries the totals. */
  usage?: ChatUsage | null;
}

export interface ChatModel {
  id: string;
  object: 'model'; // always "model"
  created: number;
  owned_by: string;
}

export interface ChatModelsList {
  object: 'list'; // always "list"
  data: ChatModel[];
}
