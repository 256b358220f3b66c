import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { convert } from 'html-to-text';
import { ipLiteral, isLocalName, refusedAddress } from './address-policy.js';

/**
 * An SSRF-safe fetch for the daemon's own web_fetch tool (docs/decisions/095): http and
 * https only; every host (the first and each redirect hop) is resolved here, all its
 * addresses must be public, and the connection goes to the very address that was checked
 * (a pinned `lookup`), so DNS cannot answer differently between check and connect.
 * Redirects are followed by hand, each re-checked, up to a hop limit; the body is capped
 * in size and the whole fetch in time.
 */

/** The Messages API's web_fetch error codes this fetch can produce. */
export type WebFetchErrorCode = 'invalid_input' | 'url_too_long' | 'url_not_allowed' | 'url_not_accessible' | 'unsupported_content_type' | 'unavailable';

export class WebFetchError extends Error {
  constructor(
    readonly code: WebFetchErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WebFetchError';
  }
}

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface FetchOptions {
  /** Checked for each hop's hostname (the client's allowed_domains / blocked_domains). */
  allowHost?: (hostname: string) => boolean;
  maxBytes?: number;
  timeoutMs?: number;
  maxRedirects?: number;
  userAgent?: string;
  /** DNS, replaceable in tests; whatever it answers still goes through the address policy. */
  resolve?: Resolver;
  signal?: AbortSignal;
}

export type FetchedPage =
  | { url: string; kind: 'text'; mediaType: string; text: string; title?: string; truncated: boolean }
  | { url: string; kind: 'pdf'; data: string; title?: string };

export const MAX_URL_LENGTH = 2000;
const DEFAULTS = { maxBytes: 10 * 1024 * 1024, timeoutMs: 30_000, maxRedirects: 5, userAgent: 'maxproxy-web-fetch/1.0 (+https://github.com/maxproxy)' };

const systemResolve: Resolver = async (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Resolves `hostname` and returns one checked address, or throws why it may not be fetched. */
export async function checkedAddress(hostname: string, resolve: Resolver = systemResolve): Promise<{ address: string; family: number }> {
  const literal = ipLiteral(hostname);
  if (literal !== undefined) {
    const why = refusedAddress(literal);
    if (why) throw new WebFetchError('url_not_accessible', `${hostname} is not a public address (${why})`);
    return { address: literal, family: literal.includes(':') ? 6 : 4 };
  }
  if (isLocalName(hostname)) throw new WebFetchError('url_not_accessible', `${hostname} names this machine or its local network`);
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = await resolve(hostname);
  } catch (e) {
    throw new WebFetchError('url_not_accessible', `${hostname} did not resolve (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!addresses.length) throw new WebFetchError('url_not_accessible', `${hostname} did not resolve`);
  // Every address must be public: which one a client would use is not ours to guess.
  for (const a of addresses) {
    const why = refusedAddress(a.address);
    if (why) throw new WebFetchError('url_not_accessible', `${hostname} resolves to ${a.address}, which is not a public address (${why})`);
  }
  return addresses[0];
}

export function parseFetchUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) throw new WebFetchError('url_too_long', `the url is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebFetchError('invalid_input', `not a valid absolute url: ${raw.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebFetchError('invalid_input', `only http and https urls are fetched, not ${url.protocol}`);
  if (url.username || url.password) throw new WebFetchError('invalid_input', 'urls with credentials are not fetched');
  return url;
}

export async function fetchPage(raw: string, options: FetchOptions = {}): Promise<FetchedPage> {
  const o = { ...DEFAULTS, ...options };
  const deadline = AbortSignal.timeout(o.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  let url = parseFetchUrl(raw);
  for (let hop = 0; ; hop++) {
    if (o.allowHost && !o.allowHost(url.hostname)) throw new WebFetchError('url_not_allowed', `${url.hostname} is not among the allowed domains`);
    const target = await checkedAddress(url.hostname, o.resolve);
    const res = await request(url, target, o.userAgent, signal);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= o.maxRedirects) throw new WebFetchError('url_not_accessible', `more than ${o.maxRedirects} redirects`);
      url = parseFetchUrl(new URL(res.headers.location, url).href);
      continue;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      throw new WebFetchError('url_not_accessible', `the server answered HTTP ${status}`);
    }
    return readPage(url.href, res, o.maxBytes, signal);
  }
}

function request(url: URL, target: { address: string; family: number }, userAgent: string, signal: AbortSignal): Promise<http.IncomingMessage> {
  // The connection goes to the address checked above, whatever DNS would say now.
  const lookup: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [target]);
    else cb(null, target.address, target.family);
  };
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'GET',
        lookup,
        agent: false,
        signal,
        headers: {
          'user-agent': userAgent,
          accept: 'text/html,application/xhtml+xml,text/plain,application/pdf;q=0.9,*/*;q=0.5',
          'accept-encoding': 'identity',
        },
      },
      resolve,
    );
    req.on('error', (e) =>
      reject(
        signal.aborted
          ? new WebFetchError('url_not_accessible', 'the fetch timed out')
          : new WebFetchError('url_not_accessible', `could not fetch ${url.host}: ${(e as NodeJS.ErrnoException).code ?? e.message}`),
      ),
    );
    req.end();
  });
}

async function readPage(url: string, res: http.IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<FetchedPage> {
  const type = (res.headers['content-type'] ?? 'application/octet-stream').split(';')[0].trim().toLowerCase();
  const isHtml = type === 'text/html' || type === 'application/xhtml+xml';
  const isPdf = type === 'application/pdf';
  const isText = type.startsWith('text/') || type === 'application/json' || type.endsWith('+json') || type === 'application/xml' || type.endsWith('+xml');
  if (!isHtml && !isPdf && !isText) {
    res.resume();
    throw new WebFetchError('unsupported_content_type', `${type} is not fetched (HTML, text and PDF are)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const c of res) {
      const b = c as Buffer;
      if (size + b.length > maxBytes) {
        chunks.push(b.subarray(0, maxBytes - size));
        truncated = true;
        res.destroy();
        break;
      }
      chunks.push(b);
      size += b.length;
    }
  } catch {
    throw new WebFetchError('url_not_accessible', signal.aborted ? 'the fetch timed out' : 'the connection broke while reading the page');
  }
  const body = Buffer.concat(chunks);
  if (isPdf) {
    if (truncated) throw new WebFetchError('url_not_accessible', `the PDF is larger than ${maxBytes} bytes`);
    return { url, kind: 'pdf', data: body.toString('base64') };
  }
  const raw = body.toString('utf8');
  if (!isHtml) return { url, kind: 'text', mediaType: type, text: raw, truncated };
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(raw)?.[1]?.trim();
  const text = convert(raw, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }] });
  return { url, kind: 'text', mediaType: type, text, truncated, ...(title ? { title: decodeEntities(title) } : {}) };
}

function decodeEntities(s: string): string {
  return convert(s, { wordwrap: false });
}
