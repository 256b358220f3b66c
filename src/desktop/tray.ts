/**
 * The tray controller: renders the live status as a menu (menu-model.ts) through the tray
 * binary (tray-process.ts), turns clicks into actions, and keeps the tray alive: a
 * crashed tray process is restarted with backoff; after `maxRestarts` quick failures, or
 * a failure that retrying cannot fix (no display, missing libraries), the daemon logs
 * why and carries on headless. The tray never talks to the CLI; it only reads status.
 */
import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatusSnapshot } from '../status/types.js';
import { type Logger, silentLogger } from './logger.js';
import { type MacTrayOptions, startMacTray } from './macos/menubar.js';
import { buildMenu, type MenuAction, type MenuModel, type MenuPrefs, menuActions, type TrayIconName } from './menu-model.js';
import { type TrayExit, type TrayIcons, TrayProcess, type TrayProcessOptions, TrayStartError, type TrayVisibility } from './tray-process.js';

/** What the tray needs from StatusStore. */
export interface StatusSource {
  snapshot(): StatusSnapshot;
  on(event: 'change', listener: (s: StatusSnapshot) => void): unknown;
  off(event: 'change', listener: (s: StatusSnapshot) => void): unknown;
}

/** What the controller needs from a running tray process (TrayProcess, or a fake). */
export interface TrayHandle {
  update(model: MenuModel, icons: TrayIcons): boolean;
  stop(): Promise<unknown>;
  on(event: 'click', listener: (id: string) => void): unknown;
  on(event: 'exit', listener: (info: TrayExit) => void): unknown;
  on(event: 'visibility', listener: (v: TrayVisibility) => void): unknown;
}

export type TrayState = 'stopped' | 'starting' | 'running' | 'restarting' | 'headless';

export interface TrayOptions {
  store: StatusSource;
  prefs: () => MenuPrefs;
  onAction: (action: MenuAction) => void | Promise<void>;
  /** For a copy of the tray binary when the packaged one is not executable. */
  dataDir: string;
  logger?: Logger;
  /** The package's assets/ folder; found relative to this file by default. */
  assetsDir?: string;
  /** Linux icon size: 22 for 1x panels, 44 for HiDPI (hosts scale it down). */
  linuxIconSize?: 22 | 44;
  platform?: NodeJS.Platform;
  arch?: string;
  env?: NodeJS.ProcessEnv;
  /** Status changes within this window are rendered once. */
  debounceMs?: number;
  /** Re-render this often anyway, so "2m ago" and "resets in" stay true. */
  refreshMs?: number;
  maxRestarts?: number;
  /** First restart delay; doubles per try, capped at 30 s. */
  restartDelayMs?: number;
  /** A tray process that lived this long resets the restart count. */
  stableMs?: number;
  readyTimeoutMs?: number;
  now?: () => number;
  /** Icons already loaded (skips reading assetsDir). */
  icons?: TrayIcons;
  /** macOS: how the menu-bar helper is run (tests run it with a stand-in for osascript). */
  macos?: Pick<MacTrayOptions, 'osascript' | 'helperReadyTimeoutMs' | 'run'>;
  /** Starts a tray process; TrayProcess.start by default (tests pass a fake). */
  startProcess?: (model: MenuModel, icons: TrayIcons) => Promise<TrayHandle>;
}

const ICON_NAMES: TrayIconName[] = ['idle', 'serving', 'warning', 'error'];

export function defaultAssetsDir(): string {
  // src/desktop/tray.ts and dist/desktop/tray.js are both two levels below the package root.
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'assets');
}

export function trayIconPath(assetsDir: string, platform: NodeJS.Platform, name: TrayIconName, linuxSize: 22 | 44 = 22): string {
  return platform === 'darwin'
    ? path.join(assetsDir, 'tray', 'macos', `${name}Template@2x.png`)
    : path.join(assetsDir, 'tray', 'linux', `${name}-${linuxSize}.png`);
}

export async function loadTrayIcons(assetsDir: string, platform: NodeJS.Platform, linuxSize: 22 | 44 = 22): Promise<TrayIcons> {
  const png = {} as Record<TrayIconName, string>;
  for (const name of ICON_NAMES) {
    const file = trayIconPath(assetsDir, platform, name, linuxSize);
    const buf = await fsp.readFile(file);
    if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error(`not a PNG: ${file}`);
    png[name] = buf.toString('base64');
  }
  return { png, template: platform === 'darwin' };
}

export class Tray extends EventEmitter {
  private proc: TrayHandle | null = null;
  private icons: TrayIcons | null = null;
  private _state: TrayState = 'stopped';
  private renderTimer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;
  private launchedAt = 0;
  private replacing = false;
  private dirty = false;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly onChange = (): void => this.schedule();

  constructor(private readonly opts: TrayOptions) {
    super();
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
  }

  get state(): TrayState {
    return this._state;
  }

  private setState(s: TrayState): void {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s);
  }

  /** Starts the tray. Resolves true when it is up, false when it went headless or will retry. */
  async start(): Promise<boolean> {
    if (this._state !== 'stopped') return this._state === 'running';
    this.setState('starting');
    try {
      this.icons = this.opts.icons ?? (await loadTrayIcons(this.opts.assetsDir ?? defaultAssetsDir(), this.platform, this.opts.linuxIconSize));
    } catch (e) {
      this.goHeadless(`tray icons unavailable: ${(e as Error).message}`);
      return false;
    }
    this.opts.store.on('change', this.onChange);
    this.refreshTimer = setInterval(() => this.schedule(), this.opts.refreshMs ?? 30_000);
    this.refreshTimer.unref();
    return this.launch();
  }

  /** Re-render soon (e.g. after a preference changed: prefs are not in the status store). */
  refresh(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    this.teardown();
    this.setState('stopped');
    if (p) await p.stop();
  }

  private get platform(): NodeJS.Platform {
    return this.opts.platform ?? process.platform;
  }

  private model(): MenuModel {
    return buildMenu(this.opts.store.snapshot(), this.opts.prefs(), this.now());
  }

  private startProcess(model: MenuModel, icons: TrayIcons): Promise<TrayHandle> {
    if (this.opts.startProcess) return this.opts.startProcess(model, icons);
    const o: TrayProcessOptions = {
      dataDir: this.opts.dataDir,
      logger: this.log,
      platform: this.opts.platform,
      arch: this.opts.arch,
      env: this.opts.env,
      readyTimeoutMs: this.opts.readyTimeoutMs,
    };
    // macOS: maxproxy's own menu-bar helper first, then systray2's binary (macos/menubar.ts).
    if (this.platform === 'darwin') return startMacTray(model, icons, { ...o, assetsDir: this.opts.assetsDir, ...this.opts.macos });
    return TrayProcess.start(model, icons, o);
  }

  private async launch(): Promise<boolean> {
    let proc: TrayHandle;
    try {
      proc = await this.startProcess(this.model(), this.icons!);
    } catch (e) {
      if (this.isStoppedOrHeadless()) return false;
      const err = e as Error;
      if (err instanceof TrayStartError && err.permanent) {
        this.goHeadless(err.message);
        return false;
      }
      this.log.warn({ err: err.message }, 'tray failed to start');
      this.scheduleRestart();
      return false;
    }
    if (this.isStoppedOrHeadless()) {
      // stop() was called while the process was starting.
      await proc.stop();
      return false;
    }
    this.proc = proc;
    this.launchedAt = this.now();
    proc.on('click', (id) => {
      if (this.proc === proc) void this.handleClick(id);
    });
    proc.on('exit', (info) => {
      if (this.proc === proc) this.onExit(info);
    });
    proc.on('visibility', (v) => {
      if (this.proc !== proc) return;
      if (v.visible) this.log.info({ ...v }, 'menu-bar icon visible');
      else {
        this.log.warn(
          { ...v },
          'macOS is not showing the menu-bar icon: allow maxproxy in System Settings > Menu Bar > "Allow in the Menu Bar" (or the menu bar is full or hidden)',
        );
      }
    });
    this.setState('running');
    this.log.info({ pid: (proc as { pid?: number }).pid, ...(proc as { about?: object }).about }, 'tray started');
    // Status may have changed while the process was starting.
    this.schedule();
    return true;
  }

  private isStoppedOrHeadless(): boolean {
    return this._state === 'stopped' || this._state === 'headless';
  }

  private onExit(info: TrayExit): void {
    this.proc = null;
    if (this.isStoppedOrHeadless()) return;
    this.log.warn({ code: info.code, signal: info.signal, stderr: info.stderr.slice(-500) }, 'tray process exited');
    if (this.now() - this.launchedAt >= (this.opts.stableMs ?? 60_000)) this.restarts = 0;
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const max = this.opts.maxRestarts ?? 5;
    if (this.restarts >= max) {
      this.goHeadless(`tray failed ${this.restarts + 1} times in a row`);
      return;
    }
    const delay = Math.min(30_000, (this.opts.restartDelayMs ?? 1000) * 2 ** this.restarts);
    this.restarts++;
    this.setState('restarting');
    this.log.info({ attempt: this.restarts, delayMs: delay }, 'restarting tray');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      void this.launch();
    }, delay);
  }

  private goHeadless(reason: string): void {
    this.teardown();
    this.setState('headless');
    this.log.error({ reason }, 'tray unavailable; running headless');
    this.emit('headless', reason);
  }

  private teardown(): void {
    this.opts.store.off('change', this.onChange);
    for (const t of [this.renderTimer, this.restartTimer]) if (t) clearTimeout(t);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.renderTimer = this.restartTimer = this.refreshTimer = null;
  }

  /**
   * Coalesces changes: the first change arms one timer and later ones ride on it, so a
   * stream of token deltas renders at most every `debounceMs` instead of never (a
   * resetting debounce would starve while a long answer streams).
   */
  private schedule(): void {
    if (this.renderTimer || this._state !== 'running') return;
    this.renderTimer = setTimeout(() => {
      this.renderTimer = null;
      void this.render();
    }, this.opts.debounceMs ?? 250);
  }

  private async render(): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.icons) return;
    if (this.replacing) {
      this.dirty = true;
      return;
    }
    const model = this.model();
    if (proc.update(model, this.icons)) return;
    // The menu's shape changed (e.g. other port presets): the binary cannot add or remove
    // items, so replace the process. Detach it first so its exit is not a crash.
    this.replacing = true;
    this.proc = null;
    this.log.info({}, 'tray menu shape changed; restarting the tray process');
    try {
      await proc.stop();
      if (!this.isStoppedOrHeadless()) await this.launch();
    } finally {
      this.replacing = false;
    }
    if (this.dirty) {
      this.dirty = false;
      this.schedule();
    }
  }

  private async handleClick(id: string): Promise<void> {
    const action = menuActions(id);
    if (!action) {
      this.log.debug({ id }, 'tray click without action');
      return;
    }
    this.log.debug({ id, action: action.type }, 'tray action');
    try {
      await this.opts.onAction(action);
    } catch (e) {
      this.log.error({ err: (e as Error).message, action: action.type }, 'tray action failed');
    }
    // Toggles change prefs, which the status store does not see.
    this.schedule();
  }
}
