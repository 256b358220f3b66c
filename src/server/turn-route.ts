import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ignoredHeader } from '../api/unhonoured.js';
import type { SseSink, WireContext, WireError } from '../api/wire.js';
import type { Engine } from '../engine/engine.js';
import type { Logger } from '../log/logger.js';
import { clientName } from '../status/client-name.js';
import type { StatusStore } from '../status/store.js';
import { collectTurn, TurnCollector, type TurnResult } from '../turn/collect.js';
import { rejoin } from '../turn/rejoin.js';
import { promptTokens, type TurnError, type TurnEvent, TurnFailure, type TurnRequest } from '../turn/types.js';
import { peekFirst } from './first-event.js';
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
  newId(): string;
  parse(body: unknown, ctx: WireContext): { request: TurnRequest; ignored: string[]; extra: X };
  encodeError(err: TurnError): WireError;
  encodeResult(result: TurnResult, meta: TurnMeta, extra: X): unknown;
  stream(events: AsyncIterable<TurnEvent>, sink: SseSink, meta: TurnMeta, extra: X): Promise<unknown>;
  /** Called with the finished turn (streamed or not), e.g. to store it for previous_response_id. */
  finished?(result: TurnResult, meta: TurnMeta, extra: X): void;
}

export interface TurnRouteDeps {
  engine: Engine;
  status: StatusStore;
  metrics: Metrics;
  log: Logger;
  /** How long a stream may wait for its first event before committing to 200 with keep-alives. */
  commitAfterMs?: number;
  isPaused: () => boolean;
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
    const meta: TurnMeta = { id: adapter.newId(), created: Math.floor(Date.now() / 1000), model: request.model };
    let sessionId: string | undefined;
    let pid: number | undefined;
    let ttftMs: number | undefined;
    let outcome: { ok: boolean; result?: TurnResult; error?: TurnError } = { ok: false };
    try {
      const run = await deps.engine.run(request, { requestId, signal: abort.signal });
      reportIgnored([...ignored, ...(run.ignored ?? [])]);
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
      const joined = rejoin(peek.first ? [...peek.head, peek.first] : peek.head, peek.pending, it);
      if (request.stream) {
        const events = observe(joined, (r) => (outcome = r));
        const sink = new HttpSseSink(res);
        sink.start();
        // Comments keep proxies and clients from timing out while the CLI waits or retries.
        const heartbeat = setInterval(() => sink.comment('keep-alive'), 15_000);
        try {
          await adapter.stream(events, sink, meta, extra);
        } finally {
          clearInterval(heartbeat);
          sink.end();
        }
      } else {
        const collected = await collectTurn(joined);
        if (!collected.ok) {
          outcome = { ok: false, error: collected.error };
          return fail(collected.error);
        }
        outcome = { ok: true, result: collected.result };
        res.json(adapter.encodeResult(collected.result, meta, extra));
      }
      if (outcome.ok && outcome.result) adapter.finished?.(outcome.result, meta, extra);
    } catch (e) {
      if (e instanceof TurnFailure) {
        reportIgnored(ignored);
        outcome = { ok: false, error: e.error };
        return fail(e.error);
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
        deps.status.emit('notice', { kind: 'timeout', client: clientName(req.headers['user-agent']), sessionId, afterMs: durationMs });
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

/** Passes events through while folding them into a result for logging and `finished`. */
async function* observe(
  events: AsyncIterable<TurnEvent>,
  done: (o: { ok: boolean; result?: TurnResult; error?: TurnError }) => void,
): AsyncIterable<TurnEvent> {
  const c = new TurnCollector();
  for await (const e of events) {
    c.push(e);
    yield e;
  }
  const o = c.outcome();
  done(o.ok ? { ok: true, result: o.result } : { ok: false, error: o.error });
}
