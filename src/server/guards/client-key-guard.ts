/**
 * Who a request is: the guard that replaces the single-key check when named client keys
 * exist (docs/decisions/090-client-keys.md). On the model API (`/v1/*`):
 *
 * - a known, live client key (Bearer or x-api-key) → `res.locals.identity = { key }`: the
 *   key's name is the client from here to the ledger, and its limits apply;
 * - the master key (`--api-key`) → allowed, labelled by User-Agent as before;
 * - a revoked, expired or unknown `mp-…` key → 401, whatever else is sent;
 * - no key: 401 when a master key is set or `require keys` is on (naming
 *   `maxproxy keys add`), otherwise allowed and labelled by User-Agent, as before.
 *
 * Other routes (/status, /metrics) keep the master-key rule of api-key-guard.ts: a client
 * key lets a client spend within its limits, not read every client's state.
 * Comparisons are constant-time over SHA-256 digests; no message contains a presented value.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { type KeyInfo, type KeyStore, looksLikeKey } from '../../keys/key-store.js';
import { isKeyExempt, presentedKeys } from './api-key-guard.js';
import type { RespondError } from './respond.js';

/** What the guard learnt about the caller, for the routes (res.locals.identity). */
export interface Identity {
  /** The client key the request carried, when it carried a valid one. */
  key?: KeyInfo;
  /** The master key (--api-key) matched. */
  master?: boolean;
}

export interface ClientKeyGuardOptions {
  apiKey?: string;
  keys: KeyStore;
  /** Read per request: the dashboard toggles it at run time. */
  requireKeys: () => boolean;
  respond: RespondError;
}

const digest = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s, 'utf8').digest());

const isModelApi = (req: Request): boolean => {
  const p = req.path.toLowerCase();
  return p === '/v1' || p.startsWith('/v1/');
};

const HOW = 'send it as "Authorization: Bearer <key>" or "x-api-key: <key>"';

export const identityOf = (locals: Record<string, unknown>): Identity => (locals.identity as Identity | undefined) ?? {};

export const clientKeyGuard = (opts: ClientKeyGuardOptions): RequestHandler => {
  const master = opts.apiKey ? digest(opts.apiKey) : undefined;
  return (req, res, next) => {
    const presented = presentedKeys(req);
    let masterOk = false;
    if (master) for (const k of presented) masterOk = timingSafeEqual(digest(k), master) || masterOk;
    res.locals.keyOk = masterOk;
    const refuse = (code: string, message: string) => {
      res.setHeader('WWW-Authenticate', 'Bearer realm="maxproxy"');
      opts.respond(req, res, { kind: 'authentication', code, message });
    };
    if (isKeyExempt(req)) return next();
    if (!isModelApi(req)) {
      if (!master || masterOk) return next();
      return refuse(presented.length ? 'invalid_api_key' : 'missing_api_key', presented.length ? 'invalid API key' : `missing API key: ${HOW}`);
    }
    const found = opts.keys.lookup(presented.filter(looksLikeKey));
    if (found.kind === 'valid') {
      res.locals.identity = { key: found.key } satisfies Identity;
      return next();
    }
    if (found.kind === 'revoked')
      return refuse('revoked_api_key', `the client key for "${found.name}" was revoked; ask for a new one (maxproxy keys add or rotate)`);
    if (found.kind === 'expired')
      return refuse('expired_api_key', `the client key for "${found.name}" has expired; make a new one with \`maxproxy keys rotate ${found.name}\``);
    if (masterOk) {
      res.locals.identity = { master: true } satisfies Identity;
      return next();
    }
    if (presented.some(looksLikeKey)) return refuse('invalid_api_key', 'unknown client key (never issued by this maxproxy, or rotated since)');
    if (master) return refuse(presented.length ? 'invalid_api_key' : 'missing_api_key', presented.length ? 'invalid API key' : `missing API key: ${HOW}`);
    if (opts.requireKeys()) {
      return refuse('client_key_required', `this maxproxy requires a client key: create one with \`maxproxy keys add NAME\` (or on the dashboard) and ${HOW}`);
    }
    next();
  };
};
