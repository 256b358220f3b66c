/**
 * DNS-rebinding defence: a page on evil.example whose name re-resolves to 127.0.0.1
 * reaches this daemon with `Host: evil.example[:port]`. Only loopback names for the
 * port we are actually bound to, and names the user configured, are accepted.
 *
 * Accepted (case-insensitive): `localhost`, `127.0.0.1`, `[::1]`, each bare or with
 * `:<bound port>`; and each configured name. A configured name without a port
 * (`myhost.lan`) matches bare or with the bound port; one with a port
 * (`myhost.lan:8080`, e.g. behind a port-forward) matches exactly that.
 * Missing Host (only possible with HTTP/1.0; Node itself answers HTTP/1.1 without
 * Host with 400) → 400 invalid_request. Anything else → 403 permission.
 * `X-Forwarded-Host` is never consulted.
 */
import type { RequestHandler } from 'express';
import { quoteForMessage, type RespondError } from './respond.js';

export interface HostGuardOptions {
  /** The port the server is bound to; read per request because it is known only after listen. */
  port: () => number;
  /** Extra host names (optionally `name:port`) the user configured. */
  allowedHosts?: readonly string[];
  respond: RespondError;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Split `name[:port]` (IPv6 literals in brackets); null when malformed. */
export const splitHost = (host: string): { name: string; port?: string } | null => {
  const h = host.trim().toLowerCase();
  if (h === '') return null;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return null;
    const name = h.slice(0, end + 1);
    const rest = h.slice(end + 1);
    if (rest === '') return { name };
    if (!/^:\d{1,5}$/.test(rest)) return null;
    return { name, port: rest.slice(1) };
  }
  const colon = h.indexOf(':');
  if (colon < 0) return { name: h };
  const port = h.slice(colon + 1);
  if (!/^\d{1,5}$/.test(port)) return null;
  return { name: h.slice(0, colon), port };
};

/** True when `host` (a Host header value) is acceptable for a server bound to `boundPort`. */
export const isAllowedHost = (host: string, boundPort: number, allowedHosts: readonly string[] = []): boolean => {
  const got = splitHost(host);
  if (!got || got.name === '') return false;
  const bound = String(boundPort);
  const portOk = got.port === undefined || (boundPort > 0 && got.port === bound);
  if (LOOPBACK_NAMES.includes(got.name)) return portOk;
  for (const entry of allowedHosts) {
    const want = splitHost(entry);
    if (!want || want.name !== got.name) continue;
    if (want.port !== undefined ? got.port === want.port : portOk) return true;
  }
  return false;
};

export const hostGuard = (opts: HostGuardOptions): RequestHandler => {
  const allowed = [...(opts.allowedHosts ?? [])];
  return (req, res, next) => {
    const host = req.headers.host;
    if (host === undefined || host === '') {
      opts.respond(req, res, { kind: 'invalid_request', message: 'missing Host header', code: 'missing_host' });
      return;
    }
    if (!isAllowedHost(host, opts.port(), allowed)) {
      opts.respond(req, res, {
        kind: 'permission',
        message:
          `Host ${quoteForMessage(host)} is not allowed (DNS rebinding protection); ` +
          'use localhost or 127.0.0.1, or add the name to the allowed hosts setting',
        code: 'host_not_allowed',
      });
      return;
    }
    next();
  };
};
