/**
 * The one mapping from canonical error kinds to OpenAI's error format
 * `{error: {message, type, param, code}}`, shared by Chat Completions (api/openai) and
 * the Responses API (api/responses).
 */
import type { ErrorKind, TurnError } from '../../turn/types.js';
import { statusForKind } from '../wire.js';

/** OpenAI's error body, for HTTP errors and for a streamed error chunk alike. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

interface OpenAIErrorShape {
  type: string;
  /** The default `code` when the canonical error has none. */
  code: string | null;
}

const SHAPES: Record<ErrorKind, OpenAIErrorShape> = {
  invalid_request: { type: 'invalid_request_error', code: null }, // 400
  authentication: { type: 'authentication_error', code: 'invalid_api_key' }, // 401
  billing: { type: 'insufficient_quota', code: 'insufficient_quota' }, // 402
  permission: { type: 'permission_error', code: null }, // 403
  not_found: { type: 'not_found_error', code: null }, // 404
  too_large: { type: 'invalid_request_error', code: 'request_too_large' }, // 413
  rate_limit: { type: 'rate_limit_error', code: 'rate_limit_exceeded' }, // 429
  internal: { type: 'server_error', code: null }, // 500
  upstream: { type: 'server_error', code: null }, // 502
  unavailable: { type: 'service_unavailable', code: null }, // 503
  overloaded: { type: 'service_unavailable', code: 'overloaded' }, // 503 (no 529 in OpenAI's world)
  timeout: { type: 'timeout', code: null }, // 504
};

export function openaiErrorFor(err: TurnError): { status: number; type: string; code: string | null } {
  const shape = SHAPES[err.kind];
  return { status: statusForKind[err.kind], type: shape.type, code: err.code ?? shape.code };
}

export function encodeOpenAIErrorBody(err: TurnError): OpenAIErrorBody {
  const { type, code } = openaiErrorFor(err);
  return { error: { message: err.message, type, param: err.param ?? null, code } };
}
