/**
 * What a login item says: the program it runs and the three files that say it (XDG desktop
 * entry, systemd user unit, LaunchAgent plist), each rendered by a pure function tested for
 * exact output. Installing them is login-item.ts.
 */
import path from 'node:path';
import { DAEMON_NODE_FLAGS } from '../config/node-flags.js';

export const LOGIN_ITEM_ID = 'maxproxy';
export const LAUNCH_AGENT_LABEL = 'dev.maxproxy.daemon';
export const SYSTEMD_UNIT_NAME = `${LOGIN_ITEM_ID}.service`;
const DESCRIPTION = 'Use your Claude subscription from OpenAI/Anthropic-compatible tools';

export interface LoginItemSpec {
  /** Absolute path of node (process.execPath). */
  execPath: string;
  /** Absolute path of dist/main.js. */
  scriptPath: string;
  /** Absolute data directory, passed as --data-dir. */
  dataDir: string;
  /** Absolute home directory (for PATH entries). */
  home: string;
  /** Absolute path of an icon for the autostart entry (optional). */
  iconPath?: string;
}

function checkPath(what: string, p: string): void {
  if (!path.isAbsolute(p)) throw new Error(`${what} must be an absolute path: ${JSON.stringify(p)}`);
  // No file format here can carry these unambiguously; such a path is a mistake anyway.
  if (/[\u0000-\u001f\u007f]/.test(p)) throw new Error(`${what} contains a control character: ${JSON.stringify(p)}`);
}

export function checkSpec(spec: LoginItemSpec): void {
  checkPath('execPath', spec.execPath);
  checkPath('scriptPath', spec.scriptPath);
  checkPath('dataDir', spec.dataDir);
  checkPath('home', spec.home);
  if (spec.iconPath !== undefined) checkPath('iconPath', spec.iconPath);
}

/** The command line every mechanism runs (node with the daemon's V8 flags, as the bin's shebang has them). */
export function loginItemArgs(spec: LoginItemSpec): string[] {
  return [spec.execPath, ...DAEMON_NODE_FLAGS, spec.scriptPath, '--data-dir', spec.dataDir];
}

/**
 * PATH for the daemon: login sessions (launchd, systemd, some desktop sessions) have a
 * minimal PATH, and the CLI is usually in one of these. Node's own folder comes first so
 * an npm-installed `claude` (a `#!/usr/bin/env node` script) finds node.
 */
export function loginItemPath(spec: Pick<LoginItemSpec, 'execPath' | 'home'>): string {
  const dirs = [
    path.dirname(spec.execPath),
    path.join(spec.home, '.local', 'bin'),
    path.join(spec.home, '.claude', 'local'),
    '/usr/local/bin',
    '/opt/homebrew/bin',
    '/usr/bin',
    '/bin',
    '/usr/sbin',
    '/sbin',
  ];
  return [...new Set(dirs)].join(':');
}

// ---------------------------------------------------------------------------------------
// XDG Desktop Entry (https://specifications.freedesktop.org/desktop-entry-spec/latest/)

const DESKTOP_RESERVED = /[ \t\n"'\\><~|&;$*?#()`]/;

/**
 * One Exec argument. Desktop Entry spec, "The Exec key": an argument holding a reserved
 * character is double-quoted, and inside the quotes `"`, `` ` ``, `$` and `\` take a
 * backslash; `%` is written `%%` (field codes). Then the value is a string, whose own
 * escaping doubles every backslash ("a literal dollar sign in a quoted argument is
 * unambiguously represented with \\$").
 */
export function desktopExecArg(arg: string): string {
  let quoted = arg === '' || DESKTOP_RESERVED.test(arg) ? `"${arg.replace(/["`$\\]/g, '\\$&')}"` : arg;
  quoted = quoted.replace(/%/g, '%%');
  return quoted.replace(/\\/g, '\\\\');
}

/** A plain string value (Name, Icon...): backslash and leading space are escaped. */
function desktopString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/^ /, '\\s');
}

export function renderDesktopEntry(spec: LoginItemSpec): string {
  checkSpec(spec);
  const lines = [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.4',
    'Name=maxproxy',
    `Comment=${DESCRIPTION}`,
    `Exec=${loginItemArgs(spec).map(desktopExecArg).join(' ')}`,
  ];
  if (spec.iconPath) lines.push(`Icon=${desktopString(spec.iconPath)}`);
  lines.push('Terminal=false', 'X-GNOME-Autostart-enabled=true');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------
// systemd (systemd.service(5) "Command lines", systemd.syntax(7) "Quoting", systemd.unit(5) specifiers)

/**
 * One ExecStart word: always double-quoted; inside, `\` and `"` are C-escaped; `%` is
 * written `%%` (specifiers) and `$` is written `$$` (ExecStart expands $VAR and ${VAR}).
 */
export function systemdExecArg(arg: string): string {
  return `"${arg.replace(/[\\"]/g, '\\$&').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** One Environment= assignment: quoted, C-escaped, `%%`; Environment= does not expand `$`. */
export function systemdEnvAssignment(name: string, value: string): string {
  return `"${`${name}=${value}`.replace(/[\\"]/g, '\\$&').replace(/%/g, '%%')}"`;
}

export function renderSystemdUnit(spec: LoginItemSpec): string {
  checkSpec(spec);
  return [
    '[Unit]',
    `Description=maxproxy: ${DESCRIPTION}`,
    // Tray mode needs the desktop session's display; bind to it.
    'PartOf=graphical-session.target',
    'After=graphical-session.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${loginItemArgs(spec).map(systemdExecArg).join(' ')}`,
    `Environment=${systemdEnvAssignment('PATH', loginItemPath(spec))}`,
    'Restart=on-failure',
    'RestartSec=5',
    '',
    '[Install]',
    'WantedBy=graphical-session.target',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------
// launchd (launchd.plist(5))

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function launchdLogPaths(dataDir: string): { out: string; err: string } {
  return { out: path.join(dataDir, 'logs', 'launchd.out.log'), err: path.join(dataDir, 'logs', 'launchd.err.log') };
}

export function renderLaunchAgentPlist(spec: LoginItemSpec): string {
  checkSpec(spec);
  const s = (v: string): string => `<string>${xmlEscape(v)}</string>`;
  const logs = launchdLogPaths(spec.dataDir);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    '\t<key>Label</key>',
    `\t${s(LAUNCH_AGENT_LABEL)}`,
    '\t<key>ProgramArguments</key>',
    '\t<array>',
    ...loginItemArgs(spec).map((a) => `\t\t${s(a)}`),
    '\t</array>',
    '\t<key>RunAtLoad</key>',
    '\t<true/>',
    // Restart after a crash, not after a deliberate Quit (exit 0).
    '\t<key>KeepAlive</key>',
    '\t<dict>',
    '\t\t<key>SuccessfulExit</key>',
    '\t\t<false/>',
    '\t</dict>',
    // A menu bar app: no background-job throttling.
    '\t<key>ProcessType</key>',
    '\t<string>Interactive</string>',
    '\t<key>EnvironmentVariables</key>',
    '\t<dict>',
    '\t\t<key>PATH</key>',
    `\t\t${s(loginItemPath(spec))}`,
    '\t</dict>',
    '\t<key>StandardOutPath</key>',
    `\t${s(logs.out)}`,
    '\t<key>StandardErrorPath</key>',
    `\t${s(logs.err)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
