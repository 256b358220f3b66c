import fs from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import type { Config } from './defaults.js';

/** The keys a user may keep in settings.json (everything else is per run). */
export type Settings = Partial<
  Pick<
    Config,
    | 'host'
    | 'port'
    | 'logLevel'
    | 'claudePath'
    | 'apiKey'
    | 'maxConcurrent'
    | 'maxQueue'
    | 'idleTimeoutMs'
    | 'maxBodyBytes'
    | 'allowedOrigins'
    | 'allowedHosts'
    | 'shutdownGraceMs'
    | 'bodyTimeoutMs'
    | 'transcriptRetentionDays'
    | 'maxLiveSessions'
    | 'sessionIdleMs'
    | 'cliMaxRetries'
    | 'maxRetryWaitMs'
    | 'models'
    | 'warmSpares'
    | 'startAtLogin'
    | 'notifications'
    | 'thresholds'
    | 'portPresets'
    | 'extraUsage'
    | 'clientBudgets'
    | 'usageRetentionDays'
    | 'requireKeys'
    | 'allowWebFetch'
  >
> & {
  /** Client configs `maxproxy connect` wrote, per client, so port moves and `doctor` can find them. */
  connections?: Connections;
};

export interface Connection {
  /** The config file that was connected. */
  config: string;
  /** OpenClaw: the wire format it was connected with. */
  api?: 'openai' | 'anthropic';
  /** The tool's default before `--set-default` replaced it (any JSON), put back by `--remove`. */
  previousDefault?: unknown;
}
export type Connections = Partial<Record<'openclaw' | 'opencode' | 'codex', Connection>>;

const connection = {
  type: 'object',
  properties: { config: { type: 'string', minLength: 1 }, api: { enum: ['openai', 'anthropic'] }, previousDefault: {} },
  required: ['config'],
  additionalProperties: false,
} as const;

const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum }) as const;
const strings = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/** JSON Schema per key; conf (ajv) rejects a bad value before anything is written. */
export const settingsSchema = {
  host: { type: 'string', minLength: 1 },
  port: int(0, 65535),
  logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
  claudePath: { type: 'string' },
  apiKey: { type: 'string', minLength: 8, pattern: '^\\S+$' },
  maxConcurrent: int(1, 64),
  maxQueue: int(0, 10_000),
  idleTimeoutMs: int(1_000, 24 * 3_600_000),
  maxBodyBytes: int(1_024, 1024 * 1024 * 1024),
  allowedOrigins: strings,
  allowedHosts: strings,
  shutdownGraceMs: int(0, 3_600_000),
  bodyTimeoutMs: int(1_000, 3_600_000),
  transcriptRetentionDays: int(0, 36_500),
  maxLiveSessions: int(0, 256),
  sessionIdleMs: int(1_000, 7 * 24 * 3_600_000),
  cliMaxRetries: int(0, 10),
  maxRetryWaitMs: int(0, 3_600_000),
  models: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
  warmSpares: int(0, 16),
  startAtLogin: { type: 'boolean' },
  notifications: { type: 'boolean' },
  thresholds: {
    type: 'object',
    properties: { warn: { type: 'number', minimum: 0, maximum: 1 }, critical: { type: 'number', minimum: 0, maximum: 1 } },
    required: ['warn', 'critical'],
    additionalProperties: false,
  },
  portPresets: { type: 'array', items: int(1, 65535), maxItems: 16 },
  extraUsage: { enum: ['refuse', 'notify', 'allow'] },
  clientBudgets: { type: 'object', additionalProperties: { type: 'number', minimum: 0, maximum: 100 } },
  usageRetentionDays: int(1, 3650),
  requireKeys: { type: 'boolean' },
  allowWebFetch: { type: 'boolean' },
  connections: {
    type: 'object',
    properties: { openclaw: connection, opencode: connection, codex: connection },
    additionalProperties: false,
  },
} as const;

const KNOWN_KEYS = new Set(Object.keys(settingsSchema));

/** Checks the schema cannot express; returns the offending key and why. */
function crossCheck(s: Settings): string | undefined {
  if (s.thresholds && s.thresholds.warn > s.thresholds.critical) {
    return `\`thresholds\`: warn (${s.thresholds.warn}) must not be above critical (${s.thresholds.critical})`;
  }
  return undefined;
}

/** conf's message names the key (`thresholds/warn` must be <= 1); say what the numbers mean. */
function explain(message: string): string {
  return /thresholds/.test(message) ? `${message} (thresholds are fractions: 0.75 means 75%)` : message;
}

/**
 * The settings file (<data-dir>/settings.json), schema-validated by conf with atomic
 * writes. An invalid file is reported (with the offending key) and left untouched:
 * the run uses defaults and refuses to write until the user fixes it. Unknown keys
 * (a typo, or something only a flag can set) are reported and ignored.
 */
export class SettingsStore {
  private conf?: Conf<Settings>;
  readonly file: string;
  /** Why the file could not be used, if it could not. */
  readonly error?: string;
  /** Keys in the file that are not settings (ignored). */
  readonly unknownKeys: string[] = [];

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json');
    try {
      const conf = new Conf<Settings>({
        cwd: dataDir,
        configName: 'settings',
        projectName: 'maxproxy',
        projectVersion: '1',
        schema: settingsSchema as never,
        clearInvalidConfig: false,
      });
      const problem = crossCheck(conf.store);
      if (problem) throw new Error(problem);
      this.conf = conf;
      this.unknownKeys = Object.keys(conf.store).filter((k) => !KNOWN_KEYS.has(k));
    } catch (e) {
      this.error = `settings file ${this.file} is invalid and was not changed: ${explain((e as Error).message)}. Using the defaults until it is fixed.`;
    }
  }

  /** Problems worth a log line: an invalid file, unknown keys. */
  get warnings(): string[] {
    const w: string[] = [];
    if (this.error) w.push(this.error);
    if (this.unknownKeys.length) {
      w.push(
        `settings file ${this.file}: ignoring unknown ${this.unknownKeys.length === 1 ? 'key' : 'keys'} ${this.unknownKeys.map((k) => `\`${k}\``).join(', ')}`,
      );
    }
    return w;
  }

  /** The valid settings in the file; {} when the file is invalid or missing. */
  get(): Settings {
    if (!this.conf) return {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.conf.store)) if (KNOWN_KEYS.has(k)) out[k] = v;
    return out as Settings;
  }

  /** Throws with conf's schema message when the value is invalid, or when the file itself is invalid. */
  set<K extends keyof Settings>(key: K, value: Settings[K]): void {
    if (!this.conf) throw new Error(this.error ?? 'settings are not writable');
    if (value === undefined) {
      this.conf.delete(key);
      return;
    }
    if (key === 'thresholds') {
      const problem = crossCheck({ thresholds: value as Settings['thresholds'] });
      if (problem) throw new Error(problem);
    }
    this.conf.set(key, value as never);
  }

  exists(): boolean {
    return fs.existsSync(this.file);
  }
}
