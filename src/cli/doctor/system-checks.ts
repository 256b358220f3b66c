/** Checks of this machine: Node, Claude Code and its login, the desktop (tray, notifications, Rosetta), the login item. */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/defaults.js';
import { type LoginItemStatus, loginItemStatus } from '../../desktop/login-item.js';
import { systray2PackageDir, trayBinaryName } from '../../desktop/tray-process.js';
import { buildChildEnv } from '../../engine/child-env.js';
import { claudeVersion, findClaude } from '../../engine/claude-binary.js';
import { describeFloor, floorsAbove, readModelFloors, UPGRADE_HINT } from '../../engine/model-floors.js';
import { type CheckResult, type DoctorEnv, fail, pass, skip, warn } from './types.js';

export function checkNode(d: DoctorEnv): CheckResult {
  const major = Number(d.nodeVersion.replace(/^v/, '').split('.')[0]);
  return major >= 20
    ? pass('node', 'Node.js', `${d.nodeVersion} (20 or newer needed)`)
    : fail('node', 'Node.js', `${d.nodeVersion} is too old`, 'install Node.js 20 or newer (https://nodejs.org), then reinstall maxproxy');
}

export interface ClaudeFound {
  path?: string;
  version?: string;
  result: CheckResult;
}

export async function checkClaude(config: Config, d: DoctorEnv): Promise<ClaudeFound> {
  const title = 'Claude Code';
  try {
    const bin = findClaude(config.claudePath || undefined, d.env);
    const version = await claudeVersion(bin.path, { PATH: d.env.PATH ?? '', HOME: d.env.HOME ?? d.home });
    if (version === 'unknown')
      return {
        result: fail(
          'claude',
          title,
          `${bin.path} did not answer --version`,
          'reinstall maxproxy (it bundles Claude Code) or pass --claude-path to a working `claude`',
        ),
      };
    return { path: bin.path, version, result: pass('claude', title, `${version} (${bin.source}: ${bin.path})`) };
  } catch (e) {
    return { result: fail('claude', title, (e as Error).message, 'reinstall maxproxy (it bundles Claude Code) or pass --claude-path "$(command -v claude)"') };
  }
}

interface AuthStatus {
  loggedIn?: boolean;
  authMethod?: string;
  apiKeySource?: string;
}

/** `claude auth status --json` in exactly the environment maxproxy gives the CLI. */
export async function checkLogin(config: Config, claudePath: string | undefined, d: DoctorEnv): Promise<CheckResult> {
  const title = 'Claude login';
  if (!claudePath) return skip('login', title, 'not checked: Claude Code was not found');
  const env = { ...buildChildEnv(d.env, { explicit: config.claudeEnv, maxRetries: config.cliMaxRetries }), ...config.claudeEnv };
  const r = await d.run(claudePath, ['auth', 'status', '--json'], env, 30_000);
  let s: AuthStatus;
  try {
    s = JSON.parse(r.stdout) as AuthStatus;
  } catch {
    return fail('login', title, `\`claude auth status\` gave no answer (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`, 'run `maxproxy login`');
  }
  if (!s.loggedIn) {
    return fail(
      'login',
      title,
      'Claude Code is not logged in (for the user maxproxy runs as)',
      'run `maxproxy login` (or `claude auth login`) as this user, then check again',
    );
  }
  const ignored = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'].filter((k) => d.env[k] && !config.claudeEnv[k]);
  const note = ignored.length ? `; ${ignored.join(' and ')} in your environment ${ignored.length > 1 ? 'are' : 'is'} not passed to Claude Code` : '';
  if (s.authMethod === 'api_key') {
    return warn(
      'login',
      title,
      `logged in with an API key${s.apiKeySource ? ` (${s.apiKeySource})` : ''}: every request is billed to the Anthropic API, not your subscription`,
      `remove the key from --claude-env/settings and log in with your subscription: \`maxproxy login\``,
    );
  }
  return pass('login', title, `logged in with your subscription (${s.authMethod ?? 'unknown method'})${note}`);
}

const hasOnPath = (name: string, env: NodeJS.ProcessEnv) => (env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, name)));

async function dbusHasName(d: DoctorEnv, name: string): Promise<boolean | undefined> {
  if (!d.env.DBUS_SESSION_BUS_ADDRESS) return undefined;
  const ask = async (method: string) =>
    d.run(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        `org.freedesktop.DBus.${method}`,
        ...(method === 'NameHasOwner' ? [`string:${name}`] : []),
      ],
      d.env,
      5_000,
    );
  const owner = await ask('NameHasOwner');
  if (owner.code !== 0) return undefined;
  if (/boolean true/.test(owner.stdout)) return true;
  const activatable = await ask('ListActivatableNames');
  return activatable.code === 0 && activatable.stdout.includes(`"${name}"`);
}

/** Display, tray binary, tray host and libraries; notifications; Rosetta on Apple silicon. */
export async function checkDesktop(config: Config, d: DoctorEnv): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  if (config.headless) {
    out.push(skip('tray', 'Tray', 'headless by choice (--headless or MAXPROXY_HEADLESS)'));
    out.push(skip('notifications', 'Notifications', 'headless by choice'));
    return out;
  }
  const linux = d.platform === 'linux';
  const display = d.platform === 'darwin' || Boolean(d.env.DISPLAY || d.env.WAYLAND_DISPLAY);
  if (!display && d.platform !== 'win32') {
    // No display is a server or an SSH session: the daemon runs without a tray there, which is not a fault.
    out.push(skip('tray', 'Tray', 'headless: no display (DISPLAY and WAYLAND_DISPLAY are unset); status is in `maxproxy status` and the dashboard'));
    out.push(skip('notifications', 'Notifications', 'not checked: no display'));
    return out;
  }
  let binary: string | undefined;
  try {
    binary = path.join(systray2PackageDir(), 'traybin', trayBinaryName(d.platform, d.arch));
  } catch (e) {
    out.push(fail('tray', 'Tray', (e as Error).message, 'run with --headless; status is in `maxproxy status`'));
  }
  if (binary) {
    const problems: string[] = [];
    const fixes: string[] = [];
    if (!fs.existsSync(binary)) {
      problems.push(`the tray program ${binary} is missing`);
      fixes.push('reinstall maxproxy');
    }
    if (linux) {
      const libs = await d.run('ldconfig', ['-p'], d.env, 5_000);
      if (libs.code === 0) {
        const missing = ['libgtk-3.so.0', 'appindicator3.so.1'].filter((l) => !libs.stdout.includes(l));
        if (missing.length) {
          problems.push(`missing libraries: ${missing.join(', ')}`);
          fixes.push('install them: `sudo apt install libgtk-3-0 libayatana-appindicator3-1` (Fedora: `sudo dnf install gtk3 libayatana-appindicator-gtk3`)');
        }
      }
    }
    if (problems.length) out.push(fail('tray', 'Tray', problems.join('; '), fixes.join('; ')));
    else if (linux) {
      const host = await dbusHasName(d, 'org.kde.StatusNotifierWatcher');
      out.push(
        host === false
          ? warn(
              'tray',
              'Tray',
              'display and libraries present, but no StatusNotifier tray host is running (an XEmbed tray may still show the icon)',
              'GNOME: install the "AppIndicator and KStatusNotifierItem Support" extension; other desktops: enable the system tray',
            )
          : pass(
              'tray',
              'Tray',
              `display ${d.env.WAYLAND_DISPLAY ? `wayland ${d.env.WAYLAND_DISPLAY}` : d.env.DISPLAY}, tray program and libraries present${host ? ', tray host running' : ''}`,
            ),
      );
    } else out.push(pass('tray', 'Tray', 'menu bar available'));
  }
  if (!linux) out.push(pass('notifications', 'Notifications', 'shown by the system'));
  else if (!display) out.push(skip('notifications', 'Notifications', 'not checked: no display'));
  else if (!hasOnPath('notify-send', d.env))
    out.push(
      fail(
        'notifications',
        'Notifications',
        '`notify-send` is not installed',
        'install it: `sudo apt install libnotify-bin` (Fedora: `sudo dnf install libnotify`)',
      ),
    );
  else {
    const daemon = await dbusHasName(d, 'org.freedesktop.Notifications');
    if (daemon === undefined)
      out.push(
        fail(
          'notifications',
          'Notifications',
          'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)',
          'start maxproxy inside your desktop session (or under `dbus-run-session`)',
        ),
      );
    else if (!daemon)
      out.push(
        fail(
          'notifications',
          'Notifications',
          'no notification daemon on the session bus',
          'install and start one: `sudo apt install dunst` (desktops such as GNOME and KDE bring their own)',
        ),
      );
    else out.push(pass('notifications', 'Notifications', 'notify-send and a notification daemon are available'));
  }
  if (d.platform === 'darwin' && d.arch === 'arm64') {
    const r = await d.run('/usr/bin/arch', ['-x86_64', '/usr/bin/true'], d.env, 10_000);
    out.push(
      r.code === 0
        ? pass('rosetta', 'Rosetta 2', 'installed (the tray program is x86-64)')
        : fail(
            'rosetta',
            'Rosetta 2',
            'not installed: the tray program is x86-64 and cannot start',
            'run `softwareupdate --install-rosetta --agree-to-license`',
          ),
    );
  }
  return out;
}

export async function checkLoginItem(config: Config, d: DoctorEnv, status?: () => Promise<LoginItemStatus>): Promise<CheckResult> {
  const title = 'Start at login';
  try {
    const configHome = d.env.XDG_CONFIG_HOME && path.isAbsolute(d.env.XDG_CONFIG_HOME) ? d.env.XDG_CONFIG_HOME : undefined;
    const s = await (status ?? (() => loginItemStatus({ dataDir: config.dataDir, home: d.home, configHome, platform: d.platform })))();
    if (!s.enabled)
      return warn(
        'login-item',
        title,
        'maxproxy does not start at login',
        'run `maxproxy login-item enable` (Linux: add --systemd to have it restarted after a crash)',
      );
    if (!s.upToDate)
      return warn('login-item', title, `${s.mechanism} entry ${s.path} is out of date (node or maxproxy moved)`, 'run `maxproxy login-item enable` again');
    return pass('login-item', title, `enabled (${s.mechanism}: ${s.path})`);
  } catch (e) {
    return skip('login-item', title, (e as Error).message);
  }
}

/** Says whether the daemon fetches web pages from this machine for clients (docs/decisions/095). */
export function checkWebFetch(config: Config): CheckResult {
  return pass(
    'web-fetch',
    'Web fetch',
    config.allowWebFetch
      ? "on (--allow-web-fetch): Anthropic clients' web_fetch tool fetches from this machine, public addresses only"
      : "off: Anthropic clients' web_fetch tool is ignored (turn on with --allow-web-fetch or allowWebFetch in settings.json)",
  );
}

/**
 * Models the upstream refused as needing a newer Claude Code than the one in use (the
 * daemon records each refusal; the pinned CLI has no table of per-model minimum versions).
 */
export function checkModelFloors(config: Config, claudeVersion: string | undefined): CheckResult {
  const title = 'Model versions';
  if (!claudeVersion) return skip('model-floors', title, 'not checked: Claude Code was not found');
  const below = floorsAbove(readModelFloors(config.dataDir), claudeVersion);
  if (below.length === 0) return pass('model-floors', title, `no model has been refused as needing a newer Claude Code than ${claudeVersion}`);
  return warn('model-floors', title, below.map((f) => describeFloor(f, claudeVersion)).join('; '), UPGRADE_HINT);
}
