/**
 * A web page must not drive the user's subscription. Browsers add `Origin` to every
 * cross-origin request (and to every POST); non-browser clients (SDKs, curl, CLIs)
 * send none. So:
 *
 * - no `Origin` → passes (not a browser, or a same-origin navigation), unless
 *   `Sec-Fetch-Site` says the browser sends it from another site (cross-site or
 *   same-site): then 403, whatever the method;
 * - `Origin` in the allowed list → passes, and the response carries
 *   `Access-Control-Allow-Origin: <that origin>` (never `*`) with `Vary: Origin`;
 * - any other `Origin`, including the opaque `null` (sandboxed frames, file://,
 *   some redirects) and unparsable values → 403 permission;
 * - a CORS preflight (`OPTIONS` + `Origin` + `Access-Control-Request-Method`) from an
 *   allowed origin is answered here with 204 and never reaches the routes or the
 *   API-key check (browsers send no credentials on preflights); from any other
 *   origin it gets 403.
 *
 * Allowed origins are compared after URL normalisation (`http://LocalHost:80` equals
 * `http://localhost`). `*` and `null` are refused as configuration.
 */
import type { RequestHandler } from 'express';
import { quoteForMessage, type RespondError } from './respond.js';

export interface OriginGuardOptions {
  /** Exact origins (`scheme://host[:port]`) allowed to call the API from a browser. */
  allowedOrigins?: readonly string[];
  respond: RespondError;
}

export const CORS_ALLOW_METHODS = 'GET, POST, OPTIONS';

/** Request headers a browser client may send; matched case-insensitively. */
export const CORS_ALLOW_HEADERS: readonly string[] = ['authorization', 'x-api-key', 'content-type', 'anthropic-version', 'anthropic-beta', 'x-session-id'];

/**
 * Header families allowed by prefix. `Access-Control-Allow-Headers` has no prefix
 * wildcard, so requested headers of these families are echoed back by name.
 * `x-stainless-*` are the telemetry headers the official OpenAI/Anthropic SDKs send
 * (a preflight that omits them makes the SDK unusable from a browser);
 * `anthropic-*` covers e.g. anthropic-dangerous-direct-browser-access.
 */
export const CORS_ALLOW_HEADER_PREFIXES: readonly string[] = ['openai-', 'anthropic-', 'x-stainless-'];

/** Response headers a browser client may read. */
export const CORS_EXPOSE_HEADERS = 'retry-after, request-id, x-request-id';

export const CORS_MAX_AGE_SECONDS = 600;

/** `scheme://host[:port]` in canonical form, or null when not a usable origin. */
export const normalizeOrigin = (origin: string): string | null => {
  const trimmed = origin.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'null') return null;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    // Other schemes (chrome-extension://, moz-extension://, tauri://...) have an opaque
    // URL.origin; keep scheme + host so they can still be listed explicitly.
    return url.host !== '' ? `${url.protocol}//${url.host}` : null;
  }
  return url.origin;
};

const allowedRequestHeaders = (requested: string | undefined): string => {
  const out = [...CORS_ALLOW_HEADERS];
  for (const raw of (requested ?? '').split(',')) {
    const h = raw.trim().toLowerCase();
    if (h === '' || out.includes(h) || !/^[a-z0-9-]+$/.test(h)) continue;
    if (CORS_ALLOW_HEADER_PREFIXES.some((p) => h.startsWith(p))) out.push(h);
  }
  return out.join(', ');
};

export const originGuard = (opts: OriginGuardOptions): RequestHandler => {
  const allowed = new Set<string>();
  for (const o of opts.allowedOrigins ?? []) {
    const n = normalizeOrigin(o);
    if (n === null || o.trim() === '*') {
      throw new TypeError(`allowed origin ${quoteForMessage(o)} is not an origin (scheme://host[:port]; "*" and "null" are refused)`);
    }
    allowed.add(n);
  }

  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.headers.origin;
    if (origin === undefined) {
      // Second line behind Origin: browsers omit Origin on some cross-site requests (GET
      // navigations, no-cors loads) but always say where a request comes from here.
      const site = req.headers['sec-fetch-site'];
      if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
        opts.respond(req, res, {
          kind: 'permission',
          message: `a ${quoteForMessage(site)} browser request without an allowed Origin is refused: web pages may not use this proxy`,
          code: 'cross_site_request',
        });
        return;
      }
      next();
      return;
    }
    const normalized = normalizeOrigin(origin);
    if (normalized === null || !allowed.has(normalized)) {
      opts.respond(req, res, {
        kind: 'permission',
        message: `Origin ${quoteForMessage(origin)} is not allowed: web pages may not use this proxy unless their origin is in the allowed origins setting`,
        code: 'origin_not_allowed',
      });
      return;
    }

    res.setHeader('Access-Control-Allow-Origin', origin);
    const isPreflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!isPreflight) {
      res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
      next();
      return;
    }
    res.vary('Access-Control-Request-Method');
    res.vary('Access-Control-Request-Headers');
    res.setHeader('Access-Control-Allow-Methods', CORS_ALLOW_METHODS);
    res.setHeader('Access-Control-Allow-Headers', allowedRequestHeaders(req.headers['access-control-request-headers']));
    res.setHeader('Access-Control-Max-Age', String(CORS_MAX_AGE_SECONDS));
    // Chrome's Private Network Access: a public https page calling 127.0.0.1 asks first.
    if (req.headers['access-control-request-private-network'] === 'true') {
      res.setHeader('Access-Control-Allow-Private-Network', 'true');
    }
    res.status(204).end();
  };
};
