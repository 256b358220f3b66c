/**
 * The dashboard: `GET /` serves the page, `/dashboard/assets/*` its files (the chart
 * library vendored at build time), `/dashboard/api/*` its data and changes. Mounted
 * before the API's guards (the page has its own session instead of the API key) but
 * behind the same Host guard; see guard.ts for who may read and change what.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response, type Router } from 'express';
import type { TurnEngine } from '../engine/turn-engine.js';
import { KeyError, type KeyStore, parseExpiry } from '../keys/key-store.js';
import type { Logger } from '../log/logger.js';
import { hostGuard } from '../server/guards/host-guard.js';
import type { StatusStore } from '../status/store.js';
import type { TurnOutcomeStatus } from '../turn/turn-record.js';
import type { UsageReader } from '../usage/reader.js';
import { hardening, requireSession, sameOriginOnly, sendError } from './guard.js';
import { DashboardSessions } from './session.js';
import { SettingError, type SettingsControl, type TrayControl } from './settings-control.js';
import { stackSeries, windowSeries } from './usage-view.js';

export interface DashboardDeps {
  status: StatusStore;
  engine: Pick<TurnEngine, 'endSession' | 'stats'>;
  settings: SettingsControl;
  /** The usage ledger; absent → the usage panels say there is no usage data. */
  usage?: () => UsageReader | undefined;
  apiKey?: string;
  /** Named client keys (docs/decisions/090): listed with usage, created (shown once), revoked. */
  keys?: KeyStore;
  port: () => number;
  allowedHosts: readonly string[];
  /** Fractions 0..1, as in the settings. */
  thresholds: () => { warn: number; critical: number };
  log: Logger;
  /** Where the page's files are (default: web/ next to this module, filled by `npm run build`). */
  webDir?: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const STATUSES: TurnOutcomeStatus[] = ['ok', 'error', 'cancelled'];

export const defaultWebDir = (): string => path.join(path.dirname(fileURLToPath(import.meta.url)), 'web');

export class Dashboard {
  readonly sessions?: DashboardSessions;

  constructor(private readonly d: DashboardDeps) {
    if (d.apiKey !== undefined) this.sessions = new DashboardSessions(d.apiKey);
  }

  /** The desktop side hands over the tray's actions, so settings changed here have the tray's effect. */
  attachTray(tray: TrayControl | undefined): void {
    this.d.settings.attach(tray);
  }

  /** Everything the live panel shows; also what the event stream sends. */
  live(): Record<string, unknown> {
    const t = this.d.thresholds();
    const stats = this.d.engine.stats();
    return {
      ...this.d.status.snapshot(),
      warmSpares: stats.warmSpares,
      liveProcesses: stats.liveSessions,
      thresholds: { warn: t.warn, critical: t.critical },
      usageLedger: this.d.usage?.() !== undefined,
      now: Date.now(),
    };
  }

  router(): Router {
    const r = express.Router();
    const webDir = this.d.webDir ?? defaultWebDir();
    const respond = (_req: Request, res: Response, err: { kind: string; code?: string; message: string }) =>
      sendError(res, { status: err.kind === 'invalid_request' ? 400 : 403, code: err.code ?? err.kind, message: err.message });
    const hosts = hostGuard({ port: this.d.port, allowedHosts: this.d.allowedHosts, respond });

    r.get('/', hosts, hardening, sameOriginOnly({ navigation: true }), (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(path.join(webDir, 'index.html'), (e) => {
        if (e && !res.headersSent)
          sendError(res, { status: 500, code: 'missing_asset', message: `dashboard files are missing (${webDir}); run npm run build` });
      });
    });
    r.use(
      '/dashboard/assets',
      hosts,
      hardening,
      sameOriginOnly({ navigation: false }),
      express.static(webDir, { index: false, dotfiles: 'ignore', fallthrough: false, maxAge: '1h' }),
      // A missing file is a 404 of the page's own kind, not a server error.
      (err: { status?: number }, _req: Request, res: Response, next: express.NextFunction) =>
        err.status === 404 ? sendError(res, { status: 404, code: 'not_found', message: 'no such dashboard file' }) : next(err),
    );

    const api = express.Router();
    r.use('/dashboard/api', hosts, hardening, sameOriginOnly({ navigation: false }), express.json({ limit: '64kb' }), (_req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      next();
    });
    r.use('/dashboard/api', api);
    this.publicRoutes(api);
    api.use(requireSession(this.sessions));
    this.liveRoutes(api);
    this.usageRoutes(api);
    this.settingsRoutes(api);
    this.keysRoutes(api);
    api.use((req, res) => sendError(res, { status: 404, code: 'unknown_route', message: `no dashboard route for ${req.method} ${req.path}` }));
    api.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
      const e = err as { type?: string; status?: number; message?: string };
      if (e.type === 'entity.parse.failed') return sendError(res, { status: 400, code: 'invalid_json', message: 'the body is not valid JSON' });
      if (e.type === 'entity.too.large') return sendError(res, { status: 413, code: 'too_large', message: 'the body is too large' });
      this.d.log.error({ err }, 'dashboard error');
      sendError(res, { status: 500, code: 'internal', message: 'internal error in maxproxy; see its log' });
    });
    return r;
  }

  private publicRoutes(api: Router): void {
    api.get('/session', (req, res) => {
      res.json({ keyRequired: this.sessions !== undefined, loggedIn: this.sessions ? this.sessions.valid(req) : true });
    });
    api.post('/login', (req, res) => {
      if (!this.sessions) return res.json({ loggedIn: true });
      if (this.sessions.throttled()) {
        res.setHeader('retry-after', '60');
        return sendError(res, { status: 429, code: 'too_many_attempts', message: 'too many wrong keys; try again in a minute' });
      }
      const key = (req.body as { key?: unknown } | undefined)?.key;
      if (typeof key !== 'string' || key === '' || !this.sessions.login(key, res)) {
        this.d.log.warn({ ip: req.socket.remoteAddress }, 'dashboard: wrong API key');
        return sendError(res, { status: 401, code: 'invalid_api_key', message: 'that is not the API key this daemon was started with' });
      }
      res.json({ loggedIn: true });
    });
    api.post('/logout', (req, res) => {
      this.sessions?.logout(req, res);
      res.json({ loggedIn: false });
    });
  }

  private liveRoutes(api: Router): void {
    api.get('/live', (_req, res) => res.json(this.live()));
    api.get('/events', (req, res) => this.events(req, res));
    api.post('/sessions/:id/end', (req, res) => {
      const id = String(req.params.id);
      if (!this.d.engine.endSession(id)) return sendError(res, { status: 404, code: 'session_not_found', message: `no live session ${id}` });
      this.d.log.info({ sessionId: id }, 'session ended from the dashboard');
      res.json({ ended: id });
    });
  }

  /** Server-sent events: the live state at once, on every change, and when anything else in it (spares) moved. */
  private events(req: Request, res: Response): void {
    const startPort = this.d.port();
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-store, no-transform');
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    let last = '';
    const send = () => {
      if (res.destroyed || res.writableEnded) return;
      const live = this.live() as { server: { state: string; port: number }; now: number };
      // An open stream would hold a moved or stopping listener open: end it, the page reconnects.
      if (live.server.state === 'stopping' || this.d.port() !== startPort) {
        res.write(`event: bye\ndata: ${JSON.stringify({ port: this.d.port(), state: live.server.state })}\n\n`);
        stop();
        res.end();
        return;
      }
      const { now: _now, ...rest } = live;
      const key = JSON.stringify(rest);
      if (key === last) return;
      last = key;
      res.write(`event: live\ndata: ${JSON.stringify(live)}\n\n`);
    };
    const onChange = () => send();
    this.d.status.on('change', onChange);
    const poll = setInterval(send, 1_000);
    const ping = setInterval(() => !res.writableEnded && res.write(': ping\n\n'), 20_000);
    const stop = () => {
      this.d.status.off('change', onChange);
      clearInterval(poll);
      clearInterval(ping);
    };
    req.on('close', stop);
    send();
  }

  private usageRoutes(api: Router): void {
    api.get('/usage', async (req, res) => {
      const reader = this.d.usage?.();
      const t = this.d.thresholds();
      if (!reader) return res.json({ available: false, thresholds: t });
      const now = Date.now();
      const days = Math.min(90, Math.max(1, Number(req.query.days) || 7));
      const since = now - days * DAY;
      const hourlySince = now - 48 * HOUR;
      const [windows, hourly, daily, shares, paths] = await Promise.all([
        reader.windows({ sinceMs: since }),
        reader.series({ sinceMs: hourlySince, bucket: 'hour' }),
        reader.series({ sinceMs: since, bucket: 'day' }),
        reader.shares(),
        reader.groups({ sinceMs: since, by: 'path' }),
      ]);
      res.json({
        available: true,
        now,
        days,
        thresholds: t,
        windows: windowSeries(windows, since, now),
        hourly: stackSeries(hourly, hourlySince, now, 'hour'),
        daily: stackSeries(daily, since, now, 'day'),
        shares,
        paths,
      });
    });
    api.get('/turns', async (req, res) => {
      const reader = this.d.usage?.();
      if (!reader) return res.json({ available: false, turns: [], clients: [] });
      const limit = Math.min(500, Math.max(1, Number(req.query.limit) || 100));
      const client = typeof req.query.client === 'string' && req.query.client !== '' ? req.query.client : undefined;
      const status = STATUSES.find((s) => s === req.query.status);
      if (typeof req.query.status === 'string' && req.query.status !== '' && !status) {
        return sendError(res, { status: 400, code: 'invalid_status', message: `status must be one of ${STATUSES.join(', ')}` });
      }
      const since = Date.now() - 90 * DAY;
      const [turns, groups] = await Promise.all([reader.recentTurns({ limit, client, status }), reader.groups({ sinceMs: since, by: 'client' })]);
      res.json({ available: true, turns, clients: groups.map((g) => g.key).sort((a, b) => a.localeCompare(b)) });
    });
  }

  /** Client keys: never the key or its hash, except the new key in the answer that creates it. */
  private keysRoutes(api: Router): void {
    const store = this.d.keys;
    if (!store) return;
    api.get('/keys', async (_req, res) => {
      const shares = await this.d.usage?.()?.shares();
      const now = Date.now();
      const keys = store.list().map((k) => {
        const u = shares?.clients.find((c) => c.client.toLowerCase() === k.name.toLowerCase());
        const state = k.revokedAt !== undefined ? 'revoked' : k.expiresAt !== undefined && k.expiresAt <= now ? 'expired' : 'active';
        return { ...k, state, usage: { turns: u?.turns ?? 0, fiveHour: u?.fiveHour ?? 0, weekly: u?.weekly ?? 0 } };
      });
      res.json({ keys, error: store.error });
    });
    api.post('/keys', (req, res) => {
      const b = (req.body ?? {}) as { name?: unknown; budgetPercent?: unknown; weeklyBudgetPercent?: unknown; models?: unknown; expires?: unknown };
      const num = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : Number(v));
      try {
        if (typeof b.name !== 'string') throw new KeyError('give the key a name');
        const models = Array.isArray(b.models)
          ? b.models.map(String).filter(Boolean)
          : typeof b.models === 'string'
            ? b.models
                .split(',')
                .map((m) => m.trim())
                .filter(Boolean)
            : undefined;
        const created = store.add(b.name.trim(), {
          budgetPercent: num(b.budgetPercent),
          weeklyBudgetPercent: num(b.weeklyBudgetPercent),
          models,
          expiresAt: typeof b.expires === 'string' && b.expires !== '' ? parseExpiry(b.expires) : undefined,
        });
        this.d.log.info({ name: created.info.name }, 'client key created from the dashboard');
        res.json({ key: created.key, info: created.info });
      } catch (e) {
        if (!(e instanceof KeyError)) throw e;
        sendError(res, { status: 400, code: 'invalid_key', message: e.message });
      }
    });
    api.post('/keys/:name/revoke', (req, res) => {
      try {
        const k = store.revoke(String(req.params.name));
        this.d.log.info({ name: k.name }, 'client key revoked from the dashboard');
        res.json({ revoked: k.name });
      } catch (e) {
        if (!(e instanceof KeyError)) throw e;
        sendError(res, { status: 404, code: 'key_not_found', message: e.message });
      }
    });
  }

  private settingsRoutes(api: Router): void {
    api.get('/settings', (_req, res) => res.json({ fields: this.d.settings.list() }));
    api.post('/settings', async (req, res) => {
      const body = req.body as unknown;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return sendError(res, { status: 400, code: 'invalid_request', message: 'send an object of setting → value' });
      }
      try {
        const changed = await this.d.settings.apply(body as Record<string, unknown>);
        this.d.log.info({ changed }, 'settings changed from the dashboard');
        res.json({ changed, fields: this.d.settings.list(), port: this.d.port() });
      } catch (e) {
        if (!(e instanceof SettingError)) throw e;
        sendError(res, { status: e.status, code: 'invalid_setting', message: e.message });
      }
    });
  }
}
