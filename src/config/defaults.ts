import os from 'node:os';
import path from 'node:path';

/** Everything a run can be configured with; flags and env override the settings file. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  headless: boolean;
  logLevel: string;
  /** Explicit Claude Code binary; empty = bundled, then PATH and usual places. */
  claudePath: string;
  /** Extra environment for the CLI (how tests point it at a mock upstream). */
  claudeEnv: Record<string, string>;
  apiKey?: string;
  maxConcurrent: number;
  maxQueue: number;
  /** Inactivity watchdog: a turn with no CLI event for this long is stopped. */
  idleTimeoutMs: number;
  maxBodyBytes: number;
  allowedOrigins: string[];
  allowedHosts: string[];
  shutdownGraceMs: number;
  /** Longest time to receive one request's headers and body (response streams are not limited). */
  bodyTimeoutMs: number;
  /** Claude Code transcripts of maxproxy's sessions older than this many days are deleted (0 = keep). */
  transcriptRetentionDays: number;
  /** Idle live CLI processes kept at most, and for how long. */
  maxLiveSessions: number;
  sessionIdleMs: number;
  /** Bound on the CLI's own upstream retries (CLAUDE_CODE_MAX_RETRIES). */
  cliMaxRetries: number;
  /** A CLI retry wait longer than this is answered as 429/503 with retry-after instead of holding the client. */
  maxRetryWaitMs: number;
  /** Extra or replacement model ids: alias -> upstream model id. */
  models: Record<string, string>;
  warmSpares: number;
  startAtLogin: boolean;
  notifications: boolean;
  thresholds: { warn: number; critical: number };
  portPresets: number[];
  /** What to do when Claude Code reports answers billed as extra usage (beyond the plan). */
  extraUsage: 'refuse' | 'notify' | 'allow';
  /** Per-client budgets: client name (as the tray shows it, any case) -> percent of the 5-hour window. */
  clientBudgets: Record<string, number>;
  /** Days of single turns the usage ledger keeps; older days are kept as daily totals. */
  usageRetentionDays: number;
  /** Refuse model API requests without a client key (`maxproxy keys add`; docs/decisions/090). */
  requireKeys: boolean;
  /**
   * Serve an Anthropic client's hosted web_fetch tool with the daemon's own fetch from this
   * machine (public addresses only; docs/decisions/095). Off: the tool is named as ignored.
   */
  allowWebFetch: boolean;
}

/** The platform's per-user application data directory. */
export function defaultDataDir(platform = process.platform, env = process.env, home = os.homedir()): string {
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'maxproxy');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'maxproxy');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'maxproxy');
}

/** About 170 MB per live CLI: leave most of the machine's memory to everything else. */
export function defaultMaxConcurrent(totalMem = os.totalmem()): number {
  const byMemory = Math.floor((totalMem * 0.25) / (200 * 1024 * 1024));
  return Math.max(2, Math.min(8, byMemory));
}

export const defaults = (): Omit<Config, 'dataDir'> => ({
  host: '127.0.0.1',
  port: 3456,
  headless: false,
  logLevel: 'info',
  claudePath: '',
  claudeEnv: {},
  apiKey: undefined,
  maxConcurrent: defaultMaxConcurrent(),
  maxQueue: 32,
  idleTimeoutMs: 10 * 60_000,
  maxBodyBytes: 32 * 1024 * 1024,
  allowedOrigins: [],
  allowedHosts: [],
  shutdownGraceMs: 30_000,
  bodyTimeoutMs: 60_000,
  transcriptRetentionDays: 30,
  maxLiveSessions: 8,
  sessionIdleMs: 30 * 60_000,
  cliMaxRetries: 2,
  maxRetryWaitMs: 10_000,
  models: {},
  warmSpares: 1,
  startAtLogin: false,
  notifications: true,
  thresholds: { warn: 0.75, critical: 0.9 },
  portPresets: [3456, 8080, 8787, 11434],
  extraUsage: 'refuse',
  clientBudgets: {},
  requireKeys: false,
  allowWebFetch: false,
  usageRetentionDays: 90,
});
