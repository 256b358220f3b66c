/**
 * The one mapping from canonical error kinds to Anthropic's HTTP status and error type
 * (https://docs.anthropic.com/en/api/errors), used for HTTP errors and for the
 * `event: error` of a stream alike.
 */
import type { ErrorKind, TurnError } from '../../turn/types.js';
import { retryAfterHeaders, statusForKind, type WireError } from '../wire.js';
import type { AnthropicErrorBody, AnthropicErrorType } from './wire-types.js';

const ERROR_TYPES: Record<ErrorKind, AnthropicErrorType> = {
  invalid_request: 'invalid_request_error', // 400
  authentication: 'authentication_error', // 401
  billing: 'billing_error', // 402
  permission: 'permission_error', // 403
  not_found: 'not_found_error', // 404
  too_large: 'request_too_large', // 413
  rate_limit: 'rate_limit_error', // 429
  internal: 'api_error', // 500
  upstream: 'api_error', // 502
  // 503 is maxproxy's own state (paused, queue full), not Anthropic's capacity, so it is
  // a plain api_error; overloaded_error is kept for a real upstream overload (529).
  unavailable: 'api_error', // 503
  overloaded: 'overloaded_error', // 529
  timeout: 'timeout_error', // 504, documented as timeout_error
};

export function anthropicErrorFor(kind: ErrorKind): { status: number; type: AnthropicErrorType } {
  return { status: kind === 'overloaded' ? 529 : statusForKind[kind], type: ERROR_TYPES[kind] };
}

export function encodeErrorBody(err: TurnError): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorFor(err.kind).type, message: err.message } };
}

export function encodeMessagesError(err: TurnError): WireError {
  return {
    status: anthropicErrorFor(err.kind).status,
    headers: retryAfterHeaders(err),
    body: encodeErrorBody(err),
  };
}
