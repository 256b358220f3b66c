/** OpenAI Responses API wire format: requests to canonical turns, turns back to the wire. */

export { encodeResponse, type ResponseMeta } from './encode-response.js';
export { encodeResponsesError } from './encode-responses-error.js';
export { assistantMessageFrom, type HistoryLookup, type StoredConversation } from './history.js';
export { type ParsedResponsesRequest, parseResponsesRequest } from './parse-responses-request.js';
export type { IgnoredInput, NamespacedName } from './prepare-tools.js';
export { streamResponses } from './stream-responses.js';
export type * from './wire-types.js';
