/** Anthropic Messages API wire format: requests to canonical turns, turns back to the wire. */
export { parseMessagesRequest, parseCountTokensRequest } from './parse-messages-request.js';
export { encodeMessagesResponse } from './encode-messages-response.js';
export { streamMessages } from './stream-messages.js';
export { encodeMessagesError } from './encode-messages-error.js';
export { encodeModelsList } from './encode-models-list.js';
export type * from './wire-types.js';
