/**
 * The request guards, composed in the one order that is correct:
 *
 *   1. host    — DNS-rebinding defence (Host must be loopback:boundPort or configured)
 *   2. origin  — browsers: refuse foreign Origins, answer CORS preflights for allowed ones
 *                (before the key: browsers send no credentials on a preflight)
 *   3. api key — when configured; every route except GET/HEAD /health; with named client
 *                keys, client-key-guard.ts (who the caller is, on the model API)
 *   4. body    — JSON body with size, content-type and depth limits
 *                (after the key, so unauthenticated clients cannot make us read bodies;
 *                after origin, which is what makes accepting text/plain JSON safe)
 *
 * Mount them before the routes: `app.use(guards({...}))` (express accepts the array).
 * Every refusal goes through `respond`, which encodes the canonical error in the
 * endpoint's wire format. No message ever contains the API key or a presented key.
 */
import type { RequestHandler } from 'express';
import type { KeyStore } from '../../keys/key-store.js';
import { apiKeyGuard } from './api-key-guard.js';
import { clientKeyGuard } from './client-key-guard.js';
import { hostGuard } from './host-guard.js';
import { jsonBody } from './json-body.js';
import { originGuard } from './origin-guard.js';
import type { RespondError } from './respond.js';

export interface GuardsOptions {
  /** The bound port, read per request (known only after listen). */
  port: () => number;
  /** Extra Host names (`name` or `name:port`) besides localhost/127.0.0.1/[::1]. */
  allowedHosts: readonly string[];
  /** Browser origins allowed to call the API (exact `scheme://host[:port]`, never `*`). */
  allowedOrigins: readonly string[];
  /** Shared secret clients must present; undefined = no key check. An empty string is refused (TypeError). */
  apiKey?: string;
  /** Named client keys (with them, the key check below becomes client-key-guard.ts). */
  keys?: KeyStore;
  /** Refuse unkeyed model API requests (read per request). */
  requireKeys?: () => boolean;
  /** Largest JSON body in bytes (after decompression). */
  maxBodyBytes: number;
  /** Deepest JSON nesting; default 64. */
  maxJsonDepth?: number;
  respond: RespondError;
}

export const guards = (opts: GuardsOptions): RequestHandler[] => {
  const chain: RequestHandler[] = [
    hostGuard({ port: opts.port, allowedHosts: opts.allowedHosts, respond: opts.respond }),
    originGuard({ allowedOrigins: opts.allowedOrigins, respond: opts.respond }),
  ];
  if (opts.keys) chain.push(clientKeyGuard({ apiKey: opts.apiKey, keys: opts.keys, requireKeys: opts.requireKeys ?? (() => false), respond: opts.respond }));
  else if (opts.apiKey !== undefined) chain.push(apiKeyGuard({ apiKey: opts.apiKey, respond: opts.respond }));
  chain.push(jsonBody({ maxBodyBytes: opts.maxBodyBytes, maxDepth: opts.maxJsonDepth, respond: opts.respond }));
  return chain;
};

export { type ApiKeyGuardOptions, apiKeyGuard, isKeyExempt, presentedKeys } from './api-key-guard.js';
export { type ClientKeyGuardOptions, clientKeyGuard, type Identity, identityOf } from './client-key-guard.js';
export { type HostGuardOptions, hostGuard, isAllowedHost, splitHost } from './host-guard.js';
export {
  bodyErrorToTurnError,
  DEFAULT_MAX_JSON_DEPTH,
  isJsonContentType,
  type JsonBodyOptions,
  jsonBody,
} from './json-body.js';
export { parseJsonInSlices } from './json-in-slices.js';
export { indexJson, JsonTooDeepError, JsonTooManyItemsError } from './json-structure.js';
export {
  CORS_ALLOW_HEADER_PREFIXES,
  CORS_ALLOW_HEADERS,
  CORS_ALLOW_METHODS,
  CORS_EXPOSE_HEADERS,
  CORS_MAX_AGE_SECONDS,
  normalizeOrigin,
  type OriginGuardOptions,
  originGuard,
} from './origin-guard.js';
export { quoteForMessage, type RespondError } from './respond.js';
