import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Config } from './defaults.js';
import { settingsSchema } from './settings.js';

export interface ParsedCommand {
  /** The subcommand: serve (default), status, sessions, usage, login-item, help, version. */
  command: string;
  args: string[];
  overrides: Partial<Config>;
  /** Options of `maxproxy usage`. */
  usage: { since?: string; by?: string; json: boolean };
  /** Flags of `connect` and `doctor` (not configuration). */
  commandFlags: CommandFlags;
}

export interface CommandFlags {
  config?: string;
  url?: string;
  api?: string;
  setDefault?: boolean;
  defaultModel?: string;
  dryRun?: boolean;
  remove?: boolean;
  json?: boolean;
  offline?: boolean;
  /** connect: keep today's placeholder key instead of a client key. */
  noKey?: boolean;
  /** keys add: limits of the new key. */
  budget?: string;
  weeklyBudget?: string;
  models?: string;
  expires?: string;
}

const EXTRA_USAGE = ['refuse', 'notify', 'allow'] as const;

function extraUsage(label: string, v: string): Config['extraUsage'] {
  const x = v.toLowerCase();
  if (!(EXTRA_USAGE as readonly string[]).includes(x)) throw new Error(`${label} takes refuse, notify or allow, got "${v}"`);
  return x as Config['extraUsage'];
}

/** `client=percent` pairs; the client as the tray shows it (matched in any case). */
export function clientBudgets(list: string[], label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kv of list) {
    const i = kv.lastIndexOf('=');
    const name = kv.slice(0, i).trim();
    const pct = kv
      .slice(i + 1)
      .trim()
      .replace(/%$/, '');
    if (i <= 0 || !name || !/^\d+(\.\d+)?$/.test(pct) || Number(pct) > 100) {
      throw new Error(`${label} takes CLIENT=PERCENT (0-100), e.g. OpenClaw=40, got "${kv}"`);
    }
    out[name] = Number(pct);
  }
  return out;
}

/**
 * The same bounds as settings.json (one table): `--max-concurrent 0` would queue every
 * request forever and `--idle-timeout-ms 0` would kill every turn, so they are refused.
 */
function checkRange(label: string, key: keyof Config, v: number): number {
  const rule = (settingsSchema as Record<string, { minimum?: number; maximum?: number }>)[key];
  if (rule && ((rule.minimum !== undefined && v < rule.minimum) || (rule.maximum !== undefined && v > rule.maximum))) {
    throw new Error(`${label} must be between ${rule.minimum} and ${rule.maximum}, got ${v}`);
  }
  return v;
}

/**
 * The same rule as settings.json on every path: a key that is empty, blank, shorter than
 * 8 characters or holds whitespace would silently disable the check or never match.
 */
export function checkApiKey(label: string, key: string): string {
  if (key.trim() === '') throw new Error(`${label} is empty: give a key of at least 8 characters, or leave it out to run without one`);
  if (/\s/.test(key)) throw new Error(`${label} must not contain whitespace`);
  if (key.length < 8) throw new Error(`${label} must be at least 8 characters`);
  return key;
}

/** The key from a file (first line, trailing newline ignored), so it never shows in `ps`. */
function readApiKeyFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--api-key-file: cannot read ${file}: ${(e as Error).message}`);
  }
  return checkApiKey(`--api-key-file ${file}`, text.split(/\r?\n/)[0] ?? '');
}

const intFlag = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`--${name} takes a whole number, got "${v}"`);
  return Number(v);
};

function keyValues(list: string[] | undefined, flag: string): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--${flag} takes KEY=VALUE, got "${kv}"`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export const usage = `Usage: maxproxy [serve] [options]
       maxproxy status | sessions          show the running daemon's state
       maxproxy usage [--since 5h|24h|7d|30d|DATE] [--by client|model|day|hour|path] [--json]
                                           what was spent, by whom (reads the ledger; daemon not needed)
       maxproxy login-item enable|disable|status
       maxproxy login                      log Claude Code in (runs its \`auth login\`)
       maxproxy connect openclaw|opencode|codex [--set-default] [--dry-run] [--remove]
                                           add maxproxy to that tool's own config file
       maxproxy doctor [--json] [--offline] check every link of the setup and say how to fix it
       maxproxy keys add NAME [--budget PCT] [--weekly-budget PCT] [--models ID,ID] [--expires DATE]
       maxproxy keys list | revoke NAME | rotate NAME
                                           named client keys: who a request is, its budget and models

Connect options:
  --set-default              make a maxproxy model the tool's default (OpenClaw: with no fallbacks)
  --default-model ID         which model --set-default picks (default sonnet)
  --api openai|anthropic     OpenClaw's wire format (default openai: openai-completions)
  --config PATH              the tool's config file (default: where the tool looks)
  --url URL                  maxproxy's address (default: the running daemon's)
  --dry-run                  print the change as a diff, write nothing
  --remove                   take maxproxy out of the tool's config again
  --no-key                   write a placeholder key instead of a client key named after the tool
  (no tool named: update every tool connected before, e.g. after a port change)

Options:
  --headless                 no tray icon (automatic when there is no display)
  --host HOST                address to bind (default 127.0.0.1)
  --port N                   port (default 3456; 0 picks a free one)
  --data-dir DIR             all state: settings, sessions, logs, the CLI's working dir
  --claude-path PATH         Claude Code binary (default: the one bundled with the Agent SDK)
  --claude-env KEY=VALUE     extra environment for the CLI (repeatable)
  --api-key KEY              require this key (Authorization: Bearer or x-api-key);
                             visible in \`ps\`: prefer --api-key-file or MAXPROXY_API_KEY
  --api-key-file FILE        read the key from FILE (first line)
  --max-concurrent N         CLI turns running at once
  --max-queue N              requests waiting beyond that (then 503/429)
  --idle-timeout-ms N        stop a turn after N ms without output from the CLI
  --max-body-bytes N         largest request body
  --allowed-origin ORIGIN    a web origin allowed to call the API (repeatable)
  --allowed-host NAME        an extra Host name to accept (repeatable)
  --shutdown-grace-ms N      how long in-flight requests may finish on shutdown
  --body-timeout-ms N        longest time to receive a request's headers and body (default 60000)
  --transcript-retention-days N
                             delete maxproxy's Claude Code transcripts older than N days (default 30; 0 = keep)
  --model ALIAS=ID           add or override a model alias (repeatable)
  --log-level LEVEL          fatal|error|warn|info|debug|trace
  --extra-usage POLICY       refuse (default) | notify | allow answers billed as extra usage
  --client-budget NAME=PCT   cap a client at PCT % of the 5-hour window (repeatable)
  --require-keys             refuse model API requests without a client key (maxproxy keys add)
  --allow-web-fetch          serve Anthropic clients' hosted web_fetch tool from this machine (public addresses only; off by default)
  --usage-retention-days N   days of single turns kept in the usage ledger (default 90)
  -h, --help / -v, --version`;

/** Parses argv (without node and script). Unknown flags are errors: a typo must not be ignored. */
export function parseFlags(argv: string[]): ParsedCommand {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      headless: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'claude-path': { type: 'string' },
      'claude-env': { type: 'string', multiple: true },
      'api-key': { type: 'string' },
      'api-key-file': { type: 'string' },
      'body-timeout-ms': { type: 'string' },
      'transcript-retention-days': { type: 'string' },
      'max-concurrent': { type: 'string' },
      'max-queue': { type: 'string' },
      'idle-timeout-ms': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'allowed-origin': { type: 'string', multiple: true },
      'allowed-host': { type: 'string', multiple: true },
      'shutdown-grace-ms': { type: 'string' },
      'warm-spares': { type: 'string' },
      model: { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      'extra-usage': { type: 'string' },
      'client-budget': { type: 'string', multiple: true },
      'usage-retention-days': { type: 'string' },
      'require-keys': { type: 'boolean' },
      'allow-web-fetch': { type: 'boolean' },
      'no-key': { type: 'boolean' },
      budget: { type: 'string' },
      'weekly-budget': { type: 'string' },
      models: { type: 'string' },
      expires: { type: 'string' },
      since: { type: 'string' },
      by: { type: 'string' },
      config: { type: 'string' },
      url: { type: 'string' },
      api: { type: 'string' },
      'set-default': { type: 'boolean' },
      'default-model': { type: 'string' },
      'dry-run': { type: 'boolean' },
      remove: { type: 'boolean' },
      json: { type: 'boolean' },
      offline: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  const o: Partial<Config> = {};
  if (values.headless) o.headless = true;
  if (values.host !== undefined) o.host = values.host;
  const port = intFlag('port', values.port);
  if (port !== undefined) {
    if (port > 65535) throw new Error(`--port must be at most 65535`);
    o.port = port;
  }
  if (values['data-dir'] !== undefined) o.dataDir = values['data-dir'];
  if (values['claude-path'] !== undefined) o.claudePath = values['claude-path'];
  const env = keyValues(values['claude-env'], 'claude-env');
  if (env) o.claudeEnv = env;
  if (values['api-key'] !== undefined && values['api-key-file'] !== undefined) throw new Error('give either --api-key or --api-key-file, not both');
  if (values['api-key'] !== undefined) o.apiKey = checkApiKey('--api-key', values['api-key']);
  if (values['api-key-file'] !== undefined) o.apiKey = readApiKeyFile(values['api-key-file']);
  const n = (k: keyof typeof values, c: keyof Config) => {
    const v = intFlag(String(k), values[k] as string | undefined);
    if (v !== undefined) (o as Record<string, unknown>)[c] = checkRange(`--${String(k)}`, c, v);
  };
  n('max-concurrent', 'maxConcurrent');
  n('max-queue', 'maxQueue');
  n('idle-timeout-ms', 'idleTimeoutMs');
  n('max-body-bytes', 'maxBodyBytes');
  n('shutdown-grace-ms', 'shutdownGraceMs');
  n('body-timeout-ms', 'bodyTimeoutMs');
  n('transcript-retention-days', 'transcriptRetentionDays');
  n('warm-spares', 'warmSpares');
  if (values['allowed-origin']) o.allowedOrigins = values['allowed-origin'];
  if (values['allowed-host']) o.allowedHosts = values['allowed-host'];
  const models = keyValues(values.model, 'model');
  if (models) o.models = models;
  if (values['log-level'] !== undefined) o.logLevel = values['log-level'];
  if (values['extra-usage'] !== undefined) o.extraUsage = extraUsage('--extra-usage', values['extra-usage']);
  if (values['client-budget']) o.clientBudgets = clientBudgets(values['client-budget'], '--client-budget');
  n('usage-retention-days', 'usageRetentionDays');
  if (values['require-keys']) o.requireKeys = true;
  if (values['allow-web-fetch']) o.allowWebFetch = true;
  const command = values.help ? 'help' : values.version ? 'version' : (positionals[0] ?? 'serve');
  const commandFlags: CommandFlags = {
    config: values.config,
    url: values.url,
    api: values.api,
    setDefault: values['set-default'],
    defaultModel: values['default-model'],
    dryRun: values['dry-run'],
    remove: values.remove,
    json: values.json,
    offline: values.offline,
    noKey: values['no-key'],
    budget: values.budget,
    weeklyBudget: values['weekly-budget'],
    models: values.models,
    expires: values.expires,
  };
  return { command, args: positionals.slice(1), overrides: o, commandFlags, usage: { since: values.since, by: values.by, json: values.json === true } };
}

/** MAXPROXY_* environment variables, same meaning as the flags. */
export function envOverrides(env: NodeJS.ProcessEnv): Partial<Config> {
  const o: Partial<Config> = {};
  const int = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    if (!/^\d+$/.test(v)) throw new Error(`${name} must be a whole number, got "${v}"`);
    return Number(v);
  };
  const list = (name: string) =>
    env[name]
      ? env[name]!.split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
  if (env.MAXPROXY_HOST) o.host = env.MAXPROXY_HOST;
  const port = int('MAXPROXY_PORT');
  if (port !== undefined) o.port = port;
  if (env.MAXPROXY_DATA_DIR) o.dataDir = env.MAXPROXY_DATA_DIR;
  if (env.MAXPROXY_CLAUDE_PATH) o.claudePath = env.MAXPROXY_CLAUDE_PATH;
  if (env.MAXPROXY_API_KEY !== undefined) o.apiKey = checkApiKey('MAXPROXY_API_KEY', env.MAXPROXY_API_KEY);
  if (env.MAXPROXY_LOG_LEVEL) o.logLevel = env.MAXPROXY_LOG_LEVEL;
  if (env.MAXPROXY_HEADLESS === '1' || env.MAXPROXY_HEADLESS === 'true') o.headless = true;
  if (env.MAXPROXY_REQUIRE_KEYS === '1' || env.MAXPROXY_REQUIRE_KEYS === 'true') o.requireKeys = true;
  if (env.MAXPROXY_ALLOW_WEB_FETCH === '1' || env.MAXPROXY_ALLOW_WEB_FETCH === 'true') o.allowWebFetch = true;
  const map: Array<[string, keyof Config]> = [
    ['MAXPROXY_MAX_CONCURRENT', 'maxConcurrent'],
    ['MAXPROXY_MAX_QUEUE', 'maxQueue'],
    ['MAXPROXY_IDLE_TIMEOUT_MS', 'idleTimeoutMs'],
    ['MAXPROXY_MAX_BODY_BYTES', 'maxBodyBytes'],
    ['MAXPROXY_SHUTDOWN_GRACE_MS', 'shutdownGraceMs'],
    ['MAXPROXY_BODY_TIMEOUT_MS', 'bodyTimeoutMs'],
    ['MAXPROXY_TRANSCRIPT_RETENTION_DAYS', 'transcriptRetentionDays'],
    ['MAXPROXY_WARM_SPARES', 'warmSpares'],
    ['MAXPROXY_USAGE_RETENTION_DAYS', 'usageRetentionDays'],
  ];
  for (const [name, key] of map) {
    const v = int(name);
    if (v !== undefined) (o as Record<string, unknown>)[key] = checkRange(name, key, v);
  }
  const origins = list('MAXPROXY_ALLOWED_ORIGINS');
  if (origins) o.allowedOrigins = origins;
  const hosts = list('MAXPROXY_ALLOWED_HOSTS');
  if (hosts) o.allowedHosts = hosts;
  if (env.MAXPROXY_EXTRA_USAGE) o.extraUsage = extraUsage('MAXPROXY_EXTRA_USAGE', env.MAXPROXY_EXTRA_USAGE);
  const budgets = list('MAXPROXY_CLIENT_BUDGETS');
  if (budgets) o.clientBudgets = clientBudgets(budgets, 'MAXPROXY_CLIENT_BUDGETS');
  return o;
}
