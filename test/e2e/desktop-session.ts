/**
 * A private Linux desktop for end-to-end tests: Xvfb (it picks a free display),
 * a private D-Bus session bus, trayer as the XEmbed tray host, dunst as the
 * notification daemon and dbus-monitor recording every org.freedesktop.Notifications
 * call. Plus the eyes and hands: find the tray icon (xwininfo), click and type
 * (xdotool), take screenshots (ImageMagick `import`) and read their pixels.
 *
 * Missing tools fail with the Debian packages to install (no skipping).
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Tool → Debian package. */
export const E2E_TOOLS: Record<string, string> = {
  Xvfb: 'xvfb',
  trayer: 'trayer',
  xdotool: 'xdotool',
  xwininfo: 'x11-utils',
  import: 'imagemagick',
  convert: 'imagemagick',
  'notify-send': 'libnotify-bin',
  dunst: 'dunst',
  'dbus-daemon': 'dbus',
  'dbus-monitor': 'dbus',
};

export function requireTools(names = Object.keys(E2E_TOOLS)): void {
  const missing = names.filter((n) => spawnSync('sh', ['-c', `command -v ${n}`]).status !== 0);
  if (missing.length) {
    throw new Error(`the desktop e2e test needs ${missing.join(', ')}: apt-get install -y ${[...new Set(missing.map((m) => E2E_TOOLS[m]))].join(' ')}`);
  }
  if (process.platform !== 'linux') throw new Error(`the desktop e2e test runs on Linux (Xvfb); this is ${process.platform}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something other than undefined. */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, stepMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    await sleep(stepMs);
  }
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface DesktopSession {
  display: string;
  /** DISPLAY and DBUS_SESSION_BUS_ADDRESS (plus PATH/HOME from the test). */
  env: NodeJS.ProcessEnv;
  /** Everything dbus-monitor saw on org.freedesktop.Notifications so far. */
  notifications(): string;
  /** Waits until a notification containing `text` went over the bus. */
  waitForNotification(text: string, timeoutMs?: number): Promise<void>;
  /** Output of the helper processes, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export async function startDesktopSession(opts: { width?: number; height?: number; dunstConfig?: string } = {}): Promise<DesktopSession> {
  const procs: ChildProcess[] = [];
  let logs = '';
  const start = (cmd: string, args: string[], env: NodeJS.ProcessEnv, stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'pipe']): ChildProcess => {
    const c = spawn(cmd, args, { env, stdio });
    procs.push(c);
    c.stderr?.on('data', (d) => (logs = `${logs}[${cmd}] ${d}`.slice(-20_000)));
    c.on('error', (e) => (logs += `[${cmd}] ${e.message}\n`));
    return c;
  };
  const stop = async (): Promise<void> => {
    for (const c of procs.reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([gone, sleep(2_000)]);
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  };
  try {
    const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };
    // Xvfb writes the display number it chose to fd 3 once it accepts connections.
    const xvfb = start('Xvfb', ['-displayfd', '3', '-screen', '0', `${opts.width ?? 1024}x${opts.height ?? 768}x24`, '-nolisten', 'tcp'], base, [
      'ignore',
      'ignore',
      'pipe',
      'pipe',
    ]);
    let fd3 = '';
    xvfb.stdio[3]!.on('data', (d) => (fd3 += d));
    const display = `:${await until('Xvfb to start', () => (/\d+\n/.test(fd3) ? fd3.trim() : undefined), 15_000, 50)}`;

    // A private session bus; activation from it finds no display, so the only
    // notification daemon is the dunst started here.
    const bus = start('dbus-daemon', ['--session', '--nofork', '--print-address=1'], base);
    let busOut = '';
    bus.stdout!.on('data', (d) => (busOut += d));
    const address = await until('dbus-daemon address', () => (busOut.includes('\n') ? busOut.trim().split('\n')[0] : undefined), 10_000, 50);
    const env: NodeJS.ProcessEnv = { ...base, DISPLAY: display, DBUS_SESSION_BUS_ADDRESS: address };

    const monitor = start('dbus-monitor', ["interface='org.freedesktop.Notifications'"], env);
    let seen = '';
    monitor.stdout!.on('data', (d) => (seen += d));
    // dbus-monitor prints its own NameAcquired signal once it listens.
    await until('dbus-monitor to listen', () => (seen.includes('NameAcquired') || seen.length > 0 ? true : undefined), 5_000, 50).catch(() => sleep(300));

    const conf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-dunst-')), 'dunstrc');
    fs.writeFileSync(conf, opts.dunstConfig ?? DUNST_CONFIG);
    start('dunst', ['-config', conf], env);
    await until(
      'dunst to own org.freedesktop.Notifications',
      async () => {
        const { stdout } = await run(
          'dbus-send',
          [
            '--session',
            '--print-reply',
            '--dest=org.freedesktop.DBus',
            '/org/freedesktop/DBus',
            'org.freedesktop.DBus.NameHasOwner',
            'string:org.freedesktop.Notifications',
          ],
          { env },
        );
        return /boolean true/.test(stdout) ? true : undefined;
      },
      10_000,
    );

    start('trayer', ['--edge', 'top', '--align', 'right', '--widthtype', 'request', '--height', '24', '--transparent', 'false', '--tint', '0x333333'], env);
    await until(
      'trayer to map its panel',
      async () => ((await run('xwininfo', ['-root', '-tree'], { env })).stdout.includes('"panel"') ? true : undefined),
      10_000,
    );

    return {
      display,
      env,
      notifications: () => seen,
      waitForNotification: async (text, timeoutMs = 10_000) => {
        await until(`a notification containing ${JSON.stringify(text)} on D-Bus`, () => (seen.includes(text) ? true : undefined), timeoutMs);
      },
      logs: () => logs,
      stop,
    };
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${logs}`);
  }
}

/** dunst in the bottom-left corner, away from the tray menu in screenshots. */
const DUNST_CONFIG = `[global]
    origin = bottom-left
    offset = 10x10
    width = 420
    font = DejaVu Sans 10
    frame_width = 1
    frame_color = "#888888"
[urgency_low]
    background = "#222222"
    foreground = "#ffffff"
    timeout = 8
[urgency_normal]
    background = "#222222"
    foreground = "#ffffff"
    timeout = 8
[urgency_critical]
    background = "#552222"
    foreground = "#ffffff"
    timeout = 8
`;

/** Where the tray icon (the systray binary's XEmbed window inside trayer) is on screen. */
export async function findTrayIcon(env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<Rect> {
  return until(
    'the tray icon window',
    async () => {
      const { stdout } = await run('xwininfo', ['-root', '-tree'], { env });
      const m = /\("systray" "systray"\)\s+(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)/.exec(stdout);
      if (!m) return undefined;
      const [w, h, x, y] = m.slice(1).map(Number);
      return w > 1 && h > 1 ? { x, y, w, h } : undefined;
    },
    timeoutMs,
    150,
  );
}

export async function trayIconPresent(env: NodeJS.ProcessEnv): Promise<boolean> {
  const { stdout } = await run('xwininfo', ['-root', '-tree'], { env });
  return /\("systray" "systray"\)/.test(stdout);
}

export async function xdotool(env: NodeJS.ProcessEnv, ...args: string[]): Promise<void> {
  await run('xdotool', args, { env });
}

/** Presses keys one after the other, with a short pause so GTK sees each. */
export async function keys(env: NodeJS.ProcessEnv, ...names: string[]): Promise<void> {
  for (const k of names) {
    await xdotool(env, 'key', k);
    await sleep(60);
  }
}

export async function screenshot(env: NodeJS.ProcessEnv, file: string): Promise<string> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await run('import', ['-window', 'root', file], { env });
  return file;
}

export interface Pixels {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row by row. */
  rgb: Buffer;
  at(x: number, y: number): [number, number, number];
}

export async function readPixels(file: string): Promise<Pixels> {
  const { stdout: size } = await run('identify', ['-format', '%w %h', file]);
  const [width, height] = size.trim().split(' ').map(Number);
  const { stdout } = await run('convert', [file, '-depth', '8', 'rgb:-'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  const rgb = stdout as unknown as Buffer;
  return {
    width,
    height,
    rgb,
    at: (x, y) => {
      const i = (y * width + x) * 3;
      return [rgb[i], rgb[i + 1], rgb[i + 2]];
    },
  };
}

/** The bounding box of pixels matching `test` inside `within` (default: the whole image). */
export function boundingBox(p: Pixels, test: (r: number, g: number, b: number) => boolean, within?: Rect): Rect | undefined {
  const x0 = within?.x ?? 0;
  const y0 = within?.y ?? 0;
  const x1 = Math.min(p.width, x0 + (within?.w ?? p.width));
  const y1 = Math.min(p.height, y0 + (within?.h ?? p.height));
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -1;
  let maxY = -1;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const [r, g, b] = p.at(x, y);
      if (!test(r, g, b)) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return maxX < 0 ? undefined : { x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1 };
}

/** A crop of the image as raw RGB, to compare regions between screenshots. */
export function crop(p: Pixels, r: Rect): Buffer {
  const rows: Buffer[] = [];
  for (let y = r.y; y < r.y + r.h; y++) rows.push(p.rgb.subarray((y * p.width + r.x) * 3, (y * p.width + r.x + r.w) * 3));
  return Buffer.concat(rows);
}

/** Crops a screenshot to a region (plus a margin) for the docs. */
export async function cropImage(src: string, dest: string, r: Rect, margin = 8): Promise<void> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const x = Math.max(0, r.x - margin);
  const y = Math.max(0, r.y - margin);
  await run('convert', [src, '-crop', `${r.w + 2 * margin}x${r.h + 2 * margin}+${x}+${y}`, '+repage', dest]);
}
