/** OpenAI Chat Completions wire format: requests to canonical turns, turns back to the wire. */

export { encodeChatUsage } from './convert-chat-usage.js';
export { type ChatMeta, encodeChatCompletion } from './encode-chat-completion.js';
export { encodeChatError } from './encode-chat-error.js';
export { encodeModelsList } from './encode-models-list.js';
export { mapFinishReason } from './map-finish-reason.js';
export { type ParsedChatRequest, parseChatRequest } from './parse-chat-request.js';
export { type ChatStreamMeta, streamChat } from './stream-chat.js';
export type * from './wire-types.js';
