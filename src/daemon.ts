import path from 'node:path';
import type { Config } from './config/defaults.js';
import type { SettingsStore } from './config/settings.js';
import { claudeVersion, findClaude } from './engine/claude-binary.js';
import { Engine } from './engine/engine.js';
import type { TurnEngine } from './engine/turn-engine.js';
import type { Logger } from './log/logger.js';
import { createApp } from './server/app.js';
import { Listener } from './server/listener.js';
import { Metrics } from './server/metrics.js';
import { StatusStore } from './status/store.js';
import { writeFileAtomicSync } from './store/atomic-write.js';
import { ResponseStore } from './store/response-store.js';

export interface Daemon {
  url: string;
  port: number;
  status: StatusStore;
  engine: TurnEngine;
  listener: Listener;
  paused: boolean;
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
    onCliCrash: (info) => {
      metrics.cliCrash();
      status.notify({ kind: 'cli-crash', ...info, stderr: info.stderr.join('\n') });
    },
  });
  status.setClaude({ path: bin.path, version: cliVersion });
  log.info({ claude: bin.path, source: bin.source, version: cliVersion }, 'using Claude Code');

  const responses = new ResponseStore({ filePath: path.join(config.dataDir, 'responses.json'), onError: (e) => log.warn({ err: e }, 'response store') });
  let listener!: Listener;
  const daemon: Daemon = {
    url: '',
    port: 0,
    status,
    engine,
    get listener() {
      return listener;
    },
    paused: false,
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
      await listener.close(config.shutdownGraceMs);
      await engine.shutdown(2_000);
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
    maxBodyBytes: config.maxBodyBytes,
    isPaused: () => daemon.paused,
    health: () => ({ claude: { ...status.snapshot().claude, source: bin.source }, host: config.host, port: listener.port, dataDir: config.dataDir }),
  });
  listener = new Listener(app, config.host);
  status.setServer({ host: config.host, port: config.port });
  try {
    await listener.listen(config.port);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EADDRINUSE' ? `port ${config.port} on ${config.host} is already in use` : err.message;
    status.setServer({ state: 'error', error: why });
    await engine.shutdown(0);
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
