import { EventEmitter } from 'node:events';
import { promises as fsp, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { MenuItem, MenuModel } from './menu-model.js';
import {
  describeEarlyExit,
  menuShape,
  type ProtocolMenu,
  resolveTrayBinary,
  type TrayChild,
  type TrayExit,
  type TrayIcons,
  TrayProcess,
  type TrayProcessOptions,
  TrayStartError,
} from './tray-process.js';

/** Stands in for the Go binary: records what we write, lets the test speak for it. */
class FakeChild extends EventEmitter {
  stdin = new PassThrough();
  stdout = new PassThrough();
  stderr = new PassThrough();
  pid = 4321;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  lines: any[] = [];
  signals: string[] = [];
  private buf = '';
  constructor(opts: { exitOnStdinEnd?: boolean } = {}) {
    super();
    this.stdin.setEncoding('utf8');
    this.stdin.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(JSON.parse(this.buf.slice(0, i)));
        this.buf = this.buf.slice(i + 1);
      }
    });
    if (opts.exitOnStdinEnd !== false) this.stdin.on('end', () => this.exit(0, null));
  }
  say(obj: unknown): void {
    this.stdout.write(typeof obj === 'string' ? `${obj}\n` : `${JSON.stringify(obj)}\n`);
  }
  click(id: number): void {
    this.say({ type: 'clicked', item: { title: 'x' }, seq_id: 3, __id: id });
  }
  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    this.exitCode = code;
    this.signalCode = signal;
    setImmediate(() => this.emit('exit', code, signal));
  }
  kill(sig: NodeJS.Signals = 'SIGTERM'): boolean {
    this.signals.push(sig);
    this.exit(null, sig);
    return true;
  }
}

const ICONS: TrayIcons = {
  png: { idle: 'SURMRQ==', serving: 'U0VSVklORw==', warning: 'V0FSTg==', error: 'RVJS' },
  template: false,
};

const item = (id: string, title: string, extra: Partial<MenuItem> = {}): MenuItem => ({ id, title, enabled: true, ...extra });

function model(patch: Partial<MenuModel> = {}, items?: MenuItem[]): MenuModel {
  return {
    icon: 'idle',
    title: '',
    tooltip: 'maxproxy',
    items: items ?? [
      item('status', 'Running on 127.0.0.1:3456', { enabled: false }),
      { id: 'sep:1', title: '', enabled: false, separator: true },
      item('session:a', 'OpenClaw · 1m ago', {
        children: [item('session-info:a', 'idle', { enabled: false }), item('session-end:a', 'End session')],
      }),
      item('session-slot:1', '', {
        hidden: true,
        enabled: false,
        children: [item('session-slot:1:info', '', { enabled: false }), item('session-slot:1:end', '', { hidden: true })],
      }),
      item('toggle-login', 'Start at login', { checked: true }),
      item('toggle-notifications', 'Notifications', { checked: false }),
      item('quit', 'Quit maxproxy'),
    ],
    ...patch,
  };
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startFake(
  m: MenuModel,
  opts: Partial<TrayProcessOptions> = {},
  child = new FakeChild(),
): Promise<{ tray: TrayProcess; child: FakeChild; menu: ProtocolMenu }> {
  const p = TrayProcess.start(m, opts.platform === 'darwin' ? { ...ICONS, template: true } : ICONS, {
    dataDir: '/nonexistent',
    platform: 'linux',
    env: { DISPLAY: ':0' },
    command: { file: 'fake-tray' },
    spawn: () => child as unknown as TrayChild,
    ...opts,
  });
  await tick();
  child.say({ type: 'ready' });
  const tray = await p;
  await tick();
  return { tray, child, menu: child.lines[0] };
}

const trays: TrayProcess[] = [];
afterEach(async () => {
  await Promise.all(trays.splice(0).map((t) => t.stop(200)));
});

describe('TrayProcess protocol', () => {
  it('sends the whole menu after ready: pre-order numeric ids, separators, Linux check prefix', async () => {
    const { tray, menu } = await startFake(model());
    trays.push(tray);
    expect(menu.icon).toBe(ICONS.png.idle);
    expect(menu.isTemplateIcon).toBe(false);
    expect(menu.tooltip).toBe('maxproxy');
    expect(menu.items.map((i) => [i.__id, i.title, i.enabled, i.checked, i.hidden])).toEqual([
      [1, 'Running on 127.0.0.1:3456', false, false, false],
      [2, '<SEPARATOR>', true, false, false],
      [3, 'OpenClaw · 1m ago', true, false, false],
      [6, '', false, false, true],
      [9, '✓ Start at login', true, true, false],
      [10, 'Notifications', true, false, false],
      [11, 'Quit maxproxy', true, false, false],
    ]);
    expect(menu.items[2].items?.map((i) => [i.__id, i.title])).toEqual([
      [4, 'idle'],
      [5, 'End session'],
    ]);
    expect(JSON.stringify(menu)).not.toContain('(√)');
  });

  it('on macOS: native checkmarks (no prefix) and template icons', async () => {
    const { tray, menu } = await startFake(model(), { platform: 'darwin' });
    trays.push(tray);
    expect(menu.isTemplateIcon).toBe(true);
    expect(menu.items[4]).toMatchObject({ title: 'Start at login', checked: true });
  });

  it('updates only what changed, addressing items by __id with seq_id -1', async () => {
    const { tray, child } = await startFake(model());
    trays.push(tray);
    child.lines.length = 0;
    expect(tray.update(model(), ICONS)).toBe(true);
    await tick();
    expect(child.lines).toEqual([]);

    const m = model();
    m.items[4] = item('toggle-login', 'Start at login', { checked: false });
    m.items[5] = item('toggle-notifications', 'Notifications', { checked: true });
    m.icon = 'serving';
    m.title = '80%';
    expect(tray.update(m, ICONS)).toBe(true);
    await tick();
    expect(child.lines).toEqual([
      { type: 'update-menu', menu: { icon: ICONS.png.serving, title: '80%', tooltip: 'maxproxy', isTemplateIcon: false, items: [] } },
      { type: 'update-item', seq_id: -1, item: { title: 'Start at login', tooltip: '', enabled: true, checked: false, hidden: false, __id: 9 } },
      { type: 'update-item', seq_id: -1, item: { title: '✓ Notifications', tooltip: '', enabled: true, checked: true, hidden: false, __id: 10 } },
    ]);

    // Toggling back recomputes the prefix from the model; it never accumulates.
    child.lines.length = 0;
    tray.update(model(), ICONS);
    tray.update(m, ICONS);
    tray.update(model(), ICONS);
    await tick();
    const titles = child.lines.filter((l) => l.type === 'update-item').map((l) => l.item.title);
    expect(titles).toEqual(['✓ Start at login', 'Notifications', 'Start at login', '✓ Notifications', '✓ Start at login', 'Notifications']);
  });

  it('showing a hidden parent lists only its visible children', async () => {
    const { tray, child } = await startFake(model());
    trays.push(tray);
    child.lines.length = 0;
    const m = model();
    m.items[3] = item('session:b', 'opencode · just now', {
      children: [item('session-info:b', 'busy', { enabled: false }), item('session-end:b', 'End session')],
    });
    const m2 = structuredClone(m);
    tray.update(m, ICONS);
    await tick();
    expect(child.lines).toEqual([
      {
        type: 'update-item',
        seq_id: -1,
        item: {
          title: 'opencode · just now',
          tooltip: '',
          enabled: true,
          checked: false,
          hidden: false,
          __id: 6,
          items: [
            { title: 'busy', tooltip: '', enabled: false, checked: false, hidden: false, __id: 7 },
            { title: 'End session', tooltip: '', enabled: true, checked: false, hidden: false, __id: 8 },
          ],
        },
      },
      { type: 'update-item', seq_id: -1, item: { title: 'busy', tooltip: '', enabled: false, checked: false, hidden: false, __id: 7 } },
      { type: 'update-item', seq_id: -1, item: { title: 'End session', tooltip: '', enabled: true, checked: false, hidden: false, __id: 8 } },
    ]);
    // A child that stays hidden is left out of the parent's list.
    child.lines.length = 0;
    m2.items[3].hidden = true;
    tray.update(m2, ICONS);
    m2.items[3].hidden = false;
    m2.items[3].children![1].hidden = true;
    tray.update(m2, ICONS);
    await tick();
    const show = child.lines.find((l) => l.item.__id === 6 && !l.item.hidden);
    expect(show.item.items.map((c: { __id: number }) => c.__id)).toEqual([7]);
  });

  it('refuses an update whose shape differs, sending nothing', async () => {
    const { tray, child } = await startFake(model());
    trays.push(tray);
    child.lines.length = 0;
    const m = model();
    m.items.push(item('extra', 'Extra'));
    expect(tray.canUpdate(m)).toBe(false);
    expect(tray.update(m, ICONS)).toBe(false);
    await tick();
    expect(child.lines).toEqual([]);
    expect(menuShape(model().items)).toBe('I,S,[I,I],[I,I],I,I,I');
  });

  it('maps clicks to string ids; ignores parents, disabled, hidden, unknown and junk', async () => {
    const { tray, child } = await startFake(model());
    trays.push(tray);
    const clicks: string[] = [];
    tray.on('click', (id: string) => clicks.push(id));
    child.click(5); // End session (a)
    child.click(3); // submenu parent
    child.click(1); // disabled info line
    child.click(6); // hidden slot
    child.click(2); // separator
    child.click(99);
    child.say('failed to create temp icon file /tmp/systray_x: No space left');
    child.say('null');
    child.say('[1,2]');
    child.say('{"type":"clicked","__id":"5"}');
    child.click(11);
    await tick(20);
    expect(clicks).toEqual(['session-end:a', 'quit']);

    // The same position re-bound to another session reports the new id.
    const m = model();
    m.items[2] = item('session:z', 'Codex · now', {
      children: [item('session-info:z', 'idle', { enabled: false }), item('session-end:z', 'End session')],
    });
    tray.update(m, ICONS);
    child.click(5);
    await tick(20);
    expect(clicks).toEqual(['session-end:a', 'quit', 'session-end:z']);
  });

  it('titles: never a separator, one line, bounded length', async () => {
    const long = 'x'.repeat(500);
    const { tray, menu } = await startFake(
      model({}, [item('session:x', '<SEPARATOR>'), item('session:y', 'evil\nclient\t\u0007name'), item('session:z', long), item('quit', 'Quit')]),
    );
    trays.push(tray);
    expect(menu.items.map((i) => i.title)).toEqual(['‹SEPARATOR›', 'evil client name', `${'x'.repeat(119)}…`, 'Quit']);
  });

  it('stop() sends exit, closes stdin and reports an expected exit', async () => {
    const { tray, child } = await startFake(model());
    const exits: TrayExit[] = [];
    tray.on('exit', (e: TrayExit) => exits.push(e));
    const info = await tray.stop();
    expect(child.lines.at(-1)).toEqual({ type: 'exit' });
    expect(info).toMatchObject({ code: 0, expected: true });
    expect(exits).toHaveLength(1);
    expect(tray.running).toBe(false);
    // Updates after exit are ignored, not thrown.
    expect(tray.update(model(), ICONS)).toBe(true);
  });

  it('stop() escalates to SIGTERM when the binary ignores exit', async () => {
    const child = new FakeChild({ exitOnStdinEnd: false });
    const { tray } = await startFake(model(), {}, child);
    const info = await tray.stop(50);
    expect(child.signals).toEqual(['SIGTERM']);
    expect(info).toMatchObject({ signal: 'SIGTERM', expected: true });
  });

  it('reports an unexpected exit with the stderr tail', async () => {
    const { tray, child } = await startFake(model());
    const exit = new Promise<TrayExit>((r) => tray.once('exit', r));
    child.stderr.write('panic: boom\n');
    await tick();
    child.exit(2, null);
    expect(await exit).toEqual({ code: 2, signal: null, stderr: 'panic: boom\n', expected: false });
  });
});

describe('TrayProcess start failures', () => {
  const failing = (setup: (c: FakeChild) => void, opts: Partial<TrayProcessOptions> = {}) => {
    const child = new FakeChild();
    const p = TrayProcess.start(model(), ICONS, {
      dataDir: '/nonexistent',
      platform: 'linux',
      env: { DISPLAY: ':0' },
      command: { file: 'fake-tray' },
      spawn: () => child as unknown as TrayChild,
      ...opts,
    });
    setImmediate(() => setup(child));
    return { p, child };
  };

  it('no display on Linux: rejects at once, permanent, without spawning', async () => {
    let spawned = false;
    const err = await TrayProcess.start(model(), ICONS, {
      dataDir: '/x',
      platform: 'linux',
      env: {},
      command: { file: 'fake' },
      spawn: () => {
        spawned = true;
        return new FakeChild() as unknown as TrayChild;
      },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TrayStartError);
    expect(err.permanent).toBe(true);
    expect(err.message).toMatch(/no display/);
    expect(spawned).toBe(false);
  });

  it('missing GTK/appindicator libraries: permanent, names the packages', async () => {
    const { p } = failing((c) => {
      c.stderr.write(
        'tray_linux_release: error while loading shared libraries: libappindicator3.so.1: cannot open shared object file: No such file or directory\n',
      );
      c.exit(127, null);
    });
    const err = await p.catch((e) => e);
    expect(err).toBeInstanceOf(TrayStartError);
    expect(err.permanent).toBe(true);
    expect(err.message).toBe('tray needs libappindicator3.so.1: install libgtk-3-0 and libayatana-appindicator3-1 (Debian/Ubuntu), or run with --headless');
  });

  it('cannot open display: permanent', async () => {
    const { p } = failing((c) => {
      c.stderr.write('(tray:1): Gtk-WARNING **: cannot open display: :99\n');
      c.exit(1, null);
    });
    const err = await p.catch((e) => e);
    expect(err.permanent).toBe(true);
    expect(err.message).toMatch(/cannot open the display/);
  });

  it('other early exits are retryable and carry the stderr', async () => {
    expect(describeEarlyExit(2, null, 'a\nb\npanic: x\n')).toMatchObject({
      message: 'tray binary exited (code 2) before it was ready: a | b | panic: x',
      permanent: false,
    });
    expect(describeEarlyExit(null, 'SIGSEGV', '').message).toBe('tray binary exited (signal SIGSEGV) before it was ready');
  });

  it('no ready within the timeout: rejects (never hangs) and kills the process', async () => {
    const t0 = Date.now();
    const { p, child } = failing(() => {}, { readyTimeoutMs: 100 });
    const err = await p.catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err).toBeInstanceOf(TrayStartError);
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/did not report ready within 100 ms/);
    expect(child.signals).toEqual(['SIGKILL']);
  });

  it('spawn errors: ENOENT/EACCES permanent, Rosetta hint for bad CPU type', async () => {
    const withError = (e: NodeJS.ErrnoException) =>
      failing((c) => c.emit('error', e)).p.then(
        () => new TrayStartError('started unexpectedly', false),
        (x: TrayStartError) => x,
      );
    const enoent = Object.assign(new Error('spawn x ENOENT'), { code: 'ENOENT' });
    expect(await withError(enoent)).toMatchObject({ permanent: true, message: 'tray binary not found: fake-tray' });
    const eacces = Object.assign(new Error('spawn x EACCES'), { code: 'EACCES' });
    expect(await withError(eacces)).toMatchObject({ permanent: true, message: 'tray binary is not executable: fake-tray' });
    const badarch = Object.assign(new Error('spawn Unknown system error -86'), { errno: -86, code: 'Unknown system error -86' });
    expect((await withError(badarch)).message).toMatch(/Rosetta 2.*softwareupdate --install-rosetta/);
  });
});

describe('TrayProcess with real processes', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'maxproxy-tray-'));
  // A protocol-faithful stand-in for the Go binary, as a real child process.
  const fake = path.join(dir, 'fake-tray.mjs');
  writeFileSync(
    fake,
    `import readline from 'node:readline';
const mode = process.argv[2];
if (mode === 'silent') setInterval(() => {}, 1000);
else {
  console.log('{"type": "ready"}');
  const rl = readline.createInterface({ input: process.stdin });
  let first = true;
  rl.on('line', (l) => {
    const m = JSON.parse(l);
    if (first) { first = false; const leaf = m.items.flatMap((i) => i.items || []).find((i) => i.title === 'End session'); console.log(JSON.stringify({ type: 'clicked', item: leaf, seq_id: 0, __id: leaf.__id })); return; }
    if (m.type === 'exit') process.exit(0);
  });
  rl.on('close', () => process.exit(0));
}
`,
  );

  it('handshakes, reports a click and exits on stop', async () => {
    const clicked = new Promise<string>((resolve) => {
      void TrayProcess.start(model(), ICONS, {
        dataDir: dir,
        platform: 'linux',
        env: { ...process.env, DISPLAY: ':0' },
        command: { file: process.execPath, args: [fake] },
      }).then((t) => {
        trays.push(t);
        t.on('click', resolve);
      });
    });
    expect(await clicked).toBe('session-end:a');
  });

  it('a process that never says ready is killed after the timeout', async () => {
    const err = await TrayProcess.start(model(), ICONS, {
      dataDir: dir,
      platform: 'linux',
      env: { ...process.env, DISPLAY: ':0' },
      command: { file: process.execPath, args: [fake, 'silent'] },
      readyTimeoutMs: 300,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TrayStartError);
    expect(err.message).toMatch(/did not report ready within 300 ms/);
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')('the shipped Linux binary with an unusable display fails fast and permanently', async () => {
    const t0 = Date.now();
    const err = await TrayProcess.start(model(), ICONS, {
      dataDir: dir,
      env: { ...process.env, DISPLAY: ':7391' },
      readyTimeoutMs: 5000,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TrayStartError);
    // Without GTK installed it is the missing library; with it, the display.
    expect(err.message).toMatch(/cannot open the display|tray needs lib/);
    expect(err.permanent).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('resolveTrayBinary', () => {
  function fakePackage(): { pkg: string; data: string; bin: string } {
    const root = mkdtempSync(path.join(os.tmpdir(), 'maxproxy-pkg-'));
    const pkg = path.join(root, 'systray2');
    const bin = path.join(pkg, 'traybin', 'tray_linux_release');
    writeFileSync(path.join(root, 'placeholder'), '');
    return { pkg, data: path.join(root, 'data'), bin };
  }
  async function makePackage(): Promise<{ pkg: string; data: string; bin: string }> {
    const p = fakePackage();
    await fsp.mkdir(path.dirname(p.bin), { recursive: true });
    await fsp.writeFile(path.join(p.pkg, 'package.json'), '{"version":"2.1.4"}');
    await fsp.writeFile(p.bin, '#!/bin/sh\necho \'{"type":"ready"}\'\n', { mode: 0o644 });
    await fsp.chmod(p.bin, 0o644);
    return p;
  }

  it('uses the packaged binary when it is executable', async () => {
    const p = await makePackage();
    await fsp.chmod(p.bin, 0o755);
    expect(await resolveTrayBinary({ dataDir: p.data, platform: 'linux', arch: 'x64', packageDir: p.pkg })).toBe(p.bin);
  });

  it('chmods a 0644 packaged binary in place when allowed', async () => {
    const p = await makePackage();
    expect(await resolveTrayBinary({ dataDir: p.data, platform: 'linux', arch: 'x64', packageDir: p.pkg })).toBe(p.bin);
    expect(statSync(p.bin).mode & 0o777).toBe(0o755);
  });

  it('copies to <dataDir>/bin when the package cannot be chmodded, and reuses the copy', async () => {
    const p = await makePackage();
    const deny = async (): Promise<void> => {
      throw Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM' });
    };
    const opts = { dataDir: p.data, platform: 'linux' as const, arch: 'x64', packageDir: p.pkg, chmod: deny };
    const dest = await resolveTrayBinary(opts);
    expect(dest).toBe(path.join(p.data, 'bin', 'tray_linux_release-2.1.4'));
    expect(statSync(dest).mode & 0o777).toBe(0o755);
    expect(statSync(p.bin).mode & 0o777).toBe(0o644);
    const mtime = statSync(dest).mtimeMs;
    await tick(20);
    expect(await resolveTrayBinary(opts)).toBe(dest);
    expect(statSync(dest).mtimeMs).toBe(mtime);
    // A different size (new systray2 build) is copied again.
    await fsp.appendFile(p.bin, '# more\n');
    expect(await resolveTrayBinary(opts)).toBe(dest);
    expect(statSync(dest).size).toBe(statSync(p.bin).size);
  });

  it('picks the binary by platform and refuses what it cannot run', async () => {
    const p = await makePackage();
    await expect(resolveTrayBinary({ dataDir: p.data, platform: 'linux', arch: 'arm64', packageDir: p.pkg })).rejects.toMatchObject({
      permanent: true,
      message: 'no tray on linux-arm64: systray2 ships only an x86-64 Linux tray binary',
    });
    await expect(resolveTrayBinary({ dataDir: p.data, platform: 'win32', arch: 'x64', packageDir: p.pkg })).rejects.toMatchObject({
      permanent: true,
    });
    await expect(resolveTrayBinary({ dataDir: p.data, platform: 'darwin', arch: 'arm64', packageDir: p.pkg })).rejects.toMatchObject({
      permanent: true,
      message: expect.stringContaining('traybin/tray_darwin_release'),
    });
  });

  it('finds the real systray2 package', async () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    const data = mkdtempSync(path.join(os.tmpdir(), 'maxproxy-data-'));
    const bin = await resolveTrayBinary({ dataDir: data });
    expect(bin).toMatch(/tray_linux_release/);
  });
});
