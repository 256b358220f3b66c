/**
 * A finished turn as a `chat.completion` (the non-streaming answer). Text blocks join
 * into `content` (null when the answer is only tool calls); thinking goes to
 * `reasoning_content` (the field DeepSeek, vLLM and many OpenAI-compatible clients read);
 * tool_use blocks become `tool_calls` with their input as a JSON text.
 */
import type { TurnResult } from '../../turn/collect.js';
import type { WebSearchHit } from '../../turn/types.js';
import { urlCitations } from '../shared/url-citations.js';
import { encodeChatUsage } from './convert-chat-usage.js';
import { mapFinishReason } from './map-finish-reason.js';
import type { ChatCompletion, ChatCompletionMessage, ChatToolCall, ChatUrlCitation } from './wire-types.js';

export interface ChatMeta {
  /** `chatcmpl-…`, chosen by the caller. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model as the client named it. */
  model: string;
}

export function encodeChatCompletion(result: TurnResult, meta: ChatMeta): ChatCompletion {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    // A structured-output refusal ends like OpenAI's own: finish_reason stop with message.refusal.
    choices: [
      { index: 0, message: chatMessage(result), finish_reason: result.refusal !== undefined ? 'stop' : mapFinishReason(result.stopReason), logprobs: null },
    ],
    usage: encodeChatUsage(result.usage),
  };
}

function chatMessage(result: TurnResult): ChatCompletionMessage {
  let text = '';
  let thinking = '';
  const toolCalls: ChatToolCall[] = [];
  const hits: WebSearchHit[] = [];
  for (const block of result.content) {
    if (block.type === 'web_search_result') hits.push(...block.results);
    if (block.type === 'text') text += block.text;
    else if (block.type === 'thinking') thinking += block.thinking;
    else if (block.type === 'tool_use') {
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input) } });
    }
  }
  return {
    role: 'assistant',
    content: text === '' && (toolCalls.length > 0 || result.refusal !== undefined) ? null : text,
    ...(thinking !== '' ? { reasoning_content: thinking } : {}),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    refusal: result.refusal ?? null,
    ...(hits.length ? { annotations: chatCitations(text, hits) } : {}),
  };
}

/** url_citation annotations in Chat's nested shape. */
export const chatCitations = (text: string, hits: readonly WebSearchHit[]): ChatUrlCitation[] =>
  urlCitations(text, hits).map(({ type, ...c }) => ({ type, url_citation: c }));
