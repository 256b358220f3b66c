import express, { type Request, type Response } from 'express';
import * as anthropic from '../api/anthropic/index.js';
import * as openai from '../api/openai/index.js';
import type { TurnEngine } from '../engine/turn-engine.js';
import type { KeyStore } from '../keys/key-store.js';
import type { Logger } from '../log/logger.js';
import type { StatusStore } from '../status/store.js';
import type { ResponseStore } from '../store/response-store.js';
import { phaseMarks } from '../turn/phase-marks.js';
import { type TurnError, TurnFailure } from '../turn/types.js';
import type { KeyBudgets } from '../usage/admission.js';
import { modelAllowed, modelRefusal } from './client-identity.js';
import { anthropicMessages, chatCompletions, responsesApi } from './formats.js';
import { guards, identityOf } from './guards/index.js';
import { tooManyMessages } from './guards/message-limit.js';
import type { Metrics } from './metrics.js';
import { sendWireError, turnRoute } from './turn-route.js';

export interface AppDeps {
  engine: TurnEngine;
  status: StatusStore;
  metrics: Metrics;
  log: Logger;
  responses: ResponseStore;
  port: () => number;
  allowedHosts: string[];
  allowedOrigins: string[];
  apiKey?: string;
  /** Named client keys (docs/decisions/090); absent = the single --api-key check only. */
  keys?: KeyStore;
  /** Refuse unkeyed model API requests (the `require keys` setting, read per request). */
  requireKeys?: () => boolean;
  maxBodyBytes: number;
  isPaused: () => boolean;
  /** Extra fields for /health (binary path, version...). */
  health: () => Record<string, unknown>;
  commitAfterMs?: number;
  /** The dashboard (`GET /`, `/dashboard/*`): mounted before the API guards, it brings its own. */
  dashboard?: express.Router;
  /** Admission before each turn (server/turn-route.ts). */
  admit?: (client: string, key?: KeyBudgets) => TurnError | undefined;
  /** Fires when the shutdown grace has run out. */
  shutdown?: AbortSignal;
}

/** Anthropic clients (SDKs, OpenClaw's anthropic-messages) identify themselves by these headers. */
const isAnthropicClient = (req: Request): boolean =>
  req.path.startsWith('/v1/messages') ||
  req.headers['anthropic-version'] !== undefined ||
  (req.headers['x-api-key'] !== undefined && req.headers.authorization === undefined);

/** Errors in the format of the endpoint that was called. */
export const respondError = (req: Request, res: Response, err: TurnError): void =>
  sendWireError(res, isAnthropicClient(req) ? anthropic.encodeMessagesError(err) : openai.encodeChatError(err));

export function createApp(d: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // The bench's phase timestamps start here, before the guards read the body.
  if (phaseMarks())
    app.use((_req, res, next) => {
      const p = phaseMarks();
      p?.mark('arrived');
      res.locals.phases = p;
      next();
    });
  app.use(d.metrics.track());
  if (d.dashboard) app.use(d.dashboard);
  app.use(
    guards({
      port: d.port,
      allowedHosts: d.allowedHosts,
      allowedOrigins: d.allowedOrigins,
      apiKey: d.apiKey,
      keys: d.keys,
      requireKeys: d.requireKeys,
      maxBodyBytes: d.maxBodyBytes,
      respond: respondError,
    }),
  );

  app.get('/health', (_req, res) => {
    const s = d.status.snapshot();
    // With a key, a caller without it learns only that the daemon is alive (no paths, no usage).
    if (d.apiKey !== undefined && res.locals.keyOk !== true) {
      res.json({ status: s.server.state === 'running' ? 'ok' : s.server.state });
      return;
    }
    res.json({
      status: s.server.state === 'running' ? 'ok' : s.server.state,
      version: s.version,
      uptimeSeconds: Math.round((Date.now() - s.startedAt) / 1000),
      claude: s.claude,
      requests: s.requests,
      liveSessions: d.engine.stats().liveSessions,
      warmSpares: d.engine.stats().warmSpares,
      usage: s.usage,
      warnings: s.warnings,
      ...d.health(),
    });
  });
  app.get('/status', (_req, res) => res.json(d.status.snapshot()));
  app.get('/metrics', d.metrics.handler());

  const resolve = (m: string) => d.engine.resolveModel(m);
  // A client key limited to some models sees only those.
  const models = (res: Response) => {
    const allowed = identityOf(res.locals).key?.models;
    return d.engine.listModels().filter((m) => modelAllowed(allowed, m.id, resolve));
  };
  app.get('/v1/models', async (req, res) => {
    // The list is what the pinned Claude Code reports, read once on first need; a slow CLI
    // start does not hold the answer (the aliases are served until the list is in).
    await d.engine.ensureModels(5_000);
    if (isAnthropicClient(req)) res.json(anthropic.encodeModelsList(models(res).map((m) => ({ id: m.id, displayName: m.displayName }))));
    else
      res.json(
        openai.encodeModelsList(
          models(res).map((m) => ({ id: m.id, displayName: m.displayName })),
          Math.floor(d.status.snapshot().startedAt / 1000),
        ),
      );
  });
  app.get('/v1/models/:id', (req, res) => {
    try {
      const m = d.engine.resolveModel(req.params.id);
      const refused = modelRefusal(identityOf(res.locals), req.params.id, resolve);
      if (refused) return respondError(req, res, refused);
      if (isAnthropicClient(req)) res.json({ type: 'model', id: m.id, display_name: m.displayName, created_at: '1970-01-01T00:00:00Z' });
      else res.json({ id: m.id, object: 'model', created: Math.floor(d.status.snapshot().startedAt / 1000), owned_by: 'anthropic' });
    } catch (e) {
      respondError(req, res, (e as { error: TurnError }).error ?? { kind: 'not_found', message: 'model not found' });
    }
  });

  const deps = {
    engine: d.engine,
    status: d.status,
    metrics: d.metrics,
    log: d.log,
    isPaused: d.isPaused,
    commitAfterMs: d.commitAfterMs,
    admit: d.admit,
    isKeyName: d.keys ? (name: string) => d.keys?.get(name) !== undefined : undefined,
    shutdown: d.shutdown,
  };
  app.post('/v1/chat/completions', turnRoute(chatCompletions, deps));
  app.post('/v1/messages', turnRoute(anthropicMessages, deps));
  app.post('/v1/responses', turnRoute(responsesApi(d.responses), deps));

  // Codex compacts locally for a custom provider and only calls this for OpenAI's own or an
  // Azure provider (docs/decisions/093-responses-compact.md): a clear 404, never a summary
  // that is not what the client asked for.
  app.post('/v1/responses/compact', (req, res) => {
    respondError(req, res, {
      kind: 'not_found',
      code: 'compaction_not_supported',
      message:
        'maxproxy does not serve /v1/responses/compact; Codex compacts locally through /v1/responses for a custom provider (give the provider a name other than "OpenAI")',
    });
  });

  app.post('/v1/messages/count_tokens', async (req, res) => {
    try {
      const tooMany = tooManyMessages(req.body);
      if (tooMany) throw new TurnFailure(tooMany);
      const request = anthropic.parseCountTokensRequest(req.body, { headers: req.headers as Record<string, string | undefined> });
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      const n = await d.engine.countTokens(request, { requestId: String(req.headers['x-request-id'] ?? ''), signal: abort.signal });
      res.json({ input_tokens: n });
    } catch (e) {
      const err = (e as { error?: TurnError }).error;
      if (!err) throw e;
      respondError(req, res, err);
    }
  });

  app.use((req, res) => {
    respondError(req, res, { kind: 'not_found', code: 'unknown_route', message: `no route for ${req.method} ${req.path}` });
  });
  // Express 5 forwards async errors here: a defect of ours, answered as 500 in the endpoint's format.
  app.use((err: unknown, req: Request, res: Response, _next: express.NextFunction) => {
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // A request express itself could not read (a malformed %-escape in the path...): the client's error.
      d.log.info({ err: (err as Error).message, status }, 'malformed request');
      respondError(req, res, { kind: 'invalid_request', code: 'malformed_request', message: `malformed request: ${(err as Error).message}` });
      return;
    }
    d.log.error({ err }, 'unhandled error');
    respondError(req, res, { kind: 'internal', message: 'internal error in maxproxy; see its log' });
  });
  return app;
}
