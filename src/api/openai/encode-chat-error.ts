/**
 * Canonical errors as Chat Completions answers them: `{error: {message, type, param,
 * code}}` with the status from the shared OpenAI table (../openai-errors.ts). An unknown
 * model is a 404 with code `model_not_found`, as OpenAI answers it.
 */
import type { TurnError } from '../../turn/types.js';
import { encodeOpenAIErrorBody, openaiErrorFor } from '../shared/openai-errors.js';
import { retryAfterHeaders, type WireError } from '../wire.js';

export function encodeChatError(err: TurnError): WireError {
  return { status: openaiErrorFor(err).status, headers: retryAfterHeaders(err), body: encodeOpenAIErrorBody(err) };
}
