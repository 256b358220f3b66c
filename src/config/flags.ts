import { parseArgs } from 'node:util';
import type { Config } from './defaults.js';
import { settingsSchema } from './settings.js';

export interface ParsedCommand {
  /** The subcommand: serve (default), status, sessions, login-item, help, version. */
  command: string;
  args: string[];
  overrides: Partial<Config>;
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
       maxproxy login-item enable|disable|status
       maxproxy login                      log Claude Code in (runs its \`auth login\`)
       maxproxy connect openclaw|opencode|codex [--set-default] [--dry-run] [--remove]
                                           add maxproxy to that tool's own config file
       maxproxy doctor [--json] [--offline] check every link of the setup and say how to fix it

Connect options:
  --set-default              make a maxproxy model the tool's default (OpenClaw: with no fallbacks)
  --default-model ID         which model --set-default picks (default sonnet)
  --api openai|anthropic     OpenClaw's wire format (default openai: openai-completions)
  --config PATH              the tool's config file (default: where the tool looks)
  --url URL                  maxproxy's address (default: the running daemon's)
  --dry-run                  print the change as a diff, write nothing
  --remove                   take maxproxy out of the tool's config again
  (no tool named: update every tool connected before, e.g. after a port change)

Options:
  --headless                 no tray icon (automatic when there is no display)
  --host HOST                address to bind (default 127.0.0.1)
  --port N                   port (default 3456; 0 picks a free one)
  --data-dir DIR             all state: settings, sessions, logs, the CLI's working dir
  --claude-path PATH         Claude Code binary (default: the one bundled with the Agent SDK)
  --claude-env KEY=VALUE     extra environment for the CLI (repeatable)
  --api-key KEY              require this key (Authorization: Bearer or x-api-key)
  --max-concurrent N         CLI turns running at once
  --max-queue N              requests waiting beyond that (then 503/429)
  --idle-timeout-ms N        stop a turn after N ms without output from the CLI
  --max-body-bytes N         largest request body
  --allowed-origin ORIGIN    a web origin allowed to call the API (repeatable)
  --allowed-host NAME        an extra Host name to accept (repeatable)
  --shutdown-grace-ms N      how long in-flight requests may finish on shutdown
  --model ALIAS=ID           add or override a model alias (repeatable)
  --log-level LEVEL          fatal|error|warn|info|debug|trace
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
  if (values['api-key'] !== undefined) o.apiKey = values['api-key'];
  const n = (k: keyof typeof values, c: keyof Config) => {
    const v = intFlag(String(k), values[k] as string | undefined);
    if (v !== undefined) (o as Record<string, unknown>)[c] = checkRange(`--${String(k)}`, c, v);
  };
  n('max-concurrent', 'maxConcurrent');
  n('max-queue', 'maxQueue');
  n('idle-timeout-ms', 'idleTimeoutMs');
  n('max-body-bytes', 'maxBodyBytes');
  n('shutdown-grace-ms', 'shutdownGraceMs');
  n('warm-spares', 'warmSpares');
  if (values['allowed-origin']) o.allowedOrigins = values['allowed-origin'];
  if (values['allowed-host']) o.allowedHosts = values['allowed-host'];
  const models = keyValues(values.model, 'model');
  if (models) o.models = models;
  if (values['log-level'] !== undefined) o.logLevel = values['log-level'];
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
  };
  return { command, args: positionals.slice(1), overrides: o, commandFlags };
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
  if (env.MAXPROXY_API_KEY) o.apiKey = env.MAXPROXY_API_KEY;
  if (env.MAXPROXY_LOG_LEVEL) o.logLevel = env.MAXPROXY_LOG_LEVEL;
  if (env.MAXPROXY_HEADLESS === '1' || env.MAXPROXY_HEADLESS === 'true') o.headless = true;
  const map: Array<[string, keyof Config]> = [
    ['MAXPROXY_MAX_CONCURRENT', 'maxConcurrent'],
    ['MAXPROXY_MAX_QUEUE', 'maxQueue'],
    ['MAXPROXY_IDLE_TIMEOUT_MS', 'idleTimeoutMs'],
    ['MAXPROXY_MAX_BODY_BYTES', 'maxBodyBytes'],
    ['MAXPROXY_SHUTDOWN_GRACE_MS', 'shutdownGraceMs'],
    ['MAXPROXY_WARM_SPARES', 'warmSpares'],
  ];
  for (const [name, key] of map) {
    const v = int(name);
    if (v !== undefined) (o as Record<string, unknown>)[key] = checkRange(name, key, v);
  }
  const origins = list('MAXPROXY_ALLOWED_ORIGINS');
  if (origins) o.allowedOrigins = origins;
  const hosts = list('MAXPROXY_ALLOWED_HOSTS');
  if (hosts) o.allowedHosts = hosts;
  return o;
}
