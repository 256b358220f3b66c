/** Anthropic Messages API wire format: requests to canonical turns, turns back to the wire. */

export { encodeMessagesError } from './encode-messages-error.js';
export { encodeMessagesResponse } from './encode-messages-response.js';
export { encodeModelsList } from './encode-models-list.js';
export { messagesIgnored, parseCountTokensRequest, parseMessagesRequest } from './parse-messages-request.js';
export { streamMessages } from './stream-messages.js';
export type * from './wire-types.js';
