/**
 * `maxproxy connect <openclaw|opencode|codex>`: adds (or updates, or with --remove takes
 * out) one provider named maxproxy in that tool's own config file, keeping every other
 * byte. A backup of the previous file is written next to it (`<file>.maxproxy.bak`), the
 * write is atomic, a second run changes nothing, `--dry-run` prints the diff instead.
 * Without a tool name it updates every tool connected before (after a port move).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { Config } from '../../config/defaults.js';
import type { CommandFlags } from '../../config/flags.js';
import type { Connections, SettingsStore } from '../../config/settings.js';
import { type LoginItemStatus, loginItemStatus } from '../../desktop/login-item.js';
import { KeyStore } from '../../keys/key-store.js';
import { codex } from './codex.js';
import { FORMATS } from './formats.js';
import { configuredUrl, daemonModels, isServed, registryModels, runningUrl } from './served-models.js';
import { CLIENTS, type ClientFormat, type ClientId, ConfigParseError, type Target } from './types.js';

export { FORMATS };

export interface Io {
  out(text: string): void;
  err(text: string): void;
}
const stdio: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export interface ConnectContext {
  config: Config;
  settings: SettingsStore;
  env?: NodeJS.ProcessEnv;
  home?: string;
  io?: Io;
  /** Login item lookup (tests: a temporary home). */
  loginItem?: () => Promise<LoginItemStatus>;
}

/** One file to change. */
interface FileChange {
  file: string;
  before: string | undefined;
  after: string | undefined;
}

export const backupPath = (file: string) => `${file}.maxproxy.bak`;

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Atomic replace, keeping the file's mode (a config may hold keys: never widen it). */
function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let mode = 0o600;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch {
    /* new file */
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode });
  fs.renameSync(tmp, file);
}

function diffText(c: FileChange): string {
  return createTwoFilesPatch(
    c.file,
    c.file,
    c.before ?? '',
    c.after ?? '',
    c.before === undefined ? '(new file)' : '',
    c.after === undefined ? '(removed)' : '',
  );
}

export function apply(changes: FileChange[]): void {
  for (const c of changes) {
    if (c.before === c.after) continue;
    if (c.before !== undefined) fs.writeFileSync(backupPath(c.file), c.before, { mode: fs.statSync(c.file).mode & 0o777 });
    if (c.after === undefined) fs.rmSync(c.file, { force: true });
    else writeAtomic(c.file, c.after);
  }
}

/** The changes one client needs, and what to tell the user. */
export function plan(
  format: ClientFormat,
  file: string,
  target: Target | undefined,
  previous?: unknown,
): { changes: FileChange[]; notes: string[]; previousDefault?: unknown } {
  const before = readOrUndefined(file);
  const changes: FileChange[] = [];
  let notes: string[] = [];
  let previousDefault: unknown;
  if (target) {
    const edit = format.apply(before ?? format.empty, file, target);
    changes.push({ file, before, after: edit.text });
    notes = edit.notes;
    previousDefault = edit.previousDefault;
  } else if (before !== undefined) {
    const edit = format.remove(before, file, previous);
    changes.push({ file, before, after: edit.text });
    notes = edit.notes;
  }
  if (format.id === 'codex') {
    const profile = codex.profilePath(file);
    changes.push({ file: profile, before: readOrUndefined(profile), after: target ? codex.profile(target) : undefined });
  }
  return { changes, notes, previousDefault };
}

function loginItemLine(s: LoginItemStatus | undefined): string {
  if (!s) return 'Start at login: unknown on this system.';
  if (s.enabled) {
    const restarts =
      s.mechanism === 'xdg-autostart' ? ' (restarted after a crash only with `maxproxy login-item enable --systemd`)' : ', restarted after a crash';
    return `maxproxy starts at login (${s.mechanism})${restarts}${s.upToDate ? '' : '; the entry is out of date: run `maxproxy login-item enable` again'}.`;
  }
  return 'maxproxy does not start at login, so the tool finds nothing after a reboot: run `maxproxy login-item enable` (Linux: add --systemd to have it restarted after a crash).';
}

/**
 * The client key a tool gets (docs/decisions/090): the one its config already holds when
 * that is still the current key named after the tool, else a new one (a key of that name
 * whose secret is not in the config is rotated: maxproxy cannot read it back). A dry run
 * makes no key.
 */
function clientKey(ctx: ConnectContext, id: ClientId, format: ClientFormat, file: string, dryRun: boolean, io: Io): string {
  const store = new KeyStore(ctx.config.dataDir);
  const text = readOrUndefined(file);
  let held: string | undefined;
  try {
    held = text === undefined ? undefined : format.inspect(text, file)?.apiKey;
  } catch {
    held = undefined;
  }
  if (held && store.holds(id, held)) return held;
  if (dryRun) return `mp-${id}-<new key>`;
  const existing = store.get(id);
  if (existing && existing.revokedAt === undefined) {
    io.out(`  rotated the client key "${id}" (its secret is not in ${file}); the previous key no longer works.\n`);
    return store.rotate(id).key;
  }
  io.out(`  made the client key "${id}" for it (see \`maxproxy keys list\`; --no-key writes a placeholder instead).\n`);
  return store.add(id).key;
}

async function target(ctx: ConnectContext, flags: CommandFlags, io: Io, api: 'openai' | 'anthropic', key?: string): Promise<Target> {
  const { config } = ctx;
  const running = runningUrl(config);
  const url = (flags.url ?? running ?? configuredUrl(config)).replace(/\/+$/, '').replace(/\/v1$/, '');
  let models = registryModels(config);
  if (flags.url || running) {
    try {
      models = await daemonModels(url, key ?? config.apiKey);
    } catch (e) {
      io.err(`maxproxy: could not ask ${url} for its models (${(e as Error).message}); using the built-in list.\n`);
    }
  } else {
    io.out(`maxproxy is not running; connecting to ${url}, where it will listen (start it with \`maxproxy\`).\n`);
  }
  const defaultModel = flags.setDefault ? (flags.defaultModel ?? 'sonnet') : undefined;
  if (defaultModel && !models.some((m) => m.id === defaultModel) && !isServed(config, defaultModel)) {
    throw new Error(`--default-model ${defaultModel} is not a model maxproxy serves (${models.map((m) => m.id).join(', ')})`);
  }
  return { url, apiKey: key ?? config.apiKey, models, api, defaultModel };
}

export async function connectCommand(args: string[], flags: CommandFlags, ctx: ConnectContext): Promise<number> {
  const io = ctx.io ?? stdio;
  const env = ctx.env ?? process.env;
  const home = ctx.home ?? os.homedir();
  const remembered: Connections = ctx.settings.get().connections ?? {};
  const named = args[0];
  if (named !== undefined && !(CLIENTS as readonly string[]).includes(named)) {
    io.err(`maxproxy: unknown tool "${named}"; connect one of: ${CLIENTS.join(', ')}\n`);
    return 2;
  }
  const clients: ClientId[] = named ? [named as ClientId] : (Object.keys(remembered) as ClientId[]);
  if (clients.length === 0) {
    io.err(
      `usage: maxproxy connect ${CLIENTS.join('|')} [--set-default] [--dry-run] [--remove]\n(no tool was connected before, so there is nothing to update)\n`,
    );
    return 2;
  }
  if (flags.config && clients.length !== 1) {
    io.err('maxproxy: --config needs one tool named\n');
    return 2;
  }
  if (flags.api !== undefined && flags.api !== 'openai' && flags.api !== 'anthropic') {
    io.err(`maxproxy: --api takes openai or anthropic, got "${flags.api}"\n`);
    return 2;
  }
  let code = 0;
  const targets = new Map<string, Promise<Target>>();
  const targetFor = (api: 'openai' | 'anthropic', key?: string) => {
    const k = `${api}|${key ?? ''}`;
    if (!targets.has(k)) targets.set(k, target(ctx, flags, io, api, key));
    return targets.get(k)!;
  };
  const connections: Connections = { ...remembered };
  for (const id of clients) {
    const format = FORMATS[id];
    const file = path.resolve(flags.config ?? remembered[id]?.config ?? format.defaultPath(env, home));
    const api = (flags.api ?? remembered[id]?.api ?? 'openai') as 'openai' | 'anthropic';
    try {
      const key = flags.remove || flags.noKey ? undefined : clientKey(ctx, id, format, file, flags.dryRun === true, io);
      const t = flags.remove ? undefined : await targetFor(api, key);
      const { changes, notes, previousDefault } = plan(format, file, t, remembered[id]?.previousDefault);
      const changed = changes.filter((c) => c.before !== c.after);
      if (flags.dryRun) {
        io.out(changed.length ? changed.map(diffText).join('\n') : `${format.title}: ${file} already says this; nothing would change.\n`);
        continue;
      }
      apply(changed);
      const verb = flags.remove ? 'removed maxproxy from' : 'connected';
      if (changed.length === 0) io.out(`${format.title}: ${file} is already up to date; nothing changed.\n`);
      else {
        io.out(`${format.title}: ${verb} ${file}${changed.some((c) => c.before !== undefined) ? ` (previous version: ${backupPath(file)})` : ''}.\n`);
        for (const c of changed.slice(1)) io.out(`  ${c.after === undefined ? 'removed' : 'wrote'} ${c.file}\n`);
      }
      if (t) io.out(`  ${t.url}${id === 'openclaw' && api === 'anthropic' ? '' : '/v1'}, ${t.models.length} models: ${t.models.map((m) => m.id).join(', ')}\n`);
      for (const n of notes) io.out(`  ${n}\n`);
      if (flags.remove) delete connections[id];
      else {
        const previous = previousDefault !== undefined ? previousDefault : remembered[id]?.config === file ? remembered[id]?.previousDefault : undefined;
        connections[id] = { config: file, ...(id === 'openclaw' ? { api } : {}), ...(previous !== undefined ? { previousDefault: previous } : {}) };
      }
    } catch (e) {
      code = 1;
      io.err(`maxproxy: ${format.title}: ${e instanceof ConfigParseError ? e.message : (e as Error).message}\n`);
    }
  }
  if (flags.dryRun) return code;
  try {
    ctx.settings.set('connections', Object.keys(connections).length ? connections : undefined);
  } catch (e) {
    io.err(`maxproxy: the connection was not remembered (${(e as Error).message})\n`);
  }
  if (!flags.remove) {
    const status = await (ctx.loginItem ?? (() => loginItemStatus({ dataDir: ctx.config.dataDir })))().catch(() => undefined);
    io.out(`${loginItemLine(status)}\n`);
  }
  return code;
}
