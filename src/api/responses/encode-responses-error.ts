/**
 * Responses API errors. The kind → `{error: {message, type, param, code}}` table is shared
 * with Chat Completions and lives in ../openai-errors.ts.
 */
import type { TurnError } from '../../turn/types.js';
import { encodeOpenAIErrorBody, openaiErrorFor } from '../shared/openai-errors.js';
import { retryAfterHeaders, type WireError } from '../wire.js';

export { encodeOpenAIErrorBody, openaiErrorFor } from '../shared/openai-errors.js';

export function encodeResponsesError(err: TurnError): WireError {
  return { status: openaiErrorFor(err).status, headers: retryAfterHeaders(err), body: encodeOpenAIErrorBody(err) };
}

/**
 * `response.error` of a failed streamed response: `{code, message}`. Codex reads the
 * code (rate_limit_exceeded, insufficient_quota, context_length_exceeded…) and, for rate
 * limits, the "try again in Ns" hint in the message to schedule its retry.
 */
export function encodeResponseFailure(err: TurnError): { code: string; message: string } {
  const code = openaiErrorFor(err).code ?? 'server_error';
  const hint =
    err.kind === 'rate_limit' && err.retryAfterSeconds !== undefined ? ` Please try again in ${Math.max(1, Math.ceil(err.retryAfterSeconds))}s.` : '';
  return { code, message: `${err.message}${hint}` };
}
