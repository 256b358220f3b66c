/** OpenAI Responses API wire format: requests to canonical turns, turns back to the wire. */
export { parseResponsesRequest, type ParsedResponsesRequest } from './parse-responses-request.js';
export { encodeResponse, type ResponseMeta } from './encode-response.js';
export { streamResponses } from './stream-responses.js';
export { encodeResponsesError } from './encode-responses-error.js';
export {
  ResponseStore,
  assistantMessageFrom,
  type HistoryLookup,
  type ResponseStoreOptions,
  type StoredConversation,
} from './response-store.js';
export type { IgnoredInput, NamespacedName } from './prepare-tools.js';
export type * from './wire-types.js';
