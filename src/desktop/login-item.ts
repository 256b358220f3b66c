/**
 * Start at login, without auto-launch (it names the file after the binary, cannot pass
 * arguments, does not quote Exec, has no systemd and writes unescaped plists).
 *
 * Mechanisms and names:
 * - Linux, default: XDG autostart, `$XDG_CONFIG_HOME/autostart/maxproxy.desktop`, started
 *   by the desktop session (so the tray has its display).
 * - Linux, on request (`systemd: true`): a systemd user unit,
 *   `$XDG_CONFIG_HOME/systemd/user/maxproxy.service`, bound to graphical-session.target.
 * - macOS: a LaunchAgent labelled `dev.maxproxy.daemon` (reverse-DNS, as launchd expects),
 *   `~/Library/LaunchAgents/dev.maxproxy.daemon.plist`.
 *
 * The program run is `[node, <absolute dist/main.js>, '--data-dir', <dir>]`: tray mode
 * (which falls back to headless by itself when there is no display), absolute paths
 * because login sessions do not share the shell's PATH or working directory.
 *
 * The generators (login-item-files.ts) are pure and unit-tested for exact output; here,
 * enable/disable/status write, remove and read those files (home and command runner injectable).
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../store/atomic-write.js';
import { type Logger, silentLogger } from './logger.js';
import {
  checkSpec,
  LAUNCH_AGENT_LABEL,
  LOGIN_ITEM_ID,
  type LoginItemSpec,
  launchdLogPaths,
  renderDesktopEntry,
  renderLaunchAgentPlist,
  renderSystemdUnit,
  SYSTEMD_UNIT_NAME,
} from './login-item-files.js';

// The files' names and renderers, so callers need one import.
export {
  desktopExecArg,
  LAUNCH_AGENT_LABEL,
  LOGIN_ITEM_ID,
  type LoginItemSpec,
  launchdLogPaths,
  loginItemArgs,
  loginItemPath,
  renderDesktopEntry,
  renderLaunchAgentPlist,
  renderSystemdUnit,
  SYSTEMD_UNIT_NAME,
  systemdEnvAssignment,
  systemdExecArg,
  xmlEscape,
} from './login-item-files.js';

// ---------------------------------------------------------------------------------------
// Installing

export type LoginItemMechanism = 'xdg-autostart' | 'systemd' | 'launchd';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}
export type CommandRunner = (file: string, args: string[]) => Promise<CommandResult>;

export const execRunner: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && code === 127 ? err.message : '')) });
    });
  });

export interface LoginItemOptions {
  /** Absolute data directory passed to the daemon. */
  dataDir: string;
  platform?: NodeJS.Platform;
  /** Home directory; os.homedir() by default. */
  home?: string;
  /** XDG_CONFIG_HOME; $XDG_CONFIG_HOME or <home>/.config by default. */
  configHome?: string;
  /** node; process.execPath by default. */
  execPath?: string;
  /** dist/main.js; found next to this module by default. */
  scriptPath?: string;
  /** Icon for the XDG entry; assets/tray/linux/idle-44.png by default. */
  iconPath?: string;
  /** Check that node and main.js exist before writing (default true). */
  verifyPaths?: boolean;
  /** Linux: a systemd user unit instead of XDG autostart. */
  systemd?: boolean;
  /**
   * Also load/unload now: `launchctl bootstrap`/`bootout` on macOS, `systemctl --user
   * enable --now`/`disable --now` with systemd. Default true (what `maxproxy login-item
   * enable|disable` in a terminal wants). The tray's "Start at login" toggle must pass
   * false: loading would start a second instance (RunAtLoad), and unloading the job that
   * is running the tray would quit it.
   */
  activate?: boolean;
  /** For launchctl's gui/<uid> domain; process.getuid() by default. */
  uid?: number;
  run?: CommandRunner;
  logger?: Logger;
}

export interface LoginItemResult {
  mechanism: LoginItemMechanism;
  path: string;
  /** Commands run, for the CLI to show. */
  commands: string[][];
}

export interface LoginItemEntryStatus {
  mechanism: LoginItemMechanism;
  path: string;
  exists: boolean;
  /** The file starts the daemon (not disabled by Hidden=true / X-GNOME-Autostart-enabled=false). */
  active: boolean;
  /** The file is exactly what enable would write now (false after node moved, for example). */
  upToDate: boolean;
}

export interface LoginItemStatus {
  enabled: boolean;
  mechanism: LoginItemMechanism | null;
  path: string | null;
  upToDate: boolean;
  entries: LoginItemEntryStatus[];
}

function moduleDir(): string {
  return path.dirname(fileURLToPath(import.meta.url));
}

/** dist/desktop/login-item.js → dist/main.js. */
export function defaultScriptPath(): string {
  return path.resolve(moduleDir(), '..', 'main.js');
}

interface Resolved {
  platform: NodeJS.Platform;
  spec: LoginItemSpec;
  configHome: string;
  run: CommandRunner;
  log: Logger;
  activate: boolean;
  uid: number;
}

function resolveOptions(opts: LoginItemOptions): Resolved {
  const home = opts.home ?? os.homedir();
  const envConfig = process.env.XDG_CONFIG_HOME;
  // An injected home means "this home": do not mix in the caller's environment.
  const configHome = opts.configHome ?? (opts.home === undefined && envConfig && path.isAbsolute(envConfig) ? envConfig : path.join(home, '.config'));
  const spec: LoginItemSpec = {
    execPath: opts.execPath ?? process.execPath,
    scriptPath: opts.scriptPath ?? defaultScriptPath(),
    dataDir: opts.dataDir,
    home,
    iconPath: opts.iconPath ?? path.resolve(moduleDir(), '..', '..', 'assets', 'tray', 'linux', 'idle-44.png'),
  };
  checkSpec(spec);
  return {
    platform: opts.platform ?? process.platform,
    spec,
    configHome,
    run: opts.run ?? execRunner,
    log: opts.logger ?? silentLogger,
    activate: opts.activate ?? true,
    uid: opts.uid ?? process.getuid?.() ?? 0,
  };
}

function paths(r: Resolved): Record<LoginItemMechanism, string> {
  return {
    'xdg-autostart': path.join(r.configHome, 'autostart', `${LOGIN_ITEM_ID}.desktop`),
    systemd: path.join(r.configHome, 'systemd', 'user', SYSTEMD_UNIT_NAME),
    launchd: path.join(r.spec.home, 'Library', 'LaunchAgents', `${LAUNCH_AGENT_LABEL}.plist`),
  };
}

function render(mechanism: LoginItemMechanism, spec: LoginItemSpec): string {
  if (mechanism === 'xdg-autostart') return renderDesktopEntry(spec);
  if (mechanism === 'systemd') return renderSystemdUnit(spec);
  return renderLaunchAgentPlist(spec);
}

function mechanismsFor(platform: NodeJS.Platform): LoginItemMechanism[] {
  if (platform === 'darwin') return ['launchd'];
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') return ['xdg-autostart', 'systemd'];
  throw new Error(`start at login is not supported on ${platform}`);
}

/** Atomic, so a crash never leaves half a file to be run at login; 0644 as the desktop expects of such files. */
const writeAtomic = (file: string, content: string): Promise<void> => writeFileAtomic(file, content, { mode: 0o644 });

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    return null;
  }
}

async function runChecked(r: Resolved, commands: string[][], cmd: string[], allowFailure = false): Promise<CommandResult> {
  commands.push(cmd);
  const res = await r.run(cmd[0], cmd.slice(1));
  if (res.code !== 0) {
    if (!allowFailure) throw new Error(`${cmd.join(' ')} failed (exit ${res.code}): ${res.stderr.trim() || res.stdout.trim()}`);
    r.log.debug({ cmd, code: res.code, stderr: res.stderr.trim() }, 'command failed (ignored)');
  }
  return res;
}

export async function enableLoginItem(opts: LoginItemOptions): Promise<LoginItemResult> {
  const r = resolveOptions(opts);
  const p = paths(r);
  const commands: string[][] = [];
  mechanismsFor(r.platform);
  if (opts.verifyPaths !== false) {
    // A login item pointing at nothing fails silently at the next login: refuse now.
    for (const [what, file] of [
      ['node', r.spec.execPath],
      ['main.js', r.spec.scriptPath],
    ] as const) {
      try {
        await fsp.access(file);
      } catch {
        throw new Error(`${what} not found at ${file}${what === 'main.js' ? ' (run `npm run build`?)' : ''}`);
      }
    }
  }
  if (r.platform === 'darwin') {
    // launchd creates the log files but not their folder.
    await fsp.mkdir(path.dirname(launchdLogPaths(r.spec.dataDir).out), { recursive: true });
    await writeAtomic(p.launchd, renderLaunchAgentPlist(r.spec));
    if (r.activate) {
      const domain = `gui/${r.uid}`;
      // bootstrap refuses a loaded job; unload the old definition first (fails harmlessly if none).
      await runChecked(r, commands, ['launchctl', 'bootout', `${domain}/${LAUNCH_AGENT_LABEL}`], true);
      await runChecked(r, commands, ['launchctl', 'bootstrap', domain, p.launchd]);
    }
    r.log.info({ path: p.launchd }, 'login item enabled (launchd)');
    return { mechanism: 'launchd', path: p.launchd, commands };
  }

  const mechanism: LoginItemMechanism = opts.systemd ? 'systemd' : 'xdg-autostart';
  const other: LoginItemMechanism = opts.systemd ? 'xdg-autostart' : 'systemd';
  // One mechanism at a time, or the daemon would start twice.
  if ((await readOrNull(p[other])) !== null) await disableMechanism(r, other, p[other], commands);
  await writeAtomic(p[mechanism], render(mechanism, r.spec));
  if (mechanism === 'systemd') {
    await runChecked(r, commands, ['systemctl', '--user', 'daemon-reload']);
    await runChecked(r, commands, ['systemctl', '--user', 'enable', ...(r.activate ? ['--now'] : []), SYSTEMD_UNIT_NAME]);
  }
  r.log.info({ path: p[mechanism], mechanism }, 'login item enabled');
  return { mechanism, path: p[mechanism], commands };
}

async function disableMechanism(r: Resolved, m: LoginItemMechanism, file: string, commands: string[][]): Promise<void> {
  if (m === 'launchd' && r.activate) {
    // Exit 3/113 when not loaded: fine.
    await runChecked(r, commands, ['launchctl', 'bootout', `gui/${r.uid}/${LAUNCH_AGENT_LABEL}`], true);
  }
  if (m === 'systemd') {
    await runChecked(r, commands, ['systemctl', '--user', 'disable', ...(r.activate ? ['--now'] : []), SYSTEMD_UNIT_NAME], true);
  }
  await fsp.rm(file, { force: true });
  if (m === 'systemd') await runChecked(r, commands, ['systemctl', '--user', 'daemon-reload'], true);
}

/** Removes every mechanism's file that exists (Linux: both XDG and systemd). */
export async function disableLoginItem(opts: LoginItemOptions): Promise<LoginItemResult[]> {
  const r = resolveOptions(opts);
  const p = paths(r);
  const done: LoginItemResult[] = [];
  for (const m of mechanismsFor(r.platform)) {
    if ((await readOrNull(p[m])) === null) continue;
    const commands: string[][] = [];
    await disableMechanism(r, m, p[m], commands);
    done.push({ mechanism: m, path: p[m], commands });
    r.log.info({ path: p[m], mechanism: m }, 'login item disabled');
  }
  return done;
}

/** Whether an XDG autostart file actually starts anything. */
function desktopEntryActive(content: string): boolean {
  const get = (key: string): string | undefined => {
    const m = new RegExp(`^${key}\\s*=\\s*(.*)$`, 'm').exec(content);
    return m?.[1].trim();
  };
  return get('Hidden') !== 'true' && get('X-GNOME-Autostart-enabled') !== 'false';
}

export async function loginItemStatus(opts: LoginItemOptions): Promise<LoginItemStatus> {
  const r = resolveOptions(opts);
  const p = paths(r);
  const entries: LoginItemEntryStatus[] = [];
  for (const m of mechanismsFor(r.platform)) {
    const content = await readOrNull(p[m]);
    entries.push({
      mechanism: m,
      path: p[m],
      exists: content !== null,
      active: content !== null && (m !== 'xdg-autostart' || desktopEntryActive(content)),
      upToDate: content === render(m, r.spec),
    });
  }
  const on = entries.find((e) => e.active);
  return {
    enabled: !!on,
    mechanism: on?.mechanism ?? null,
    path: on?.path ?? null,
    upToDate: on?.upToDate ?? false,
    entries,
  };
}
