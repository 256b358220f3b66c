/**
 * What every wire-format module (api/openai, api/anthropic, api/responses) shares:
 * an HTTP-agnostic SSE sink and the shape of an error answer. Modules here never
 * import engine/ or server/; they translate between JSON on the wire and turn/.
 */
import type { TurnError } from '../turn/types.js';

/** Where a stream encoder writes; the server backs it with an HTTP response. */
export interface SseSink {
  /** One SSE event. `event` adds an `event:` line (Anthropic, Responses); data is JSON-encoded unless a string. */
  send(data: unknown, event?: string): void;
  /** An SSE comment line (`: text`), used as a keep-alive that every client ignores. */
  comment(text: string): void;
  /** True once the client has gone; encoders stop early. */
  readonly closed: boolean;
}

/** An error as the endpoint's own format answers it. */
export interface WireError {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Request context a translator may need (headers are lower-cased). */
export interface WireContext {
  headers: Record<string, string | undefined>;
}

/** Standard retry-after header from a canonical error. */
export const retryAfterHeaders = (err: TurnError): Record<string, string> =>
  err.retryAfterSeconds !== undefined && err.retryAfterSeconds >= 0 ? { 'retry-after': String(Math.max(1, Math.ceil(err.retryAfterSeconds))) } : {};

/** The one HTTP status per canonical error kind (Anthropic's overloaded maps to 529 in its own module). */
export const statusForKind: Record<TurnError['kind'], number> = {
  invalid_request: 400,
  authentication: 401,
  billing: 402,
  permission: 403,
  not_found: 404,
  too_large: 413,
  rate_limit: 429,
  internal: 500,
  upstream: 502,
  unavailable: 503,
  overloaded: 503,
  timeout: 504,
};
