/**
 * The order of attempts on macOS (startMacTray): the helper, the helper in poll mode,
 * systray2's x86_64 binary where it can run, then headless with every cause. First with
 * fake spawns and fake sysctl/arch answers, then with real child processes running the
 * helper's own file under a stand-in for osascript (testdata/fake-osascript.ts), through
 * the real Tray controller.
 */
import { EventEmitter } from 'node:events';
import { existsSync, promises as fsp, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusStore } from '../../status/store.js';
import type { Logger } from '../logger.js';
import { buildMenu, DEFAULT_THRESHOLDS, type MenuAction, type MenuModel, type MenuPrefs } from '../menu-model.js';
import { defaultAssetsDir, loadTrayIcons, Tray } from '../tray.js';
import type { SpawnFn, TrayChild, TrayIcons, TrayProcess } from '../tray-process.js';
import { helperModeFromStderr, type MacTrayOptions, menubarHelperPath, OSASCRIPT, type RunFn, startMacTray } from './menubar.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT = menubarHelperPath();
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Behaviour = 'ready' | { silent: string } | { exit: number; stderr: string } | { error: NodeJS.ErrnoException };

class FakeChild extends EventEmitter {
  stdin = new PassThrough();
  stdout = new PassThrough();
  stderr = new PassThrough();
  pid = 1000 + Math.floor(Math.random() * 1000);
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  constructor() {
    super();
    this.stdin.on('finish', () => this.exit(0, null));
  }
  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    this.exitCode = code;
    this.signalCode = signal;
    setImmediate(() => this.emit('exit', code, signal));
  }
  kill(sig: NodeJS.Signals = 'SIGTERM'): boolean {
    this.exit(null, sig);
    return true;
  }
}

function fakeSpawns(behaviours: Behaviour[]) {
  const spawned: string[][] = [];
  const spawn: SpawnFn = (file, args) => {
    spawned.push([file, ...args]);
    const b = behaviours.shift();
    if (!b) throw new Error(`unexpected spawn of ${file}`);
    const c = new FakeChild();
    setImmediate(() => {
      if (b === 'ready') c.stdout.write('{"type":"ready"}\n');
      else if ('silent' in b) c.stderr.write(b.silent);
      else if ('exit' in b) {
        c.stderr.write(b.stderr);
        setTimeout(() => c.exit(b.exit, null), 5);
      } else c.emit('error', b.error);
    });
    return c as unknown as TrayChild;
  };
  return { spawn, spawned };
}

/** sysctl hw.optional.arm64 and `arch -x86_64 /usr/bin/true`, answered as a Mac would. */
function fakeMac(appleSilicon: boolean, rosetta: boolean): RunFn & { calls: string[] } {
  const calls: string[] = [];
  const run = async (file: string, args: string[]) => {
    calls.push([file, ...args].join(' '));
    if (file === '/usr/sbin/sysctl') {
      return appleSilicon ? { code: 0, stdout: '1\n', stderr: '' } : { code: 1, stdout: '', stderr: 'sysctl: unknown oid' };
    }
    if (file === '/usr/bin/arch') {
      return rosetta ? { code: 0, stdout: '', stderr: '' } : { code: 1, stdout: '', stderr: 'arch: posix_spawnp: /usr/bin/true: Bad CPU type in executable' };
    }
    throw new Error(`unexpected command ${file}`);
  };
  return Object.assign(run, { calls });
}

function recorder(): Logger & { lines: Array<[string, Record<string, unknown>, string | undefined]> } {
  const lines: Array<[string, Record<string, unknown>, string | undefined]> = [];
  const rec = (level: string) => (obj: object, msg?: string) => void lines.push([level, obj as Record<string, unknown>, msg]);
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

let systray2Pkg: string;
async function fakeSystray2(): Promise<string> {
  if (systray2Pkg) return systray2Pkg;
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'maxproxy-systray2-')), 'systray2');
  await fsp.mkdir(path.join(dir, 'traybin'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'package.json'), '{"version":"2.1.4"}');
  await fsp.writeFile(path.join(dir, 'traybin', 'tray_darwin_release'), '#!/bin/sh\n', { mode: 0o755 });
  systray2Pkg = dir;
  return dir;
}

const ICONS: TrayIcons = { png: { idle: 'aQ==', serving: 'cw==', warning: 'dw==', error: 'ZQ==' }, template: true };
const MODEL: MenuModel = { icon: 'idle', title: '', tooltip: 'maxproxy', items: [{ id: 'quit', title: 'Quit maxproxy', enabled: true }] };
const helperArgs = (mode: string) => [OSASCRIPT, '-l', 'JavaScript', SCRIPT, '--mode', mode];
const BADARCH = Object.assign(new Error('spawn Unknown system error -86'), { errno: -86, code: 'Unknown system error -86' });
const ENOENT = Object.assign(new Error('spawn /usr/bin/osascript ENOENT'), { code: 'ENOENT' });

const procs: TrayProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop(500)));
});

async function attempt(behaviours: Behaviour[], mac: RunFn, extra: Partial<MacTrayOptions> = {}) {
  const { spawn, spawned } = fakeSpawns(behaviours);
  const log = recorder();
  const result = await startMacTray(MODEL, ICONS, {
    dataDir: mkdtempSync(path.join(os.tmpdir(), 'maxproxy-mac-')),
    spawn,
    run: mac,
    logger: log,
    packageDir: await fakeSystray2(),
    // Only silent children reach it; the others answer at once, even on a busy machine.
    helperReadyTimeoutMs: 1000,
    readyTimeoutMs: 1000,
    ...extra,
  }).then(
    (p) => {
      procs.push(p);
      return p;
    },
    (e: Error & { permanent?: boolean }) => e,
  );
  const warns = log.lines.filter(([l, o]) => l === 'warn' && 'attempt' in o).map(([, o]) => o);
  return { result, spawned, warns };
}

describe('startMacTray: the order of attempts', () => {
  it('the helper, when it says ready: nothing else is tried or probed', async () => {
    const mac = fakeMac(true, false);
    const { result, spawned, warns } = await attempt(['ready'], mac);
    expect(result).not.toBeInstanceOf(Error);
    expect(spawned).toEqual([helperArgs('auto')]);
    expect(mac.calls).toEqual([]);
    expect(warns).toEqual([]);
  });

  it('no ready from the helper in callbacks mode (the libffi hang): once more in poll mode', async () => {
    const { result, spawned, warns } = await attempt(
      [{ silent: 'maxproxy-menubar: mode=callbacks arch=arm64 macOS Version 26.1\n' }, 'ready'],
      fakeMac(true, false),
    );
    expect(result).not.toBeInstanceOf(Error);
    expect(spawned).toEqual([helperArgs('auto'), helperArgs('poll')]);
    expect(warns).toEqual([
      { attempt: 'menubar', next: 'menubar --mode poll', err: expect.stringMatching(/did not report ready within 1000 ms.*mode=callbacks/) },
    ]);
  });

  it('a helper already in poll mode is not retried; on Intel systray2 runs natively (no Rosetta probe)', async () => {
    const mac = fakeMac(false, false);
    const { result, spawned, warns } = await attempt([{ silent: 'maxproxy-menubar: mode=poll arch=x86_64 macOS 26.6.2\n' }, 'ready'], mac);
    expect(result).not.toBeInstanceOf(Error);
    expect(spawned).toEqual([helperArgs('auto'), [path.join(systray2Pkg, 'traybin', 'tray_darwin_release')]]);
    expect(mac.calls).toEqual(['/usr/sbin/sysctl -n hw.optional.arm64']);
    expect(warns.map((w) => [w.attempt, w.next])).toEqual([['menubar', 'systray2']]);
  });

  it('exits during start, Apple silicon without Rosetta: headless with every cause, retryable', async () => {
    const mac = fakeMac(true, false);
    const { result, spawned, warns } = await attempt(
      [
        { exit: 1, stderr: 'execution error: TypeError: undefined is not an object (-2700)\n' },
        { exit: 1, stderr: 'execution error: TypeError: undefined is not an object (-2700)\n' },
      ],
      mac,
    );
    expect(spawned).toEqual([helperArgs('auto'), helperArgs('poll')]);
    expect(mac.calls).toEqual(['/usr/sbin/sysctl -n hw.optional.arm64', '/usr/bin/arch -x86_64 /usr/bin/true']);
    expect(result).toBeInstanceOf(Error);
    const err = result as Error & { permanent: boolean };
    expect(err.message).toBe(
      'no menu-bar icon (' +
        'menubar: tray binary exited (code 1) before it was ready: execution error: TypeError: undefined is not an object (-2700); ' +
        'menubar --mode poll: tray binary exited (code 1) before it was ready: execution error: TypeError: undefined is not an object (-2700); ' +
        "systray2: systray2's tray binary is x86_64 and Rosetta 2 is not installed (`softwareupdate --install-rosetta --agree-to-license` installs it)). " +
        'maxproxy keeps serving; see "The tray on macOS" in the README, or install Rosetta 2 for the fallback tray',
    );
    // A helper that crashed may start next time: the tray controller retries with backoff.
    expect(err.permanent).toBe(false);
    expect(warns.map((w) => w.attempt)).toEqual(['menubar', 'menubar --mode poll', 'systray2']);
  });

  it('Rosetta reported but systray2 fails with EBADARCH: that cause, with how to install Rosetta', async () => {
    const { result, spawned } = await attempt([{ silent: '' }, { silent: '' }, { error: BADARCH }], fakeMac(true, true));
    expect(spawned.map((s) => s.at(-1))).toEqual(['auto', 'poll', path.join(systray2Pkg, 'traybin', 'tray_darwin_release')]);
    expect((result as Error).message).toMatch(
      /systray2: the tray binary is x86_64 and needs Rosetta 2 on Apple silicon: run `softwareupdate --install-rosetta/,
    );
  });

  it('no osascript (ENOENT): no poll retry; systray2 under Rosetta', async () => {
    const { result, spawned, warns } = await attempt([{ error: ENOENT }, 'ready'], fakeMac(true, true));
    expect(result).not.toBeInstanceOf(Error);
    expect(spawned).toEqual([helperArgs('auto'), [path.join(systray2Pkg, 'traybin', 'tray_darwin_release')]]);
    expect(warns).toEqual([{ attempt: 'menubar', next: 'systray2', err: 'tray binary not found: /usr/bin/osascript' }]);
  });

  it('helper file missing and no Rosetta: permanent (headless at once), nothing spawned', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'maxproxy-assets-'));
    const { result, spawned } = await attempt([], fakeMac(true, false), { assetsDir: empty });
    expect(spawned).toEqual([]);
    expect(result).toMatchObject({
      permanent: true,
      message: expect.stringContaining(`menu-bar helper missing: ${path.join(empty, 'macos', 'maxproxy-menubar.js')}`),
    });
  });

  it('reads the mode the helper logged before it got stuck', () => {
    expect(helperModeFromStderr('x\nmaxproxy-menubar: mode=poll arch=x86_64 macOS 26\n')).toBe('poll');
    expect(helperModeFromStderr('')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------

const RUNNER = { file: process.execPath, args: ['--import', 'tsx', path.join(HERE, 'testdata', 'fake-osascript.ts')] };
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function waitFor<T>(what: string, fn: () => T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick(50);
  }
}

describe('with real processes: the helper file under a stand-in for osascript', () => {
  it('registerSubclass hangs (the libffi hang reported on Intel with macOS 26, here forced in callbacks mode): the stuck helper is killed and the poll-mode helper draws the menu', async () => {
    const log = recorder();
    const dump = path.join(mkdtempSync(path.join(os.tmpdir(), 'maxproxy-dump-')), 'menu.json');
    const icons = await loadTrayIcons(defaultAssetsDir(), 'darwin');
    const proc = await startMacTray(MODEL, icons, {
      dataDir: mkdtempSync(path.join(os.tmpdir(), 'maxproxy-mac-')),
      osascript: RUNNER,
      env: { ...process.env, FAKE_ARCH: 'arm64', FAKE_REGISTER_HANG_MS: '600000', FAKE_DUMP: dump, FAKE_AUTOCLICK: 'Quit maxproxy' },
      // Long enough for a cold `node --import tsx` on a busy machine; the hang outlasts it.
      helperReadyTimeoutMs: 20_000,
      run: fakeMac(true, false),
      logger: log,
    });
    procs.push(proc);
    const clicked = await new Promise<string>((r) => proc.once('click', r));
    expect(clicked).toBe('quit');
    expect(proc.about).toMatchObject({ helper: 'maxproxy-menubar', mode: 'poll', arch: 'arm64' });
    const shown = JSON.parse(readFileSync(dump, 'utf8'));
    expect(shown.registered).toEqual([]);
    expect(shown.shown).toEqual([{ title: 'Quit maxproxy', enabled: true, checked: false, hidden: false }]);
    expect(shown.image).toMatchObject({ png: icons.png.idle, template: true });
    expect(log.lines.filter(([l]) => l === 'warn').map(([, o]) => [o.attempt, o.next])).toEqual([['menubar', 'menubar --mode poll']]);
  }, 120_000);

  it('through the Tray controller: clicks become actions, status updates reach the menu, a killed helper is restarted, stop ends it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'maxproxy-dump-'));
    const dump = path.join(dir, 'menu.json');
    const store = new StatusStore('0.1.0');
    store.setServer({ state: 'running', port: 3456 });
    store.setClaude({ version: '2.1.330', login: 'logged_in' });
    const prefs: MenuPrefs = { startAtLogin: false, notifications: true, port: 3456, portPresets: [3456, 8080], thresholds: DEFAULT_THRESHOLDS };
    const actions: MenuAction[] = [];
    const log = recorder();
    const tray = new Tray({
      store,
      prefs: () => prefs,
      onAction: (a) => {
        actions.push(a);
        if (a.type === 'toggle-login') prefs.startAtLogin = true;
      },
      dataDir: dir,
      platform: 'darwin',
      env: { ...process.env, FAKE_ARCH: 'x86_64', FAKE_DUMP: dump, FAKE_AUTOCLICK: 'Start at login' },
      macos: { osascript: RUNNER, helperReadyTimeoutMs: 30_000, run: fakeMac(false, false) },
      logger: log,
      debounceMs: 20,
      restartDelayMs: 50,
    });
    const read = () => (existsSync(dump) ? JSON.parse(readFileSync(dump, 'utf8')) : undefined);
    try {
      expect(await tray.start()).toBe(true);
      await waitFor('toggle-login action', () => (actions.length ? true : undefined));
      expect(actions).toEqual([{ type: 'toggle-login' }]);
      // The toggle re-renders: the checkmark shows in the Cocoa menu.
      const first = await waitFor('checked Start at login', () => {
        const d = read();
        return d?.shown.find((i: { title: string; checked: boolean }) => i.title === 'Start at login' && i.checked) ? d : undefined;
      });
      expect(first.shown).toEqual(
        buildMenu(store.snapshot(), prefs, Date.now()).items.map((i) =>
          expect.objectContaining(i.separator ? { separator: true } : { title: i.title, hidden: i.hidden === true }),
        ),
      );

      store.setRequests({ active: 1 });
      await waitFor('1 request in flight', () => (read()?.shown.some((i: { title: string }) => i.title === '1 request in flight') ? true : undefined));

      // The helper dies: the controller starts a new one, which shows the current state.
      process.kill(first.pid, 'SIGKILL');
      const second = await waitFor('a restarted helper', () => {
        const d = read();
        return d && d.pid !== first.pid && d.shown.some((i: { title: string }) => i.title === '1 request in flight') ? d : undefined;
      });
      expect(log.lines.some(([l, , m]) => l === 'warn' && m === 'tray process exited')).toBe(true);
      expect(tray.state).toBe('running');

      await tray.stop();
      await waitFor('helper gone', () => (alive(second.pid) ? undefined : true), 10_000);
    } finally {
      await tray.stop();
    }
  }, 120_000);
});
