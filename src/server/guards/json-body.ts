/**
 * JSON request bodies: read with a size limit, a content-type policy and a
 * nesting-depth check, answering every failure through `respond` as a canonical error
 * instead of express's HTML error page. The daemon must never crash or hang on absurd
 * input: size is bounded while reading (also after gzip/deflate/br inflation, so a zip
 * bomb stops at the limit), depth is checked by an iterative byte scan before parsing,
 * and the parse runs in slices (json-in-slices.ts) so no body holds the event loop for
 * more than a few milliseconds at a time.
 *
 * Content types (decided; many curl users forget `-H 'content-type: application/json'`,
 * and `curl -d` then sends `application/x-www-form-urlencoded`):
 * - parsed as JSON: no Content-Type, `application/json`, `application/*+json`,
 *   `text/plain`, `application/x-www-form-urlencoded`. A body that is not JSON gets
 *   400 "malformed JSON: …". (These "simple" types let a web page POST without a CORS
 *   preflight; that is safe only because the origin guard runs first and refuses any
 *   request whose Origin is not allowed. Keep that order.)
 * - anything else (multipart/form-data, application/xml, …) → 400 invalid_request,
 *   code `unsupported_content_type` (the canonical error kinds have no 415).
 * - charset must be UTF-8 (or absent) → else 400, code `unsupported_charset`.
 *
 * Errors: too large → `too_large` (413); malformed JSON, top-level scalar → 400
 * "malformed JSON: <detail>"; deeper than `maxDepth` → 400 code `json_too_deep`; more
 * than `maxItems` values → 400 code `json_too_many_values`;
 * unknown Content-Encoding or a corrupt compressed body → 400.
 *
 * A request without a body (no Content-Length / Transfer-Encoding) leaves `req.body`
 * undefined; an empty body (Content-Length: 0) yields `{}` (body-parser's rule).
 */
import type { Request, RequestHandler } from 'express';
import type { TurnError } from '../../turn/types.js';
import { parseJsonInSlices } from './json-in-slices.js';
import { JsonTooDeepError, JsonTooManyItemsError } from './json-structure.js';
import { hasBody, readBody } from './read-body.js';
import { quoteForMessage, type RespondError } from './respond.js';

export interface JsonBodyOptions {
  /** Largest accepted body, in bytes (after decompression). */
  maxBodyBytes: number;
  /** Deepest accepted nesting of arrays/objects; default 64. */
  maxDepth?: number;
  /** Most values a body may hold (containers plus commas); default DEFAULT_MAX_JSON_ITEMS. */
  maxItems?: number;
  respond: RespondError;
}

export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * Most JSON values one body may hold. Parsing is sliced, but millions of small values
 * still cost the event loop in garbage collection and in the API parsers that follow;
 * a real conversation at the 10,000-message limit with tool calls is ~100,000
 * (docs/decisions/049-request-bodies-in-slices.md).
 */
export const DEFAULT_MAX_JSON_ITEMS = 250_000;

const JSON_LIKE_TYPES = new Set(['application/json', 'text/plain', 'application/x-www-form-urlencoded']);

/** The media type of a Content-Type header, lower-cased, without parameters ('' when absent). */
const mediaType = (contentType: string | undefined): string => (contentType ?? '').split(';', 1)[0].trim().toLowerCase();

/** Whether a body with this Content-Type is read as JSON (see the module comment). */
export const isJsonContentType = (contentType: string | undefined): boolean => {
  const t = mediaType(contentType);
  return t === '' || JSON_LIKE_TYPES.has(t) || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(t);
};

/** The charset parameter of a Content-Type header, lower-cased (undefined when absent). */
const charsetOf = (contentType: string | undefined): string | undefined => /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1].toLowerCase();

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
  limit?: number;
  charset?: string;
  encoding?: string;
}

const detail = (s: string | undefined, max = 200): string => {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
};

/** One place that maps body-parser/raw-body errors (and ours) to canonical errors. */
export const bodyErrorToTurnError = (e: unknown, maxBodyBytes: number, maxDepth = DEFAULT_MAX_JSON_DEPTH, maxItems = DEFAULT_MAX_JSON_ITEMS): TurnError => {
  const err = (typeof e === 'object' && e !== null ? e : {}) as BodyParserError;
  switch (err.type) {
    case 'entity.too.large':
      return {
        kind: 'too_large',
        message: `request body is larger than the limit of ${maxBodyBytes} bytes`,
        code: 'request_too_large',
      };
    case 'entity.parse.failed':
      return { kind: 'invalid_request', message: `malformed JSON: ${detail(err.message)}`, code: 'invalid_json' };
    case 'json.too.many.items':
      return {
        kind: 'invalid_request',
        message: `request body holds more than ${maxItems} JSON values; maxproxy accepts at most ${maxItems}`,
        code: 'json_too_many_values',
      };
    case 'json.too.deep':
      return {
        kind: 'invalid_request',
        message: `malformed JSON: nested deeper than ${maxDepth} levels`,
        code: 'json_too_deep',
      };
    case 'charset.unsupported':
      return {
        kind: 'invalid_request',
        message: `unsupported charset${err.charset ? ` ${quoteForMessage(err.charset, 40)}` : ''}: send UTF-8 JSON`,
        code: 'unsupported_charset',
      };
    case 'encoding.unsupported':
      return {
        kind: 'invalid_request',
        message: `unsupported Content-Encoding${err.encoding ? ` ${quoteForMessage(err.encoding, 40)}` : ''}: use identity, gzip, deflate or br`,
        code: 'unsupported_content_encoding',
      };
    case 'request.aborted':
      return { kind: 'invalid_request', message: 'request aborted while the body was being read', code: 'request_aborted' };
    case 'request.size.invalid':
      return { kind: 'invalid_request', message: 'request body size did not match Content-Length', code: 'invalid_body_size' };
  }
  const status = typeof err.status === 'number' ? err.status : 500;
  if (status >= 400 && status < 500) {
    // e.g. a corrupt gzip stream (zlib error wrapped as 400 by body-parser).
    return { kind: 'invalid_request', message: `could not read request body: ${detail(err.message)}`, code: 'invalid_body' };
  }
  return { kind: 'internal', message: 'failed to read the request body' };
};

export const jsonBody = (opts: JsonBodyOptions): RequestHandler => {
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const maxItems = opts.maxItems ?? DEFAULT_MAX_JSON_ITEMS;
  if (!Number.isFinite(opts.maxBodyBytes) || opts.maxBodyBytes <= 0) {
    throw new TypeError('jsonBody: maxBodyBytes must be a positive number');
  }
  // Reading (read-body.ts) and parsing (json-in-slices.ts) both keep each block of work
  // on the event loop short, so a large body never stalls other requests.
  const parse = async (req: Request): Promise<void> => {
    const buf = await readBody(req, opts.maxBodyBytes);
    if (buf === undefined) {
      req.body = undefined; // no body at all
      return;
    }
    try {
      req.body = buf.length === 0 ? {} : await parseJsonInSlices(buf, { maxDepth, maxItems });
    } catch (e) {
      if (e instanceof JsonTooDeepError || e instanceof JsonTooManyItemsError) throw Object.assign(new Error(e.message), { type: e.type });
      throw Object.assign(new Error((e as Error).message), { type: 'entity.parse.failed' });
    }
  };

  return (req, res, next) => {
    if (hasBody(req.headers) && !isJsonContentType(req.headers['content-type'])) {
      opts.respond(req, res, {
        kind: 'invalid_request',
        message: `unsupported Content-Type ${quoteForMessage(mediaType(req.headers['content-type']), 60)}: send JSON with "Content-Type: application/json"`,
        code: 'unsupported_content_type',
      });
      return;
    }
    const done = (err?: unknown): void => {
      if (err === undefined || err === null) next();
      else opts.respond(req, res, bodyErrorToTurnError(err, opts.maxBodyBytes, maxDepth, maxItems));
    };
    const charset = charsetOf(req.headers['content-type']);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(Object.assign(new Error('unsupported charset'), { type: 'charset.unsupported', charset }));
      return;
    }
    parse(req).then(
      () => next(),
      (e: unknown) => done(e),
    );
  };
};
