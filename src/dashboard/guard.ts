/**
 * Who may read and change the dashboard. The page lives on the daemon's own origin, so
 * beyond the API's Host guard (DNS rebinding; reused as is) the rules are:
 *
 * - a browser request for data or a change must come from the page's own origin: its
 *   `Origin`, when sent, equals `http://<Host>`, and its `Sec-Fetch-Site`, when sent,
 *   is `same-origin`. Any other page (another port on 127.0.0.1 is another origin) gets
 *   403, and the API's configured allowed origins do not extend to the dashboard;
 * - a change (POST) additionally needs `content-type: application/json`, which no plain
 *   HTML form can send and which makes a cross-origin fetch preflight (refused here);
 * - with `--api-key`: a dashboard session (cookie from logging in with the key) or the
 *   key itself in `Authorization`/`x-api-key` (scripts); without it, loopback binding
 *   is what protects the page, as for the API.
 */
import type { Request, RequestHandler, Response } from 'express';
import { presentedKeys } from '../server/guards/api-key-guard.js';
import { quoteForMessage } from '../server/guards/respond.js';
import type { DashboardSessions } from './session.js';

export interface DashboardError {
  status: number;
  code: string;
  message: string;
}

export const sendError = (res: Response, e: DashboardError): void => {
  res.status(e.status).json({ error: { code: e.code, message: e.message } });
};

/** `http://<Host>`: the origin the page was loaded from (the Host guard has run). */
export const ownOrigin = (req: Request): string => `http://${String(req.headers.host ?? '').toLowerCase()}`;

/** Why a request is not from the page itself; undefined when it is (or is not a browser at all). */
export function crossOriginReason(req: Request, opts: { navigation: boolean }): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== ownOrigin(req)) {
    return `Origin ${quoteForMessage(origin)} may not use the dashboard: it is served to its own origin only`;
  }
  // Opening the page itself is fine from anywhere (a typed URL, the tray, a link, the
  // page following its own port move): it holds no data, and it cannot be framed.
  if (opts.navigation) return undefined;
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin') {
    return `a ${quoteForMessage(site)} request may not use the dashboard: it is served to its own origin only`;
  }
  return undefined;
}

/** Same-origin (and, for changes, JSON) browser requests only. */
export const sameOriginOnly =
  (opts: { navigation: boolean }): RequestHandler =>
  (req, res, next) => {
    const why = crossOriginReason(req, opts);
    if (why) return sendError(res, { status: 403, code: 'origin_not_allowed', message: why });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const type = String(req.headers['content-type'] ?? '')
        .split(';')[0]
        .trim()
        .toLowerCase();
      if (type !== 'application/json') {
        return sendError(res, { status: 415, code: 'unsupported_media_type', message: 'changes must be sent as application/json' });
      }
    }
    next();
  };

/** With an API key: a dashboard session or the key itself. Without one: everyone who got past Host and Origin. */
export const requireSession =
  (sessions: DashboardSessions | undefined): RequestHandler =>
  (req, res, next) => {
    if (!sessions) return next();
    if (sessions.valid(req)) return next();
    let ok = false;
    for (const k of presentedKeys(req)) ok = sessions.keyMatches(k) || ok;
    if (ok) return next();
    sendError(res, { status: 401, code: 'login_required', message: 'this daemon runs with an API key: log in to the dashboard with it first' });
  };

/** Security headers for every dashboard answer: no framing (clickjacking), no sniffing, no referrer, no caching of data. */
export const hardening: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
  next();
};
