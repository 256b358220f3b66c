/**
 * Optional shared secret between the user's clients and the proxy. Accepted as
 * `Authorization: Bearer <key>` (OpenAI SDKs, @anthropic-ai/sdk 1.x) or
 * `x-api-key: <key>` (@anthropic-ai/sdk 0.x, OpenClaw); either one matching is enough.
 * Compared in constant time over SHA-256 digests, so neither content nor length of
 * the key leaks through timing. Required on every request except GET/HEAD /health.
 * Wrong or missing → 401 authentication; the presented value never appears in a
 * message.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { RespondError } from './respond.js';

export interface ApiKeyGuardOptions {
  /** The key clients must present; must be non-empty (leave the guard out to disable it). */
  apiKey: string;
  respond: RespondError;
}

// (copied into a plain Uint8Array: @types/node 20's Buffer does not type-check as ArrayBufferView under TS 5.9)
const digest = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s, 'utf8').digest());

/** Requests that never need the key: the liveness probe. */
export const isKeyExempt = (req: Request): boolean => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  // express routing is case-insensitive and non-strict: /HEALTH and /health/ reach /health too.
  const path = req.path.toLowerCase();
  return path === '/health' || path === '/health/';
};

/** The credentials a request presents (Bearer token and/or x-api-key). */
export const presentedKeys = (req: Request): string[] => {
  const keys: string[] = [];
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^\s*bearer\s+(.+?)\s*$/i.exec(auth);
    if (m) keys.push(m[1]);
  }
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x.trim() !== '') keys.push(x.trim());
  return keys;
};

export const apiKeyGuard = (opts: ApiKeyGuardOptions): RequestHandler => {
  if (typeof opts.apiKey !== 'string' || opts.apiKey === '') {
    throw new TypeError('apiKeyGuard: apiKey must be a non-empty string (omit the guard to disable the key check)');
  }
  const want = digest(opts.apiKey);
  return (req, res, next) => {
    const keys = presentedKeys(req);
    let ok = false;
    // Check every presented key (no early exit) so timing does not tell which header matched.
    for (const k of keys) ok = timingSafeEqual(digest(k), want) || ok;
    // Exempt routes still learn whether the caller holds the key (/health shows details only then).
    res.locals.keyOk = ok;
    if (ok || isKeyExempt(req)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="maxproxy"');
    opts.respond(req, res, {
      kind: 'authentication',
      message: keys.length === 0 ? 'missing API key: send it as "Authorization: Bearer <key>" or "x-api-key: <key>"' : 'invalid API key',
      code: keys.length === 0 ? 'missing_api_key' : 'invalid_api_key',
    });
  };
};
