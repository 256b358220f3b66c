import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ignoredHeader } from '../api/shared/unhonoured.js';
import type { SseSink, WireContext, WireError } from '../api/wire.js';
import { resourceFailure } from '../engine/resource-errors.js';
import type { TurnEngine } from '../engine/turn-engine.js';
import type { Logger } from '../log/logger.js';
import type { StatusStore } from '../status/store.js';
import type { CollectOutcome, TurnResult } from '../turn/collect.js';
import { type PhaseMarks, writePhaseMarks } from '../turn/phase-marks.js';
import { rejoin } from '../turn/rejoin.js';
import type { Endpoint } from '../turn/turn-record.js';
import { promptTokens, type TurnError, type TurnEvent, TurnFailure, type TurnRequest } from '../turn/types.js';
import type { KeyBudgets } from '../usage/admission.js';
import { clientLabel, modelRefusal } from './client-identity.js';
import { untilShutdown } from './cut-on-shutdown.js';
import { peekFirst } from './first-event.js';
import { identityOf } from './guards/client-key-guard.js';
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
  /** `outcome` is the engine's one fold of the turn, for encoders whose last event needs the whole turn. */
  stream(events: AsyncIterable<TurnEvent>, sink: SseSink, meta: TurnMeta, extra: X, outcome: Promise<CollectOutcome>): Promise<unknown>;
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
  admit?: (client: string, key?: KeyBudgets) => TurnError | undefined;
  /** Whether a name is a client key's (unkeyed requests using it are labelled apart, client-identity.ts). */
  isKeyName?: (name: string) => boolean;
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

/** One request in flight: what every step needs. */
interface Scope {
  route: string;
  req: Request;
  res: Response;
  requestId: string;
  log: Logger;
  abort: AbortController;
  t0: number;
  /** Phase timestamps for the bench (set by the app's first middleware when MAXPROXY_PHASE_LOG is set). */
  phases?: PhaseMarks;
  /** Answers with an error in the endpoint's own format (a no-op once headers are out). */
  fail: (err: TurnError) => void;
  /**
   * What Claude Code cannot honour is reported, never silently dropped (docs/decisions/033):
   * the `x-maxproxy-ignored` header and one debug line, once per request.
   */
  reportIgnored: (list: readonly string[]) => void;
}

/** What the final log line and the metrics report about a turn, filled in as it runs. */
interface TurnState {
  sessionId?: string;
  pid?: number;
  ttftMs?: number;
  outcome: { ok: boolean; result?: TurnResult; error?: TurnError };
}

type Parsed<X> = ReturnType<FormatAdapter<X>['parse']>;

/**
 * The one request path every wire format shares: parse → start the turn and peek at its
 * first event → stream or collect → finish (store, metrics, one log line), with errors in
 * the endpoint's own format and client disconnects stopping the turn.
 */
export function turnRoute<X>(adapter: FormatAdapter<X>, deps: TurnRouteDeps): RequestHandler {
  const commitAfterMs = deps.commitAfterMs ?? 8_000;
  return async (req, res) => {
    const scope = openScope(adapter, deps, req, res);
    if (deps.isPaused()) {
      scope.fail({ kind: 'unavailable', code: 'paused', message: 'maxproxy is paused; resume it from the tray menu', retryAfterSeconds: 30 });
      return;
    }
    const parsed = parse(adapter, scope);
    scope.phases?.mark('parsed');
    if (!parsed || !admitted(deps, scope, parsed.request)) return;
    scope.phases?.mark('admitted');
    const turn: TurnState = { outcome: { ok: false } };
    try {
      await runTurn(adapter, deps, scope, parsed, turn, commitAfterMs);
    } catch (e) {
      scope.reportIgnored(parsed.ignored);
      failThrown(scope, turn, e);
    } finally {
      finish(deps, scope, parsed.request, turn);
      writePhaseMarks(scope.phases, scope.requestId);
    }
  };
}

function openScope<X>(adapter: FormatAdapter<X>, deps: TurnRouteDeps, req: Request, res: Response): Scope {
  const t0 = performance.now();
  const phases = res.locals.phases as PhaseMarks | undefined;
  phases?.mark('routed');
  const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
  res.setHeader('x-request-id', requestId);
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const fail = (err: TurnError) => {
    if (res.headersSent) return;
    sendWireError(res, adapter.encodeError(err));
  };
  const log = deps.log.child({ requestId, route: adapter.route });
  let reported = false;
  const reportIgnored = (list: readonly string[]) => {
    if (reported) return;
    reported = true;
    const h = ignoredHeader(list);
    if (h && !res.headersSent) res.setHeader('x-maxproxy-ignored', h);
    if (list.length) log.debug({ ignored: list }, 'accepted but not honoured by Claude Code');
  };
  return { route: adapter.route, req, res, requestId, log, abort, t0, phases, fail, reportIgnored };
}

/** Step 1: the body in the wire format → a canonical request (undefined once answered with a 4xx). */
function parse<X>(adapter: FormatAdapter<X>, scope: Scope): Parsed<X> | undefined {
  // Counted before any parsing: a huge message array is refused without walking it.
  const tooMany = tooManyMessages(scope.req.body);
  if (tooMany) {
    scope.log.info({ err: tooMany }, 'bad request');
    scope.fail(tooMany);
    return undefined;
  }
  let parsed: Parsed<X>;
  try {
    parsed = adapter.parse(scope.req.body, { headers: headerMap(scope.req) });
  } catch (e) {
    if (e instanceof TurnFailure) {
      scope.log.info({ err: e.error }, 'bad request');
      scope.fail(e.error);
      return undefined;
    }
    throw e;
  }
  return parsed;
}

/**
 * Step 1b: who the client is (its key's name, else its User-Agent's; carried by the
 * request to the engine, the ledger and the tray), then the key's models (403) and the
 * admission check (extra-usage policy, budgets: 429); false once refused in the format.
 */
function admitted(deps: TurnRouteDeps, scope: Scope, request: TurnRequest): boolean {
  const identity = identityOf(scope.res.locals);
  request.conversation.client = clientLabel(identity, request.conversation.userAgent, deps.isKeyName ?? (() => false));
  const refusal = modelRefusal(identity, request.model, (m) => deps.engine.resolveModel(m)) ?? deps.admit?.(request.conversation.client, identity.key);
  if (!refusal) return true;
  scope.log.info({ code: refusal.code, retryAfterSeconds: refusal.retryAfterSeconds }, 'turn refused before it started');
  scope.reportIgnored([]);
  scope.fail(refusal);
  return false;
}

/** Steps 2 and 3: start the turn and peek at it, then stream or collect it. */
async function runTurn<X>(adapter: FormatAdapter<X>, deps: TurnRouteDeps, scope: Scope, parsed: Parsed<X>, turn: TurnState, commitAfterMs: number) {
  const { request, extra } = parsed;
  const meta: TurnMeta = { id: adapter.newId(), created: Math.floor(Date.now() / 1000), model: request.model };
  const started = await startAndPeek(adapter, deps, scope, parsed, turn, commitAfterMs);
  if (!started) return;
  const { run, events } = started;
  if (request.stream) {
    await streamTurn(adapter, scope, events, meta, extra, run.outcome);
    const collected = await run.outcome;
    turn.outcome = collected.ok ? { ok: true, result: collected.result } : { ok: false, error: collected.error };
  } else {
    // The engine folds the turn once; the events only need to be let through.
    for await (const _ of events);
    const collected = await run.outcome;
    if (!collected.ok) {
      turn.outcome = { ok: false, error: collected.error };
      scope.fail(collected.error);
      return;
    }
    turn.outcome = { ok: true, result: collected.result };
    scope.res.json(adapter.encodeResult(collected.result, meta, extra));
  }
  if (turn.outcome.ok && turn.outcome.result) adapter.finished?.(turn.outcome.result, meta, extra);
}

/**
 * Starts the turn and waits for the event that decides the HTTP status: an error before any
 * output is answered here with a real status (undefined returned); otherwise the events,
 * the peeked ones put back in front.
 */
async function startAndPeek<X>(adapter: FormatAdapter<X>, deps: TurnRouteDeps, scope: Scope, parsed: Parsed<X>, turn: TurnState, commitAfterMs: number) {
  const { request, ignored } = parsed;
  const run = await deps.engine.run(request, { requestId: scope.requestId, signal: scope.abort.signal, endpoint: adapter.endpoint, phases: scope.phases });
  if (scope.phases) scope.phases.info = { continuity: run.continuity, sessionId: run.sessionId, model: request.model };
  scope.reportIgnored([...ignored, ...run.ignored]);
  turn.sessionId = run.sessionId;
  turn.pid = run.pid;
  const it = run.events[Symbol.asyncIterator]();
  // Non-streaming answers wait as long as the turn runs (the engine's watchdog bounds it).
  const peek = await peekFirst(it, request.stream ? commitAfterMs : 2 ** 31 - 1);
  scope.phases?.mark('firstEvent');
  if (peek.first?.type === 'error') {
    turn.outcome = { ok: false, error: peek.first.error };
    await it.return?.();
    scope.fail(peek.first.error);
    return undefined;
  }
  if (peek.ended) {
    const error: TurnError = { kind: 'upstream', message: 'Claude Code ended the turn without output' };
    turn.outcome = { ok: false, error };
    scope.fail(error);
    return undefined;
  }
  turn.ttftMs = performance.now() - scope.t0;
  return { run, events: untilShutdown(rejoin(peek.first ? [...peek.head, peek.first] : peek.head, peek.pending, it), deps.shutdown) };
}

async function streamTurn<X>(
  adapter: FormatAdapter<X>,
  scope: Scope,
  events: AsyncIterable<TurnEvent>,
  meta: TurnMeta,
  extra: X,
  outcome: Promise<CollectOutcome>,
): Promise<void> {
  const sink = new HttpSseSink(scope.res, scope.phases);
  sink.start();
  // Comments keep proxies and clients from timing out while the CLI waits or retries.
  const heartbeat = setInterval(() => sink.comment('keep-alive'), 15_000);
  try {
    await adapter.stream(events, sink, meta, extra, outcome);
  } finally {
    clearInterval(heartbeat);
    sink.end();
  }
}

/** A failure thrown by the engine or an encoder: the format's error, or a 500 / ended stream. */
function failThrown(scope: Scope, turn: TurnState, e: unknown): void {
  // Descriptor exhaustion and the like are retryable 503s, not our defect.
  const failure = e instanceof TurnFailure ? e : resourceFailure(e);
  if (failure) {
    turn.outcome = { ok: false, error: failure.error };
    scope.fail(failure.error);
    return;
  }
  scope.log.error({ err: e }, 'request failed');
  turn.outcome = { ok: false, error: { kind: 'internal', message: (e as Error).message } };
  if (!scope.res.headersSent) scope.fail({ kind: 'internal', message: 'internal error in maxproxy; see its log' });
  else scope.res.end();
}

/** Step 4: metrics, the timeout notice and the one log line per request. */
function finish(deps: TurnRouteDeps, scope: Scope, request: TurnRequest, turn: TurnState): void {
  const { res, log } = scope;
  const { outcome, ttftMs, sessionId, pid } = turn;
  const durationMs = performance.now() - scope.t0;
  const u = outcome.result?.usage;
  const status = scope.abort.signal.aborted && !res.writableFinished ? 499 : res.statusCode;
  // requests_total/duration are counted once for every route by metrics.track().
  if (ttftMs !== undefined) deps.metrics.observeTimeToFirstToken(scope.route, ttftMs / 1000);
  if (u) deps.metrics.addUsage(u);
  if (outcome.error?.kind === 'timeout') {
    deps.metrics.watchdogStop();
    deps.status.notify({ kind: 'timeout', client: request.conversation.client ?? 'unknown', sessionId, afterMs: durationMs });
  }
  log.info(
    {
      client: request.conversation.client,
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
