/**
 * End-to-end checks of the desktop layer against the real tools, on Linux:
 * - the generated login-item files pass desktop-file-validate / systemd-analyze verify /
 *   plistlib, and `gio launch` of the .desktop file runs exactly our argv;
 * - the shipped tray binary under Xvfb + trayer shows our menu, and a real click (xdotool)
 *   comes back as the item's string id;
 * - notifications reach org.freedesktop.Notifications (dunst), and a missing daemon is
 *   logged once, not thrown.
 *
 * Part of the desktop e2e suite (`npm run test:desktop`, not `npm test`). It always runs
 * there: a missing tool FAILS the suite, naming the package. Debian/Ubuntu:
 *   apt-get install -y desktop-file-utils libglib2.0-bin systemd python3 xvfb trayer \
 *     xdotool x11-utils imagemagick libgtk-3-0 libayatana-appindicator3-1 libnotify-bin dunst dbus
 * Screenshots go to test-artifacts/desktop-e2e-tray/.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_NODE_FLAGS } from '../config/node-flags.js';
import { StatusStore } from '../status/store.js';
import type { Logger } from './logger.js';
import { type LoginItemSpec, loginItemPath, renderDesktopEntry, renderLaunchAgentPlist, renderSystemdUnit } from './login-item.js';
import { buildMenu, DEFAULT_THRESHOLDS, type MenuPrefs } from './menu-model.js';
import { CoalescingNotifier, createNodeNotifierBackend } from './notifier.js';
import { defaultAssetsDir, loadTrayIcons } from './tray.js';
import { TrayProcess } from './tray-process.js';

const run = promisify(execFile);
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts', 'desktop-e2e-tray');

const TOOLS: Record<string, string> = {
  'desktop-file-validate': 'desktop-file-utils',
  gio: 'libglib2.0-bin',
  'systemd-analyze': 'systemd',
  python3: 'python3',
  Xvfb: 'xvfb',
  trayer: 'trayer',
  xdotool: 'xdotool',
  xwininfo: 'x11-utils',
  import: 'imagemagick',
  'notify-send': 'libnotify-bin',
  dunst: 'dunst',
  'dbus-daemon': 'dbus',
  'dbus-monitor': 'dbus',
};

function requireTools(names: string[]): void {
  const missing = names.filter((n) => spawnSync('sh', ['-c', `command -v ${n}`]).status !== 0);
  if (missing.length) {
    throw new Error(`e2e needs ${missing.join(', ')}: apt-get install -y ${[...new Set(missing.map((m) => TOOLS[m]))].join(' ')}`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const started: ChildProcess[] = [];
function start(cmd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(c);
  return c;
}
afterAll(() => {
  for (const c of started.reverse()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
});

/** A private session bus; activation gets only the env given here. */
async function privateBus(env: NodeJS.ProcessEnv): Promise<string> {
  const bus = start('dbus-daemon', ['--session', '--nofork', '--print-address=1'], env);
  let out = '';
  bus.stdout!.on('data', (d) => (out += d));
  return waitFor('dbus address', () => (out.includes('\n') ? out.trim().split('\n')[0] : undefined));
}

describe('desktop e2e (Linux)', () => {
  beforeAll(() => {
    if (process.platform !== 'linux') throw new Error(`the desktop e2e suite runs on Linux (Xvfb); this is ${process.platform}`);
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  describe('login item files', () => {
    // Paths with a space, quotes, `$`, `%`, `&`, `<`, `>` and a backslash.
    let root: string;
    let spec: LoginItemSpec;
    let argvFile: string;

    beforeAll(() => {
      requireTools(['desktop-file-validate', 'gio', 'systemd-analyze', 'python3']);
      root = mkdtempSync(path.join(os.tmpdir(), 'maxproxy e2e '));
      const home = path.join(root, 'home/a&b <x>');
      spec = {
        execPath: path.join(root, 'opt/node 20/bin/node'),
        scriptPath: path.join(home, `it's "q" $HOME 100%/dist/main.js`),
        dataDir: path.join(home, String.raw`data \ dir`),
        home,
        iconPath: path.join(defaultAssetsDir(), 'tray/linux/idle-44.png'),
      };
      argvFile = path.join(root, 'argv.txt');
      mkdirSync(path.dirname(spec.execPath), { recursive: true });
      // A stand-in "node" that records the argv it was given.
      writeFileSync(spec.execPath, `#!/bin/sh\nfor a in "$0" "$@"; do printf '%s\\n' "$a"; done > '${argvFile}'\n`);
      chmodSync(spec.execPath, 0o755);
    });

    it('the .desktop file passes desktop-file-validate', async () => {
      const file = path.join(root, 'maxproxy.desktop');
      writeFileSync(file, renderDesktopEntry(spec));
      const r = spawnSync('desktop-file-validate', [file], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    });

    it('gio launch runs exactly our argv from the Exec line', async () => {
      const file = path.join(root, 'maxproxy.desktop');
      writeFileSync(file, renderDesktopEntry(spec));
      await run('gio', ['launch', file], { env: { ...process.env, DISPLAY: '' } });
      const argv = await waitFor('argv file', () => (existsSync(argvFile) ? readFileSync(argvFile, 'utf8') : undefined));
      expect(argv.split('\n').slice(0, -1)).toEqual([spec.execPath, ...DAEMON_NODE_FLAGS, spec.scriptPath, '--data-dir', spec.dataDir]);
    });

    it('the systemd unit passes systemd-analyze verify', async () => {
      const file = path.join(root, 'maxproxy.service');
      writeFileSync(file, renderSystemdUnit(spec));
      const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });

    it('the plist parses back to our values (plistlib)', async () => {
      const file = path.join(root, 'dev.maxproxy.daemon.plist');
      writeFileSync(file, renderLaunchAgentPlist(spec));
      const { stdout } = await run('python3', ['-c', 'import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))', file]);
      expect(JSON.parse(stdout)).toEqual({
        Label: 'dev.maxproxy.daemon',
        ProgramArguments: [spec.execPath, ...DAEMON_NODE_FLAGS, spec.scriptPath, '--data-dir', spec.dataDir],
        RunAtLoad: true,
        KeepAlive: { SuccessfulExit: false },
        ProcessType: 'Interactive',
        EnvironmentVariables: { PATH: loginItemPath(spec) },
        StandardOutPath: path.join(spec.dataDir, 'logs/launchd.out.log'),
        StandardErrorPath: path.join(spec.dataDir, 'logs/launchd.err.log'),
      });
    });
  });

  describe('tray and notifications under Xvfb', () => {
    const display = `:${120 + (process.pid % 200)}`;
    let env: NodeJS.ProcessEnv;
    let dataDir: string;

    beforeAll(async () => {
      requireTools(['Xvfb', 'trayer', 'xdotool', 'xwininfo', 'import', 'notify-send', 'dunst', 'dbus-daemon', 'dbus-monitor']);
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'maxproxy-e2e-data-'));
      start('Xvfb', [display, '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], process.env);
      await waitFor('Xvfb', () => (existsSync(`/tmp/.X11-unix/X${display.slice(1)}`) ? true : undefined));
      // Activation from this bus gets no DISPLAY: a notification daemon is there only if we start one.
      const bus = await privateBus({ PATH: process.env.PATH, HOME: process.env.HOME });
      env = { ...process.env, DISPLAY: display, DBUS_SESSION_BUS_ADDRESS: bus };
      start('trayer', ['--edge', 'top', '--align', 'right', '--widthtype', 'request', '--height', '24'], env);
      await sleep(500);
    }, 30_000);

    it('shows the menu; a real click comes back as the string id', async () => {
      const store = new StatusStore('0.1.0');
      store.setServer({ state: 'running', port: 3456 });
      store.setClaude({ version: '2.1.330', login: 'logged_in' });
      const prefs: MenuPrefs = { startAtLogin: false, notifications: true, port: 3456, portPresets: [3456, 8080], thresholds: DEFAULT_THRESHOLDS };
      const icons = await loadTrayIcons(defaultAssetsDir(), 'linux');
      const tray = await TrayProcess.start(buildMenu(store.snapshot(), prefs, Date.now()), icons, { dataDir, env });
      try {
        // The tray binary's icon window is embedded in trayer; find where it is.
        const geo = await waitFor('tray icon window', async () => {
          const { stdout } = await run('xwininfo', ['-root', '-tree'], { env });
          const m = /\("systray" "systray"\)\s+(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(\d+)\+(\d+)/.exec(stdout);
          return m ? m.slice(1).map(Number) : undefined;
        });
        const [w, h, x, y] = geo;
        const clicked = new Promise<string>((resolve) => tray.once('click', resolve));
        await run('xdotool', ['mousemove', String(x + w / 2), String(y + h / 2), 'click', '1'], { env });
        await sleep(700);
        const shot = path.join(ARTIFACTS, 'menu.png');
        await run('import', ['-window', 'root', shot], { env });
        console.log(`tray menu screenshot: ${shot}`);
        // Keyboard: the first enabled, visible item is "Start at login".
        await run('xdotool', ['key', 'Down'], { env });
        await sleep(200);
        await run('xdotool', ['key', 'Return'], { env });
        expect(await Promise.race([clicked, sleep(5000).then(() => 'no click')])).toBe('toggle-login');

        // Updates go through while running (checked flips to "✓ Start at login").
        expect(tray.update(buildMenu(store.snapshot(), { ...prefs, startAtLogin: true }, Date.now()), icons)).toBe(true);
        await sleep(300);
        expect(tray.running).toBe(true);
      } finally {
        const exit = await tray.stop();
        expect(exit.expected).toBe(true);
      }
    }, 60_000);

    it('a session slot shown by an update opens its submenu and ends the session', async () => {
      const store = new StatusStore('0.1.0');
      store.setServer({ state: 'running', port: 3456 });
      const prefs: MenuPrefs = { startAtLogin: true, notifications: true, port: 3456, portPresets: [3456], thresholds: DEFAULT_THRESHOLDS };
      const icons = await loadTrayIcons(defaultAssetsDir(), 'linux');
      // Start with every session slot hidden, then show one (the path the binary's
      // "hiding a parent loses its submenu" issue would break).
      const tray = await TrayProcess.start(buildMenu(store.snapshot(), prefs, Date.now()), icons, { dataDir, env });
      try {
        await sleep(300);
        store.upsertSession({
          id: 's1',
          client: 'OpenClaw',
          model: 'claude-sonnet-5-5',
          turns: 3,
          inputTokens: 1200,
          outputTokens: 300,
          lastActivity: Date.now(),
          state: 'idle',
        });
        expect(tray.update(buildMenu(store.snapshot(), prefs, Date.now()), icons)).toBe(true);
        await sleep(300);
        const geo = await waitFor('tray icon window', async () => {
          const { stdout } = await run('xwininfo', ['-root', '-tree'], { env });
          const m = /\("systray" "systray"\)\s+(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(\d+)\+(\d+)/.exec(stdout);
          return m ? m.slice(1).map(Number) : undefined;
        });
        const [w, h, x, y] = geo;
        const clicked = new Promise<string>((resolve) => tray.once('click', resolve));
        await run('xdotool', ['mousemove', String(x + w / 2), String(y + h / 2), 'click', '1'], { env });
        await sleep(700);
        // First enabled item is the session; Right opens its submenu on "End session".
        await run('xdotool', ['key', 'Down'], { env });
        await sleep(200);
        await run('xdotool', ['key', 'Right'], { env });
        await sleep(400);
        const shot = path.join(ARTIFACTS, 'session-submenu.png');
        await run('import', ['-window', 'root', shot], { env });
        console.log(`tray session submenu screenshot: ${shot}`);
        await run('xdotool', ['key', 'Return'], { env });
        expect(await Promise.race([clicked, sleep(5000).then(() => 'no click')])).toBe('session-end:s1');
      } finally {
        await tray.stop();
      }
    }, 60_000);

    it('a notification reaches the notification daemon', async () => {
      const dunst = start('dunst', [], env);
      await sleep(700);
      const monitor = start('dbus-monitor', ["interface='org.freedesktop.Notifications'"], env);
      let seen = '';
      monitor.stdout!.on('data', (d) => (seen += d));
      await sleep(500);
      const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
      process.env.DBUS_SESSION_BUS_ADDRESS = env.DBUS_SESSION_BUS_ADDRESS;
      try {
        await createNodeNotifierBackend().send({ title: 'maxproxy e2e', message: '3 requests timed out' });
      } finally {
        process.env.DBUS_SESSION_BUS_ADDRESS = saved;
      }
      await waitFor('Notify on the bus', () => (seen.includes('3 requests timed out') ? true : undefined), 5000);
      expect(seen).toContain('maxproxy e2e');
      dunst.kill('SIGTERM');
    }, 30_000);

    it('no notification daemon: logged once, never thrown', async () => {
      // A bus with no daemon and no display for activation.
      const bus = await privateBus({ PATH: process.env.PATH, HOME: process.env.HOME });
      const warns: object[] = [];
      const log: Logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (o) => void warns.push(o) };
      const n = new CoalescingNotifier({ backend: createNodeNotifierBackend(), logger: log, gatherMs: 10 });
      const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
      process.env.DBUS_SESSION_BUS_ADDRESS = bus;
      try {
        n.notify('a', 't', 'm');
        n.notify('b', 't', 'm');
        await waitFor('warning', () => (warns.length ? true : undefined), 10_000);
        await sleep(1500);
      } finally {
        process.env.DBUS_SESSION_BUS_ADDRESS = saved;
        n.close();
      }
      expect(warns).toHaveLength(1);
    }, 30_000);
  });
});
