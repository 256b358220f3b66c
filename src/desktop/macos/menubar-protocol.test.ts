/**
 * The macOS menu-bar helper (assets/macos/maxproxy-menubar.js), run under Node with a
 * recording stand-in for JXA's Objective-C bridge (./testing.ts), behind the daemon's real
 * TrayProcess speaking the systray2 protocol: the Cocoa menu ends up as the model
 * describes (the menus the Linux e2e test shows under Xvfb). Nothing here runs macOS.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatusStore } from '../../status/store.js';
import { buildMenu, DEFAULT_THRESHOLDS, type MenuItem, type MenuModel, type MenuPrefs } from '../menu-model.js';
import { defaultAssetsDir, loadTrayIcons } from '../tray.js';
import { type TrayChild, type TrayIcons, TrayProcess } from '../tray-process.js';
import { menubarHelperPath } from './menubar.js';
import { FakeCocoa, loadHelper, type ShownItem } from './testing.js';

const HELPER = menubarHelperPath();
/** Input crosses a pipe and the helper's event loop: wait for the result, generously (busy machine). */
const SETTLE = { timeout: 15_000, interval: 10 };

/** What the user should see for a model: every item, in order, as Cocoa holds it. */
function expectedShown(items: MenuItem[]): ShownItem[] {
  return items.map((i) =>
    i.separator
      ? { title: '', enabled: true, checked: false, hidden: false, separator: true as const }
      : {
          title: i.title,
          enabled: i.enabled,
          checked: i.checked === true,
          hidden: i.hidden === true,
          ...(i.tooltip ? { tooltip: i.tooltip } : {}),
          ...(i.children ? { children: expectedShown(i.children) } : {}),
        },
  );
}

/** The helper, started in-process, behind a TrayChild the daemon's TrayProcess can spawn. */
function helperChild(arch: 'arm64' | 'x86_64' = 'arm64') {
  const cocoa = new FakeCocoa({ arch });
  const stderr: string[] = [];
  const script = loadHelper(HELPER, cocoa, (s) => stderr.push(s));
  const child = Object.assign(new EventEmitter(), {
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    pid: 777,
    exitCode: null as number | null,
    signalCode: null as NodeJS.Signals | null,
    kill: (sig: NodeJS.Signals) => void exit(null, sig),
  });
  let timer: NodeJS.Timeout | undefined;
  const exit = (code: number | null, signal: NodeJS.Signals | null): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    clearInterval(timer);
    child.exitCode = code;
    child.signalCode = signal;
    setImmediate(() => child.emit('exit', code, signal));
  };
  child.stdin.on('data', (d: Buffer) => cocoa.sendStdin(d));
  child.stdin.on('end', () => cocoa.closeStdin());
  cocoa.onStdoutLine = (line) => child.stdout.write(`${line}\n`);
  const spawned: string[][] = [];
  const spawn = (file: string, args: string[]): TrayChild => {
    spawned.push([file, ...args]);
    const helper = script.startMenubar({
      $: cocoa.$,
      ObjC: cocoa.ObjC,
      mode: script.parseArgs(args).mode,
      log: (s: string) => stderr.push(s),
      quit: (c: number) => exit(c, null),
    });
    timer = setInterval(() => helper.step(0), 2);
    return child as unknown as TrayChild;
  };
  return { cocoa, stderr, spawn, spawned, child };
}

const trays: TrayProcess[] = [];
afterEach(async () => {
  await Promise.all(trays.splice(0).map((t) => t.stop(500)));
});

async function startTray(model: MenuModel, icons: TrayIcons, arch: 'arm64' | 'x86_64' = 'arm64') {
  const h = helperChild(arch);
  const tray = await TrayProcess.start(model, icons, {
    dataDir: '/nonexistent',
    platform: 'darwin',
    command: { file: '/usr/bin/osascript', args: ['-l', 'JavaScript', HELPER, '--mode', 'auto'] },
    spawn: h.spawn,
  });
  trays.push(tray);
  await vi.waitFor(() => expect(h.cocoa.statusItems[0]?.menu).toBeTruthy(), SETTLE);
  return { ...h, tray };
}

const prefs0: MenuPrefs = { startAtLogin: false, notifications: true, port: 3456, portPresets: [3456, 8080], thresholds: DEFAULT_THRESHOLDS };

describe('menu-bar helper behind the daemon’s TrayProcess (same protocol as systray2)', () => {
  it('shows the Linux e2e menu: status lines, separators, Port submenu, native checkmarks, template icon; a click comes back as its id', async () => {
    const store = new StatusStore('0.1.0');
    store.setServer({ state: 'running', port: 3456 });
    store.setClaude({ version: '2.1.330', login: 'logged_in' });
    const icons = await loadTrayIcons(defaultAssetsDir(), 'darwin');
    const model = buildMenu(store.snapshot(), prefs0, Date.now());
    const { cocoa, tray } = await startTray(model, icons);

    expect(tray.about).toMatchObject({ helper: 'maxproxy-menubar', mode: 'callbacks', arch: 'arm64' });
    expect(cocoa.activationPolicy).toBe(1);
    expect(cocoa.item.length).toBe(-1);
    expect(cocoa.item.autosaveName).toBe('dev.maxproxy.menubar');
    expect(cocoa.item.menu!.autoenables).toBe(false);
    expect(cocoa.shown()).toEqual(expectedShown(model.items));
    // Spot checks against the literal menu the Linux test clicks through.
    const titles = cocoa
      .shown()
      .filter((i) => !i.hidden && !i.separator)
      .map((i) => i.title);
    expect(titles.slice(0, 4)).toEqual(['maxproxy 0.1.0', 'Running on 127.0.0.1:3456', 'Claude Code 2.1.330 · logged in', 'No requests in flight']);
    expect(titles).toContain('Start at login');
    expect(titles.at(-1)).toBe('Quit maxproxy');
    const port = cocoa.shown().find((i) => i.title === 'Port: 3456')!;
    expect(port.children!.map((c) => [c.title, c.checked, c.hidden])).toEqual([
      ['3456', true, false],
      ['8080', false, false],
      ['', false, true],
    ]);
    expect(cocoa.find('Start at login').state).toBe(0); // no "✓ " prefix on macOS: a real checkmark
    expect(cocoa.find('Notifications').state).toBe(1);
    expect(cocoa.shown().filter((i) => i.separator)).toHaveLength(5);
    const img = cocoa.item.button.image!;
    expect(img.png.equals(Buffer.from(icons.png.idle, 'base64'))).toBe(true);
    expect(img.template).toBe(true);
    expect(img.size).toEqual({ width: 16, height: 16 });
    expect(cocoa.item.button.toolTip).toBe('maxproxy: Running on 127.0.0.1:3456');

    const clicked = new Promise<string>((r) => tray.once('click', r));
    expect(cocoa.click(cocoa.find('Start at login'))).toBe(true);
    expect(await clicked).toBe('toggle-login');

    // The update the daemon sends after the toggle: a checkmark, nothing rebuilt.
    const before = cocoa.calls.length;
    expect(tray.update(buildMenu(store.snapshot(), { ...prefs0, startAtLogin: true }, Date.now()), icons)).toBe(true);
    await vi.waitFor(() => expect(cocoa.find('Start at login').state).toBe(1), SETTLE);
    expect(cocoa.calls.slice(before).filter((c) => c.includes('setState'))).toEqual([expect.stringMatching(/^NSMenuItem#\d+\.setState\(1\)$/)]);
    expect(cocoa.calls.slice(before).some((c) => c.includes('setMenu'))).toBe(false);
  });

  it('a session slot shown by an update gets its submenu; "End session" ends that session', async () => {
    const store = new StatusStore('0.1.0');
    store.setServer({ state: 'running', port: 3456 });
    const icons = await loadTrayIcons(defaultAssetsDir(), 'darwin');
    const prefs = { ...prefs0, startAtLogin: true, portPresets: [3456] };
    const { cocoa, tray } = await startTray(buildMenu(store.snapshot(), prefs, Date.now()), icons);
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
    const model = buildMenu(store.snapshot(), prefs, Date.now());
    expect(tray.update(model, icons)).toBe(true);
    await vi.waitFor(() => expect(cocoa.shown()).toEqual(expectedShown(model.items)), SETTLE);
    const session = cocoa.shown().find((i) => i.title.startsWith('OpenClaw'))!;
    expect(session).toMatchObject({ title: 'OpenClaw · sonnet-5-5 · 3 turns · 1.5k tokens · just now', hidden: false, tooltip: 's1' });
    expect(session.children!.map((c) => [c.title, c.enabled, c.hidden])).toEqual([
      ['claude-sonnet-5-5 · idle', false, false],
      ['End session', true, false],
    ]);
    const clicked = new Promise<string>((r) => tray.once('click', r));
    cocoa.click(cocoa.find('End session'));
    expect(await clicked).toBe('session-end:s1');
  });

  it('over a run of status changes the Cocoa menu always equals a fresh build of the model (updates only, one menu)', async () => {
    const store = new StatusStore('0.1.0');
    store.setServer({ state: 'running', port: 3456 });
    store.setClaude({ version: '2.1.330', login: 'logged_in' });
    const icons = await loadTrayIcons(defaultAssetsDir(), 'darwin');
    const now = Date.now();
    const { cocoa, tray } = await startTray(buildMenu(store.snapshot(), prefs0, now), icons, 'x86_64');
    expect(tray.about).toMatchObject({ mode: 'poll', arch: 'x86_64' });
    const steps: Array<() => void> = [
      () => store.setRequests({ active: 2, queued: 1 }),
      () => {
        for (const id of ['a', 'b', 'c']) {
          store.upsertSession({
            id,
            client: `client-${id}`,
            model: 'claude-opus-4-1',
            turns: 1,
            inputTokens: 10,
            outputTokens: 5,
            lastActivity: now,
            state: 'busy',
          });
        }
      },
      () => store.recordRateLimit({ rateLimitType: 'five_hour', utilization: 0.91, resetsAt: Math.floor(now / 1000) + 3600, status: 'allowed_warning' }),
      () => store.removeSession('b'),
      () => store.setClaude({ login: 'not_logged_in' }),
      () => store.setServer({ state: 'paused' }),
      () => {
        store.setRequests({ active: 0, queued: 0 });
        store.removeSession('a');
        store.removeSession('c');
        store.setClaude({ login: 'logged_in' });
        store.setServer({ state: 'running' });
      },
    ];
    let last = '';
    const iconsSeen = new Set<string>(['idle']);
    expect(cocoa.item.button.image!.png.equals(Buffer.from(icons.png.idle, 'base64'))).toBe(true);
    for (const change of steps) {
      change();
      const model = buildMenu(store.snapshot(), prefs0, now);
      expect(tray.update(model, icons)).toBe(true);
      await vi.waitFor(() => expect(cocoa.shown()).toEqual(expectedShown(model.items)), SETTLE);
      expect(cocoa.item.button.title).toBe(model.title);
      expect(cocoa.item.button.image!.png.equals(Buffer.from(icons.png[model.icon], 'base64'))).toBe(true);
      iconsSeen.add(model.icon);
      last = model.title;
    }
    expect([...iconsSeen].sort()).toEqual(['error', 'idle', 'serving', 'warning']);
    expect(last).toBe('91%');
    expect(cocoa.calls.filter((c) => c.includes('setMenu'))).toHaveLength(1);
    expect(cocoa.registered).toEqual([]);
  });

  it('quitting the daemon ends the helper: stop() sends exit and the helper quits with 0', async () => {
    const store = new StatusStore('0.1.0');
    const icons = await loadTrayIcons(defaultAssetsDir(), 'darwin');
    const { tray } = await startTray(buildMenu(store.snapshot(), prefs0, Date.now()), icons);
    trays.pop();
    expect(await tray.stop(2000)).toMatchObject({ code: 0, signal: null, expected: true });
  });
});
