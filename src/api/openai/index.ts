/** OpenAI Chat Completions wire format: requests to canonical turns, turns back to the wire. */
export { parseChatRequest, type ParsedChatRequest } from './parse-chat-request.js';
export { encodeChatCompletion, type ChatMeta } from './encode-chat-completion.js';
export { streamChat, type ChatStreamMeta } from './stream-chat.js';
export { encodeChatError } from './encode-chat-error.js';
export { encodeModelsList } from './encode-models-list.js';
export { mapFinishReason } from './map-finish-reason.js';
export { encodeChatUsage } from './convert-chat-usage.js';
export type * from './wire-types.js';
