/**
 * Prometheus metrics for the daemon, on a private prom-client Registry (never the
 * global one, so tests and embedders can make several). Every series is prefixed
 * `maxproxy_`, the default process/Node metrics included:
 *
 *   maxproxy_requests_total{route,status}            counter
 *   maxproxy_request_duration_seconds{route}         histogram
 *   maxproxy_time_to_first_token_seconds{route}      histogram
 *   maxproxy_active_sessions                         gauge
 *   maxproxy_queue_depth                             gauge
 *   maxproxy_live_processes                          gauge
 *   maxproxy_tokens_total{type=input|output|cache_read|cache_creation}  counter
 *   maxproxy_cli_crashes_total                       counter
 *   maxproxy_watchdog_stops_total                    counter
 *   maxproxy_turns_total{client,model,billing,status}            counter (one per ended turn)
 *   maxproxy_turn_tokens_total{client,model,billing,type}        counter
 *   maxproxy_process_* / maxproxy_nodejs_*           collectDefaultMetrics
 *
 * `route` must be a bounded set (the route pattern such as `/v1/chat/completions`,
 * never a raw URL): `track()` uses the matched express route or `unmatched`.
 * Invalid observations (negative, NaN) are dropped instead of throwing: metrics must
 * never fail a request.
 */
import type { Request, RequestHandler, Response } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { TurnRecord } from '../turn/turn-record.js';
import type { Usage } from '../turn/types.js';

export type TokenType = 'input' | 'output' | 'cache_read' | 'cache_creation';

/** Gauge values read at scrape time (e.g. from the status store); a missing field keeps the last set value. */
export interface GaugeSample {
  activeSessions?: number;
  queueDepth?: number;
  liveProcesses?: number;
}

export interface MetricsOptions {
  /** Collect prom-client's default process/Node metrics; default true. */
  defaultMetrics?: boolean;
  /** Called on every scrape to refresh the gauges. */
  sample?: () => GaugeSample;
}

export const METRICS_PREFIX = 'maxproxy_';

/** Label used when a request matched no route (guard refusals, 404s). */
export const UNMATCHED_ROUTE = 'unmatched';
/** Status label for a request whose client went away before the response finished (nginx's convention). */
export const CLIENT_CLOSED_STATUS = '499';

const TTFT_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60];
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** Distinct clients (and models) labelled before the rest are counted as `other`. */
const MAX_LABEL_VALUES = 32;

const valid = (n: number): boolean => Number.isFinite(n) && n >= 0;

/** The route label for a finished request: an explicit `res.locals.metricsRoute`, else the matched pattern. */
export const routeLabel = (req: Request, res: Response): string => {
  const explicit: unknown = res.locals.metricsRoute;
  if (typeof explicit === 'string' && explicit !== '') return explicit;
  const path: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return `${req.baseUrl}${path}`;
  return UNMATCHED_ROUTE;
};

export class Metrics {
  private readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'status'>;
  private readonly duration: Histogram<'route'>;
  private readonly ttft: Histogram<'route'>;
  private readonly activeSessions: Gauge;
  private readonly queueDepth: Gauge;
  private readonly liveProcesses: Gauge;
  private readonly tokens: Counter<'type'>;
  private readonly cliCrashes: Counter;
  private readonly watchdogStops: Counter;
  private readonly turns: Counter<'client' | 'model' | 'billing' | 'status'>;
  private readonly turnTokens: Counter<'client' | 'model' | 'billing' | 'type'>;
  /** Client and model labels seen so far: bounded so an odd user-agent per request cannot grow the series forever. */
  private readonly seen = { client: new Set<string>(), model: new Set<string>() };

  constructor(opts: MetricsOptions = {}) {
    const registers = [this.registry];
    const p = METRICS_PREFIX;
    this.requests = new Counter({
      name: `${p}requests_total`,
      help: 'HTTP requests answered, by route pattern and status code',
      labelNames: ['route', 'status'] as const,
      registers,
    });
    this.duration = new Histogram({
      name: `${p}request_duration_seconds`,
      help: 'Time from request arrival to the end of the response',
      labelNames: ['route'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.ttft = new Histogram({
      name: `${p}time_to_first_token_seconds`,
      help: 'Time from request arrival to the first generated token sent to the client',
      labelNames: ['route'] as const,
      buckets: TTFT_BUCKETS,
      registers,
    });
    const sample = opts.sample;
    const sampled = (key: keyof GaugeSample) =>
      function (this: Gauge) {
        if (!sample) return;
        let v: number | undefined;
        try {
          v = sample()[key];
        } catch {
          return; // a failing status source must not break the scrape
        }
        if (v !== undefined && valid(v)) this.set(v);
      };
    this.activeSessions = new Gauge({
      name: `${p}active_sessions`,
      help: 'Conversations with a live Claude Code session',
      registers,
      collect: sampled('activeSessions'),
    });
    this.queueDepth = new Gauge({
      name: `${p}queue_depth`,
      help: 'Requests waiting for a Claude Code process',
      registers,
      collect: sampled('queueDepth'),
    });
    this.liveProcesses = new Gauge({
      name: `${p}live_processes`,
      help: 'Claude Code processes currently running (busy, idle and warm spares)',
      registers,
      collect: sampled('liveProcesses'),
    });
    this.tokens = new Counter({
      name: `${p}tokens_total`,
      help: 'Tokens reported by Claude Code, by type (input excludes cache reads/writes)',
      labelNames: ['type'] as const,
      registers,
    });
    this.cliCrashes = new Counter({
      name: `${p}cli_crashes_total`,
      help: 'Claude Code processes that exited while serving without maxproxy stopping them (nothing restarts them: the next request starts a new process)',
      registers,
    });
    this.watchdogStops = new Counter({
      name: `${p}watchdog_stops_total`,
      help: 'Turns stopped by the inactivity watchdog (their Claude Code process is ended)',
      registers,
    });
    this.turns = new Counter({
      name: `${p}turns_total`,
      help: 'Turns that reached Claude Code, by client, model served, billing path (plan, extra_usage, unknown) and outcome',
      labelNames: ['client', 'model', 'billing', 'status'] as const,
      registers,
    });
    this.turnTokens = new Counter({
      name: `${p}turn_tokens_total`,
      help: 'Tokens of ended turns by client, model served, billing path and type',
      labelNames: ['client', 'model', 'billing', 'type'] as const,
      registers,
    });
    // Start every token type at 0 so the series exist before the first turn.
    for (const t of ['input', 'output', 'cache_read', 'cache_creation'] as const) this.tokens.inc({ type: t }, 0);
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  /** Count one answered request and its duration. */
  observeRequest(route: string, status: number | string, durationSeconds: number): void {
    this.requests.inc({ route, status: String(status) });
    if (valid(durationSeconds)) this.duration.observe({ route }, durationSeconds);
  }

  observeTimeToFirstToken(route: string, seconds: number): void {
    if (valid(seconds)) this.ttft.observe({ route }, seconds);
  }

  setActiveSessions(n: number): void {
    if (valid(n)) this.activeSessions.set(n);
  }

  setQueueDepth(n: number): void {
    if (valid(n)) this.queueDepth.set(n);
  }

  setLiveProcesses(n: number): void {
    if (valid(n)) this.liveProcesses.set(n);
  }

  addTokens(type: TokenType, n: number): void {
    if (valid(n) && n > 0) this.tokens.inc({ type }, n);
  }

  /** Add a turn's canonical usage (from the CLI's result, not the placeholder). */
  addUsage(u: Usage): void {
    this.addTokens('input', u.inputTokens);
    this.addTokens('output', u.outputTokens);
    this.addTokens('cache_read', u.cacheReadInputTokens);
    this.addTokens('cache_creation', u.cacheCreationInputTokens);
  }

  /** Counts one ended turn (the engine's TurnRecord). */
  recordTurn(r: TurnRecord): void {
    const client = this.bounded('client', r.client);
    const model = this.bounded('model', r.modelServed);
    this.turns.inc({ client, model, billing: r.billing, status: r.status });
    const add = (type: TokenType, n: number) => {
      if (valid(n) && n > 0) this.turnTokens.inc({ client, model, billing: r.billing, type }, n);
    };
    add('input', r.usage.inputTokens);
    add('output', r.usage.outputTokens);
    add('cache_read', r.usage.cacheReadInputTokens);
    add('cache_creation', r.usage.cacheCreationInputTokens);
  }

  private bounded(kind: 'client' | 'model', v: string): string {
    const set = this.seen[kind];
    if (set.has(v)) return v;
    if (set.size >= MAX_LABEL_VALUES) return 'other';
    set.add(v);
    return v;
  }

  /** A Claude Code process exited while serving, without maxproxy stopping it. */
  cliCrash(): void {
    this.cliCrashes.inc();
  }

  /** The inactivity watchdog stopped a turn. */
  watchdogStop(): void {
    this.watchdogStops.inc();
  }

  /**
   * Middleware that times every request and counts it when the response finishes
   * (or, as status 499, when the client goes away first). Mount it before the guards
   * so refusals are counted too; the route label comes from `routeLabel`.
   */
  track(): RequestHandler {
    return (req, res, next) => {
      const t0 = process.hrtime.bigint();
      let done = false;
      const record = (): void => {
        if (done) return;
        done = true;
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const status = res.writableFinished ? String(res.statusCode) : CLIENT_CLOSED_STATUS;
        this.observeRequest(routeLabel(req, res), status, seconds);
      };
      res.once('finish', record);
      res.once('close', record);
      next();
    };
  }

  /** The Prometheus text exposition (content type `contentType`). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Serves the Prometheus text format; mount at GET /metrics. */
  handler(): RequestHandler {
    return async (_req, res) => {
      try {
        const body = await this.registry.metrics();
        res.setHeader('Content-Type', this.registry.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.send(body);
      } catch {
        res.status(500).type('text/plain').send('metrics collection failed\n');
      }
    };
  }
}
