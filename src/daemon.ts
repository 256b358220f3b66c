import path from 'node:path';
import type { Config } from './config/defaults.js';
import type { SettingsStore } from './config/settings.js';
import { Dashboard } from './dashboard/dashboard.js';
import { SettingsControl } from './dashboard/settings-control.js';
import { claudeVersion, findClaude } from './engine/claude-binary.js';
import { Engine } from './engine/engine.js';
import { watchModelFloors } from './engine/model-floors.js';
import type { TurnEngine } from './engine/turn-engine.js';
import { KeyStore } from './keys/key-store.js';
import type { Logger } from './log/logger.js';
import { createApp } from './server/app.js';
import { Listener } from './server/listener.js';
import { Metrics } from './server/metrics.js';
import { StatusStore } from './status/store.js';
import { writeFileAtomicSync } from './store/atomic-write.js';
import { ResponseStore } from './store/response-store.js';
import { Admission, activeExtraUsage, type ExtraUsagePolicy, watchExtraUsage } from './usage/admission.js';
import { Ledger } from './usage/ledger.js';

export interface Daemon {
  url: string;
  port: number;
  status: StatusStore;
  engine: TurnEngine;
  listener: Listener;
  paused: boolean;
  /** The page at `GET /`; the desktop side attaches the tray's actions to its settings. */
  dashboard: Dashboard;
  ledger: Ledger;
  /** Changes the extra-usage policy for this run (the tray's "Allow extra usage"). */
  setExtraUsage(policy: ExtraUsagePolicy): void;
  /** Moves the listener; a port in use is refused and the old one kept. */
  movePort(port: number): Promise<void>;
  shutdown(reason: string): Promise<void>;
}

/** Starts the proxy (no tray): engine, HTTP server, status. */
export async function startDaemon(config: Config, settings: SettingsStore, log: Logger, version: string): Promise<Daemon> {
  const status = new StatusStore(version);
  const bin = findClaude(config.claudePath || undefined);
  // `--version` needs no credentials; the transcripts we write carry it like the CLI's own.
  const cliVersion = await claudeVersion(bin.path, { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' });
  // Sampled at scrape time, after the engine below exists.
  const metrics: Metrics = new Metrics({
    sample: () => {
      const s = engine.stats();
      return { activeSessions: s.liveSessions, queueDepth: s.queued, liveProcesses: s.liveProcesses };
    },
  });
  // Named client keys (docs/decisions/090): re-read from disk when `maxproxy keys` changes them.
  const keys = new KeyStore(config.dataDir);
  if (keys.error) log.warn(keys.error);
  // The usage ledger: every ended turn, stored in <data-dir>/usage (survives restarts).
  const ledger = new Ledger({
    dataDir: config.dataDir,
    retentionDays: config.usageRetentionDays,
    log,
    // Budgets the tray and dashboard show next to each share: a key's own, else --client-budget's.
    budgets: () => ({
      ...config.clientBudgets,
      ...Object.fromEntries(keys.list().flatMap((k) => (k.budgetPercent !== undefined && k.revokedAt === undefined ? [[k.name, k.budgetPercent]] : []))),
    }),
    latest: () => {
      const u = status.usageStatus();
      const extra = activeExtraUsage(u.extraUsage, Date.now());
      return {
        fiveHour: u.fiveHour,
        weekly: u.weekly,
        billing: u.isUsingOverage === undefined ? undefined : u.isUsingOverage ? (extra ? 'extra_usage' : undefined) : 'plan',
      };
    },
  });
  const publishLedger = () => status.setLedger({ ...ledger.summary(), extraUsagePolicy: config.extraUsage });
  // The summary walks today's turns: at most a few times a second, off the per-turn path.
  let publishTimer: NodeJS.Timeout | undefined;
  const schedulePublish = () => {
    publishTimer ??= setTimeout(() => {
      publishTimer = undefined;
      publishLedger();
    }, 100);
  };
  // "Tokens today" counts what the ledger already holds for today, so it survives a restart.
  const today = ledger.today();
  status.addTokens(today.inputTokens + today.outputTokens + today.cacheReadInputTokens + today.cacheCreationInputTokens);
  publishLedger();
  const admission = new Admission({ status, shares: () => ledger.sharesSync(), policy: () => config.extraUsage, budgets: () => config.clientBudgets });
  const stopWatching = watchExtraUsage(status, () => config.extraUsage);
  const engine: Engine = new Engine({
    dataDir: config.dataDir,
    claudePath: bin.path,
    claudeVersion: cliVersion,
    claudeEnv: config.claudeEnv,
    cliMaxRetries: config.cliMaxRetries,
    maxRetryWaitMs: config.maxRetryWaitMs,
    idleTimeoutMs: config.idleTimeoutMs,
    maxConcurrent: config.maxConcurrent,
    maxQueue: config.maxQueue,
    maxLiveSessions: config.maxLiveSessions,
    sessionIdleMs: config.sessionIdleMs,
    warmSpares: config.warmSpares,
    models: config.models,
    status,
    log,
    onTurnRecord: (r) => {
      ledger.record(r);
      metrics.recordTurn(r);
      schedulePublish();
    },
    transcriptRetentionDays: config.transcriptRetentionDays,
    allowWebFetch: config.allowWebFetch,
    onCliCrash: (info) => {
      metrics.cliCrash();
      status.notify({ kind: 'cli-crash', ...info, stderr: info.stderr.join('\n') });
    },
  });
  status.setClaude({ path: bin.path, version: cliVersion });
  log.info({ claude: bin.path, source: bin.source, version: cliVersion }, 'using Claude Code');
  // Models the upstream said need a newer Claude Code: warned about until the CLI is upgraded.
  watchModelFloors(status, config.dataDir, cliVersion, log);

  const responses = new ResponseStore({ filePath: path.join(config.dataDir, 'responses.json'), onError: (e) => log.warn({ err: e }, 'response store') });
  let listener!: Listener;
  const settingsControl = new SettingsControl(config, settings, (port) => daemon.movePort(port), {
    extraUsage: (policy) => daemon.setExtraUsage(policy as ExtraUsagePolicy),
  });
  // A budget changed on the page: the tray's usage lines show it at once.
  settingsControl.changed = () => publishLedger();
  const dashboard = new Dashboard({
    status,
    engine,
    settings: settingsControl,
    usage: () => daemon.ledger,
    apiKey: config.apiKey,
    keys,
    port: () => listener.port,
    allowedHosts: config.allowedHosts,
    thresholds: () => config.thresholds,
    log,
  });
  const graceOut = new AbortController();
  const daemon: Daemon = {
    dashboard,
    url: '',
    port: 0,
    status,
    engine,
    get listener() {
      return listener;
    },
    paused: false,
    ledger,
    setExtraUsage: (policy) => {
      config.extraUsage = policy;
      log.info({ extraUsage: policy }, 'extra-usage policy changed');
      publishLedger();
      try {
        settings.set('extraUsage', policy);
      } catch (e) {
        log.warn({ err: (e as Error).message }, 'extra-usage policy not saved to settings');
      }
    },
    movePort: async (port: number) => {
      await listener.listen(port);
      daemon.port = listener.port;
      daemon.url = `http://${urlHost(config.host)}:${listener.port}`;
      status.setServer({ state: daemon.paused ? 'paused' : 'running', port: listener.port });
      writeDaemonInfo(config.dataDir, daemon.url);
      try {
        settings.set('port', port);
      } catch (e) {
        log.warn({ err: (e as Error).message }, 'port not saved to settings');
      }
    },
    shutdown: async (reason: string) => {
      log.info({ reason }, 'shutting down');
      status.setServer({ state: 'stopping' });
      await listener.close(config.shutdownGraceMs, () => graceOut.abort());
      await engine.shutdown(2_000);
      stopWatching();
      clearTimeout(publishTimer);
      await ledger.close();
      responses.flushSync();
    },
  };
  const app = createApp({
    engine,
    status,
    metrics,
    log,
    responses,
    port: () => listener.port,
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.allowedOrigins,
    apiKey: config.apiKey,
    keys,
    requireKeys: () => config.requireKeys,
    maxBodyBytes: config.maxBodyBytes,
    isPaused: () => daemon.paused,
    dashboard: dashboard.router(),
    admit: (client, key) => admission.check(client, key),
    shutdown: graceOut.signal,
    health: () => ({ claude: { ...status.snapshot().claude, source: bin.source }, host: config.host, port: listener.port, dataDir: config.dataDir }),
  });
  listener = new Listener(app, config.host, { bodyTimeoutMs: config.bodyTimeoutMs });
  status.setServer({ host: config.host, port: config.port });
  try {
    await listener.listen(config.port);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EADDRINUSE' ? `port ${config.port} on ${config.host} is already in use` : err.message;
    status.setServer({ state: 'error', error: why });
    await engine.shutdown(0);
    await ledger.close();
    throw new Error(why);
  }
  daemon.port = listener.port;
  daemon.url = `http://${urlHost(config.host)}:${listener.port}`;
  status.setServer({ state: 'running', port: listener.port });
  writeDaemonInfo(config.dataDir, daemon.url);
  return daemon;
}

/** <data-dir>/daemon.json: where this daemon answers (for scripts; the lock file says the same). */
function writeDaemonInfo(dataDir: string, url: string): void {
  const file = path.join(dataDir, 'daemon.json');
  writeFileAtomicSync(file, JSON.stringify({ pid: process.pid, url, startedAt: Date.now() }));
}

const urlHost = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
