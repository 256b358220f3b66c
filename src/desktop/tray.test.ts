import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StatusStore } from '../status/store.js';
import type { Logger } from './logger.js';
import { DEFAULT_THRESHOLDS, type MenuAction, type MenuModel, type MenuPrefs } from './menu-model.js';
import { defaultAssetsDir, loadTrayIcons, Tray, type TrayHandle, trayIconPath } from './tray.js';
import { type TrayExit, type TrayIcons, TrayStartError } from './tray-process.js';

const ICONS: TrayIcons = { png: { idle: 'aQ==', serving: 'cw==', warning: 'dw==', error: 'ZQ==' }, template: false };

class FakeHandle extends EventEmitter implements TrayHandle {
  updates: MenuModel[] = [];
  stopped = false;
  acceptShape = true;
  constructor(readonly first: MenuModel) {
    super();
  }
  update(m: MenuModel): boolean {
    if (!this.acceptShape) return false;
    this.updates.push(m);
    return true;
  }
  async stop(): Promise<TrayExit> {
    this.stopped = true;
    const info = { code: 0, signal: null, stderr: '', expected: true };
    this.emit('exit', info);
    return info;
  }
  crash(): void {
    this.emit('exit', { code: 2, signal: null, stderr: 'panic', expected: false });
  }
}

function recorder(): Logger & { lines: Array<[string, object, string | undefined]> } {
  const lines: Array<[string, object, string | undefined]> = [];
  const rec = (level: string) => (obj: object, msg?: string) => void lines.push([level, obj, msg]);
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

let prefs: MenuPrefs;
let store: StatusStore;
let handles: FakeHandle[];
let starts: Array<(m: MenuModel) => Promise<TrayHandle>>;
let actions: MenuAction[];
let log: ReturnType<typeof recorder>;
let clock: number;

function makeTray(extra: Partial<ConstructorParameters<typeof Tray>[0]> = {}): Tray {
  return new Tray({
    store,
    prefs: () => prefs,
    onAction: (a) => void actions.push(a),
    dataDir: '/tmp/none',
    icons: ICONS,
    logger: log,
    now: () => clock,
    startProcess: async (m) => {
      const next = starts.shift();
      if (next) return next(m);
      const h = new FakeHandle(m);
      handles.push(h);
      return h;
    },
    ...extra,
  });
}

const flush = async (ms = 0): Promise<void> => {
  await vi.advanceTimersByTimeAsync(ms);
};

beforeEach(() => {
  vi.useFakeTimers();
  clock = Date.UTC(2026, 10, 21, 12);
  prefs = { startAtLogin: false, notifications: true, port: 3456, portPresets: [3456, 8080], thresholds: DEFAULT_THRESHOLDS };
  store = new StatusStore('0.1.0', clock);
  store.setServer({ state: 'running', port: 3456 });
  handles = [];
  starts = [];
  actions = [];
  log = recorder();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Tray', () => {
  it('starts with the current status and renders changes, coalesced', async () => {
    const tray = makeTray();
    expect(await tray.start()).toBe(true);
    expect(tray.state).toBe('running');
    const h = handles[0];
    expect(h.first.items.find((i) => i.id === 'status')?.title).toBe('Running on 127.0.0.1:3456');
    await flush(300);
    h.updates.length = 0;

    for (let i = 1; i <= 5; i++) {
      store.setRequests({ active: i });
      await flush(20);
    }
    expect(h.updates).toHaveLength(0);
    await flush(250);
    expect(h.updates).toHaveLength(1);
    expect(h.updates[0].icon).toBe('serving');
    expect(h.updates[0].items.find((i) => i.id === 'requests')?.title).toBe('5 requests in flight');
    await tray.stop();
  });

  it('renders at a steady pace while status keeps changing (no starvation)', async () => {
    const tray = makeTray();
    await tray.start();
    const h = handles[0];
    await flush(300);
    h.updates.length = 0;
    for (let i = 0; i < 100; i++) {
      store.addTokens(10, clock);
      await flush(10);
    }
    // 1000 ms of constant change → about one render per 250 ms.
    expect(h.updates.length).toBeGreaterThanOrEqual(3);
    expect(h.updates.length).toBeLessThanOrEqual(5);
    await tray.stop();
  });

  it('logs what the macOS helper says about being shown: a warning naming where to allow the icon', async () => {
    const tray = makeTray();
    await tray.start();
    const h = handles[0];
    h.emit('visibility', { visible: true, onScreen: true, statusItemVisible: true });
    h.emit('visibility', { visible: false, onScreen: false, statusItemVisible: true });
    expect(log.lines.filter(([, , m]) => m?.includes('menu-bar icon'))).toEqual([
      ['info', { visible: true, onScreen: true, statusItemVisible: true }, 'menu-bar icon visible'],
      [
        'warn',
        { visible: false, onScreen: false, statusItemVisible: true },
        'macOS is not showing the menu-bar icon: allow maxproxy in System Settings > Menu Bar > "Allow in the Menu Bar" (or the menu bar is full or hidden)',
      ],
    ]);
    await tray.stop();
  });

  it('turns clicks into actions and re-renders after them', async () => {
    const tray = makeTray();
    await tray.start();
    const h = handles[0];
    await flush(300);
    h.updates.length = 0;
    h.emit('click', 'toggle-login');
    h.emit('click', 'port:8080');
    h.emit('click', 'session-end:abc');
    h.emit('click', 'status'); // info line: no action
    await flush(0);
    expect(actions).toEqual([{ type: 'toggle-login' }, { type: 'set-port', port: 8080 }, { type: 'end-session', id: 'abc' }]);
    prefs = { ...prefs, startAtLogin: true };
    await flush(300);
    expect(h.updates.at(-1)?.items.find((i) => i.id === 'toggle-login')?.checked).toBe(true);
    await tray.stop();
  });

  it('logs a failing action instead of throwing', async () => {
    const tray = makeTray({
      onAction: async () => {
        throw new Error('clipboard unavailable');
      },
    });
    await tray.start();
    handles[0].emit('click', 'copy-url');
    await flush(0);
    expect(log.lines).toContainEqual(['error', { err: 'clipboard unavailable', action: 'copy-url' }, 'tray action failed']);
    await tray.stop();
  });

  it('restarts a crashed tray with backoff, then gives up and stays headless', async () => {
    const tray = makeTray({ maxRestarts: 3, restartDelayMs: 1000 });
    const headless: string[] = [];
    tray.on('headless', (r: string) => headless.push(r));
    await tray.start();
    handles[0].crash();
    expect(tray.state).toBe('restarting');
    await flush(999);
    expect(handles).toHaveLength(1);
    await flush(1);
    expect(handles).toHaveLength(2);
    expect(tray.state).toBe('running');
    handles[1].crash();
    await flush(1999);
    expect(handles).toHaveLength(2);
    await flush(1);
    expect(handles).toHaveLength(3);
    handles[2].crash();
    await flush(4000);
    expect(handles).toHaveLength(4);
    handles[3].crash();
    expect(tray.state).toBe('headless');
    expect(headless).toEqual(['tray failed 4 times in a row']);
    expect(log.lines).toContainEqual(['error', { reason: 'tray failed 4 times in a row' }, 'tray unavailable; running headless']);
    await flush(60_000);
    expect(handles).toHaveLength(4);
    // Headless ignores status changes.
    store.setRequests({ active: 3 });
    await flush(1000);
    expect(handles[3].updates).toHaveLength(0);
  });

  it('a tray that ran long enough resets the restart count', async () => {
    const tray = makeTray({ maxRestarts: 1, restartDelayMs: 1000, stableMs: 60_000 });
    await tray.start();
    for (let i = 0; i < 3; i++) {
      clock += 120_000;
      handles[i].crash();
      await flush(1000);
      expect(tray.state).toBe('running');
    }
    expect(handles).toHaveLength(4);
    await tray.stop();
  });

  it('goes headless at once when the failure is permanent (no display, no libraries)', async () => {
    starts.push(async () => {
      throw new TrayStartError('no display (DISPLAY and WAYLAND_DISPLAY are unset); running headless', true);
    });
    const tray = makeTray();
    expect(await tray.start()).toBe(false);
    expect(tray.state).toBe('headless');
    await flush(120_000);
    expect(handles).toHaveLength(0);
  });

  it('retries a start that timed out', async () => {
    starts.push(async () => {
      throw new TrayStartError('tray binary did not report ready within 5000 ms', false);
    });
    const tray = makeTray({ restartDelayMs: 500 });
    expect(await tray.start()).toBe(false);
    expect(tray.state).toBe('restarting');
    await flush(500);
    expect(tray.state).toBe('running');
    expect(handles).toHaveLength(1);
    await tray.stop();
  });

  it('replaces the process when the menu shape changes', async () => {
    const tray = makeTray();
    await tray.start();
    await flush(300);
    handles[0].acceptShape = false;
    prefs = { ...prefs, portPresets: [3456, 8080, 11434] };
    tray.refresh();
    await flush(300);
    expect(handles[0].stopped).toBe(true);
    expect(handles).toHaveLength(2);
    expect(handles[1].first.items.find((i) => i.id === 'port')?.children).toHaveLength(4);
    expect(tray.state).toBe('running');
    // The replaced process's exit was not taken for a crash.
    expect(log.lines.some(([, , m]) => m === 'tray process exited')).toBe(false);
    await tray.stop();
  });

  it('refreshes periodically so relative times stay true', async () => {
    store.upsertSession({
      id: 's1',
      client: 'OpenClaw',
      model: 'claude-sonnet-5-5',
      turns: 1,
      inputTokens: 1,
      outputTokens: 1,
      lastActivity: clock,
      state: 'idle',
    });
    const tray = makeTray({ refreshMs: 30_000 });
    await tray.start();
    await flush(300);
    clock += 120_000;
    await flush(30_000);
    const last = handles[0].updates.at(-1)!;
    expect(last.items.find((i) => i.id === 'session:s1')?.title).toMatch(/2m ago$/);
    await tray.stop();
  });

  it('stop() ends the process and every timer', async () => {
    const tray = makeTray();
    await tray.start();
    handles[0].crash();
    await tray.stop();
    expect(tray.state).toBe('stopped');
    await flush(120_000);
    expect(handles).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop() during a slow start stops the new process', async () => {
    let release!: () => void;
    starts.push(async (m) => {
      await new Promise<void>((r) => (release = r));
      const h = new FakeHandle(m);
      handles.push(h);
      return h;
    });
    const tray = makeTray();
    const started = tray.start();
    await flush(0);
    await tray.stop();
    release();
    expect(await started).toBe(false);
    expect(handles[0].stopped).toBe(true);
  });

  it('goes headless when icons cannot be read', async () => {
    const tray = makeTray({ icons: undefined, assetsDir: '/nonexistent-assets' });
    expect(await tray.start()).toBe(false);
    expect(tray.state).toBe('headless');
  });
});

describe('tray icons', () => {
  it('loads the committed PNGs for each platform', async () => {
    vi.useRealTimers();
    const linux = await loadTrayIcons(defaultAssetsDir(), 'linux');
    const mac = await loadTrayIcons(defaultAssetsDir(), 'darwin');
    expect(linux.template).toBe(false);
    expect(mac.template).toBe(true);
    for (const icons of [linux, mac]) {
      for (const name of ['idle', 'serving', 'warning', 'error'] as const) {
        expect(Buffer.from(icons.png[name], 'base64').subarray(1, 4).toString()).toBe('PNG');
      }
    }
    expect(trayIconPath('/a', 'darwin', 'idle')).toBe('/a/tray/macos/idleTemplate@2x.png');
    expect(trayIconPath('/a', 'linux', 'error', 44)).toBe('/a/tray/linux/error-44.png');
  });

  it('the committed PNGs are what assets/generate-icons.mjs draws', () => {
    vi.useRealTimers();
    const r = spawnSync(process.execPath, [path.join(defaultAssetsDir(), 'generate-icons.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('icons up to date');
    expect(r.status).toBe(0);
  });

  it('takes a pino logger as is and logs through it', async () => {
    const lines: string[] = [];
    const l: Logger = pino({ base: null, timestamp: false }, { write: (line: string) => void lines.push(line) });
    const tray = makeTray({ icons: undefined, assetsDir: '/nonexistent-assets', logger: l });
    expect(await tray.start()).toBe(false);
    const records = lines.map((line) => JSON.parse(line));
    expect(records).toContainEqual(expect.objectContaining({ level: 50, msg: 'tray unavailable; running headless', reason: expect.any(String) }));
  });
});
