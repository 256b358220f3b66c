import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ignoredHeader } from '../api/unhonoured.js';
import type { SseSink, WireContext, WireError } from '../api/wire.js';
import { resourceFailure } from '../engine/resource-errors.js';
import type { TurnEngine } from '../engine/turn-engine.js';
import type { Logger } from '../log/logger.js';
import { clientName } from '../status/client-name.js';
import type { StatusStore } from '../status/store.js';
import type { TurnResult } from '../turn/collect.js';
import { rejoin } from '../turn/rejoin.js';
import type { Endpoint } from '../turn/turn-record.js';
import { promptTokens, type TurnError, type TurnEvent, TurnFailure, type TurnRequest } from '../turn/types.js';
import { untilShutdown } from './cut-on-shutdown.js';
import { peekFirst } from './first-event.js';
import { tooManyMessages } from './guards/message-limit.js';
import type { Metrics } from './metrics.js';
import { HttpSseSink } from './sse.js';

export interface TurnMeta {
  id: string;
  created: number;
  /** The model name as the client asked for it (echoed back). */
  model: string;
}

/** What one wire format plugs into the shared turn route. */
export interface FormatAdapter<X> {
  route: string;
  endpoint: Endpoint;
  newId(): string;
  parse(body: unknown, ctx: WireContext): { request: TurnRequest; ignored: string[]; extra: X };
  encodeError(err: TurnError): WireError;
  encodeResult(result: TurnResult, meta: TurnMeta, extra: X): unknown;
  stream(events: AsyncIterable<TurnEvent>, sink: SseSink, meta: TurnMeta, extra: X): Promise<unknown>;
  /** Called with the finished turn (streamed or not), e.g. to store it for previous_response_id. */
  finished?(result: TurnResult, meta: TurnMeta, extra: X): void;
}

export interface TurnRouteDeps {
  engine: TurnEngine;
  status: StatusStore;
  metrics: Metrics;
  log: Logger;
  /** How long a stream may wait for its first event before committing to 200 with keep-alives. */
  commitAfterMs?: number;
  isPaused: () => boolean;
  /** Decides before the turn starts whether a client may run one (extra-usage policy, budgets); an error refuses it. */
  admit?: (client: string) => TurnError | undefined;
  /** Fires when the shutdown grace has run out: running turns end with their API's error event. */
  shutdown?: AbortSignal;
}

export const sendWireError = (res: Response, w: WireError): void => {
  if (res.headersSent) return;
  res.status(w.status);
  for (const [k, v] of Object.entries(w.headers)) res.setHeader(k, v);
  res.json(w.body);
};

const headerMap = (req: Request): Record<string, string | undefined> => {
  const h: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return h;
};

/**
 * The one request path every wire format shares: parse → engine → (stream | collect)
 * → encode, with errors in the endpoint's own format, client disconnects stopping
 * the turn, and one log line per request.
 */
export function turnRoute<X>(adapter: FormatAdapter<X>, deps: TurnRouteDeps): RequestHandler {
  const commitAfterMs = deps.commitAfterMs ?? 8_000;
  return async (req, res) => {
    const t0 = performance.now();
    const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    const log = deps.log.child({ requestId, route: adapter.route });
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const fail = (err: TurnError) => {
      if (res.headersSent) return;
      sendWireError(res, adapter.encodeError(err));
    };
    if (deps.isPaused()) {
      fail({ kind: 'unavailable', code: 'paused', message: 'maxproxy is paused; resume it from the tray menu', retryAfterSeconds: 30 });
      return;
    }
    const tooMany = tooManyMessages(req.body);
    if (tooMany) {
      log.info({ err: tooMany }, 'bad request');
      return fail(tooMany);
    }
    let parsed: ReturnType<FormatAdapter<X>['parse']>;
    try {
      parsed = adapter.parse(req.body, { headers: headerMap(req) });
    } catch (e) {
      if (e instanceof TurnFailure) {
        log.info({ err: e.error }, 'bad request');
        return fail(e.error);
      }
      throw e;
    }
    const { request, ignored, extra } = parsed;
    // What Claude Code cannot honour is reported, never silently dropped (docs/decisions/033).
    let reported = false;
    const reportIgnored = (list: readonly string[]) => {
      if (reported) return;
      reported = true;
      const h = ignoredHeader(list);
      if (h && !res.headersSent) res.setHeader('x-maxproxy-ignored', h);
      if (list.length) log.debug({ ignored: list }, 'accepted but not honoured by Claude Code');
    };
    const refusal = deps.admit?.(clientName(request.conversation.userAgent));
    if (refusal) {
      log.info({ code: refusal.code, retryAfterSeconds: refusal.retryAfterSeconds }, 'turn refused before it started');
      reportIgnored(ignored);
      return fail(refusal);
    }
    const meta: TurnMeta = { id: adapter.newId(), created: Math.floor(Date.now() / 1000), model: request.model };
    let sessionId: string | undefined;
    let pid: number | undefined;
    let ttftMs: number | undefined;
    let outcome: { ok: boolean; result?: TurnResult; error?: TurnError } = { ok: false };
    try {
      const run = await deps.engine.run(request, { requestId, signal: abort.signal, endpoint: adapter.endpoint });
      reportIgnored([...ignored, ...run.ignored]);
      sessionId = run.sessionId;
      pid = run.pid;
      const it = run.events[Symbol.asyncIterator]();
      // Non-streaming answers wait as long as the turn runs (the engine's watchdog bounds it).
      const peek = await peekFirst(it, request.stream ? commitAfterMs : 2 ** 31 - 1);
      if (peek.first?.type === 'error') {
        outcome = { ok: false, error: peek.first.error };
        await it.return?.();
        return fail(peek.first.error);
      }
      if (peek.ended) {
        outcome = { ok: false, error: { kind: 'upstream', message: 'Claude Code ended the turn without output' } };
        return fail(outcome.error!);
      }
      ttftMs = performance.now() - t0;
      const joined = untilShutdown(rejoin(peek.first ? [...peek.head, peek.first] : peek.head, peek.pending, it), deps.shutdown);
      if (request.stream) {
        const sink = new HttpSseSink(res);
        sink.start();
        // Comments keep proxies and clients from timing out while the CLI waits or retries.
        const heartbeat = setInterval(() => sink.comment('keep-alive'), 15_000);
        try {
          await adapter.stream(joined, sink, meta, extra);
        } finally {
          clearInterval(heartbeat);
          sink.end();
        }
      } else {
        // The engine folds the turn once; the events only need to be let through.
        for await (const _ of joined);
        const collected = await run.outcome;
        if (!collected.ok) {
          outcome = { ok: false, error: collected.error };
          return fail(collected.error);
        }
        outcome = { ok: true, result: collected.result };
        res.json(adapter.encodeResult(collected.result, meta, extra));
      }
      if (request.stream) {
        const collected = await run.outcome;
        outcome = collected.ok ? { ok: true, result: collected.result } : { ok: false, error: collected.error };
      }
      if (outcome.ok && outcome.result) adapter.finished?.(outcome.result, meta, extra);
    } catch (e) {
      const failure = e instanceof TurnFailure ? e : resourceFailure(e);
      if (failure) {
        reportIgnored(ignored);
        outcome = { ok: false, error: failure.error };
        return fail(failure.error);
      }
      log.error({ err: e }, 'request failed');
      outcome = { ok: false, error: { kind: 'internal', message: (e as Error).message } };
      if (!res.headersSent) fail({ kind: 'internal', message: 'internal error in maxproxy; see its log' });
      else res.end();
    } finally {
      const durationMs = performance.now() - t0;
      const u = outcome.result?.usage;
      const status = abort.signal.aborted && !res.writableFinished ? 499 : res.statusCode;
      // requests_total/duration are counted once for every route by metrics.track().
      if (ttftMs !== undefined) deps.metrics.observeTimeToFirstToken(adapter.route, ttftMs / 1000);
      if (u) deps.metrics.addUsage(u);
      if (outcome.error?.kind === 'timeout') {
        deps.metrics.watchdogStop();
        deps.status.notify({ kind: 'timeout', client: clientName(req.headers['user-agent']), sessionId, afterMs: durationMs });
      }
      log.info(
        {
          model: request.model,
          sessionId,
          pid,
          stream: request.stream,
          status,
          ttftMs: ttftMs === undefined ? undefined : Math.round(ttftMs),
          durationMs: Math.round(durationMs),
          inputTokens: u ? promptTokens(u) : undefined,
          outputTokens: u?.outputTokens,
          error: outcome.error?.message,
        },
        'request',
      );
    }
  };
}
