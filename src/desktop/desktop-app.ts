import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/defaults.js';
import type { SettingsStore } from '../config/settings.js';
import type { Daemon } from '../daemon.js';
import type { Logger } from '../log/logger.js';
import { Alerts } from './alerts.js';
import { disableLoginItem, enableLoginItem, type LoginItemOptions, loginItemStatus } from './login-item.js';
import type { MenuAction, MenuPrefs } from './menu-model.js';
import { type CoalescingNotifier, createNotifier } from './notifier.js';
import { defaultAssetsDir, Tray, type TrayOptions } from './tray.js';

/** The page at `GET /`; a wildcard bind is opened on loopback (the Host guard accepts that name). */
export function dashboardUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}/`;
}

/** Whether a tray can be shown at all on this machine right now. */
export function hasDisplay(env = process.env, platform = process.platform): boolean {
  if (platform === 'darwin') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

const openPath = (target: string) => {
  const cmd = process.platform === 'darwin' ? 'open' : 'xdg-open';
  spawn(cmd, [target], { detached: true, stdio: 'ignore' })
    .on('error', () => undefined)
    .unref();
};

function copyText(text: string, log: Logger): void {
  const candidates: Array<[string, string[]]> =
    process.platform === 'darwin'
      ? [['pbcopy', []]]
      : [
          ['wl-copy', []],
          ['xclip', ['-selection', 'clipboard']],
          ['xsel', ['--clipboard', '--input']],
        ];
  const tryNext = (i: number) => {
    if (i >= candidates.length) return log.warn('no clipboard tool found (install xclip or wl-clipboard)');
    const [cmd, args] = candidates[i];
    const p = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'ignore'] });
    p.on('error', () => tryNext(i + 1));
    p.stdin.end(text);
  };
  tryNext(0);
}

export interface DesktopOptions {
  /** Show the tray icon (false: headless; actions and notifications still work). */
  tray: boolean;
  /** Where notifications go; node-notifier behind coalescing by default (tests pass their own). */
  notifier?: CoalescingNotifier;
  /** What Quit does; SIGTERM to this process by default, which main.ts answers by draining, then exiting. */
  quit?: () => void;
  /** Where the login item lives (tests: a temporary home). */
  loginItem?: Pick<LoginItemOptions, 'home' | 'configHome' | 'platform' | 'run' | 'execPath' | 'scriptPath'>;
  /** Called with the new base URL after the listener moved (main.ts updates the instance lock and offers to update connected tools). */
  onPortMoved?: (url: string, notifier: CoalescingNotifier) => void;
  /** Passed to the Tray (tests). */
  trayOptions?: Partial<TrayOptions>;
}

export interface Desktop {
  /** Runs a menu action as if it had been clicked. */
  act(action: MenuAction): Promise<void>;
  /** The preferences the menu is drawn with right now. */
  prefs(): MenuPrefs;
  readonly tray?: Tray;
  stop(): Promise<void>;
}

/**
 * The desktop side of the daemon: tray menu, its actions, and notifications.
 * Renders only from the status store; never talks to the CLI.
 */
export async function startDesktop(daemon: Daemon, config: Config, settings: SettingsStore, log: Logger, opts: DesktopOptions): Promise<Desktop> {
  const notifier = opts.notifier ?? createNotifier({ logger: log, enabled: config.notifications, icon: notificationIcon() });
  notifier.setEnabled(config.notifications);
  // Settings keep thresholds as fractions (0..1); the menu takes percentages.
  const thresholds = () => ({ warn: config.thresholds.warn, critical: config.thresholds.critical });
  const alerts = new Alerts(notifier, thresholds);
  const onStatus = (s: Parameters<Alerts['onStatus']>[0]) => alerts.onStatus(s);
  const stopNotices = daemon.status.onNotice((n) => alerts.notice(n));
  daemon.status.on('change', onStatus);

  const loginOpts = { dataDir: config.dataDir, ...opts.loginItem };
  const ctx: ActionContext = {
    daemon,
    config,
    settings,
    log,
    notifier,
    alerts,
    loginOpts,
    quit: opts.quit ?? (() => process.kill(process.pid, 'SIGTERM')),
    onPortMoved: opts.onPortMoved,
    startAtLogin: (await loginItemStatus(loginOpts).catch(() => ({ enabled: false }))).enabled,
  };
  // The port submenu keeps one shape for the life of the process (the tray binary cannot
  // add items): the presets plus the port we started on.
  const portPresets = [...new Set([...config.portPresets, daemon.port])];
  const prefs = (): MenuPrefs => ({
    startAtLogin: ctx.startAtLogin,
    notifications: config.notifications,
    port: daemon.port,
    portPresets,
    thresholds: { warn: Math.round(config.thresholds.warn * 100), critical: Math.round(config.thresholds.critical * 100) },
    extraUsage: config.extraUsage,
  });
  const handlers = actionHandlers(ctx);
  const act = async (a: MenuAction): Promise<void> => {
    await (handlers[a.type] as (action: MenuAction) => void | Promise<void>)(a);
  };

  // The dashboard's settings go through these same actions.
  daemon.dashboard.attachTray({
    setPort: (port) => act({ type: 'set-port', port }),
    setNotifications: async (on) => {
      if (on !== config.notifications) await act({ type: 'toggle-notifications' });
    },
    setStartAtLogin: async (on) => {
      if (on !== ctx.startAtLogin) await act({ type: 'toggle-login' });
    },
    current: (key) => (key === 'port' ? daemon.port : key === 'notifications' ? config.notifications : ctx.startAtLogin),
    refresh: () => ctx.tray?.refresh(),
  });

  if (opts.tray) ctx.tray = await startTray(ctx, opts, prefs, act);
  log.debug({ tray: ctx.tray?.state ?? 'off' }, 'desktop ready');
  return {
    act,
    prefs,
    tray: ctx.tray,
    stop: async () => {
      daemon.dashboard.attachTray(undefined);
      daemon.status.off('change', onStatus);
      stopNotices();
      await ctx.tray?.stop();
      notifier.close();
    },
  };
}

async function startTray(ctx: ActionContext, opts: DesktopOptions, prefs: () => MenuPrefs, act: (a: MenuAction) => Promise<void>): Promise<Tray> {
  const tray = new Tray({
    store: ctx.daemon.status,
    prefs,
    onAction: act,
    dataDir: ctx.config.dataDir,
    logger: ctx.log,
    ...opts.trayOptions,
  });
  // The tray logs why; on a Mac, where a display is always there, also say it where the user looks.
  tray.on('headless', (reason: string) => {
    if ((opts.trayOptions?.platform ?? process.platform) === 'darwin') ctx.notifier.notify('tray', 'maxproxy has no menu-bar icon', reason);
  });
  // Set before start() resolves: a click during start-up refreshes this tray.
  ctx.tray = tray;
  if (await tray.start()) ctx.log.info('tray icon shown');
  return tray;
}

/** What the menu's actions work on. */
interface ActionContext {
  daemon: Daemon;
  config: Config;
  settings: SettingsStore;
  log: Logger;
  notifier: CoalescingNotifier;
  alerts: Alerts;
  loginOpts: LoginItemOptions;
  quit: () => void;
  onPortMoved?: (url: string, notifier: CoalescingNotifier) => void;
  /** Whether the login item is registered, as last read back. */
  startAtLogin: boolean;
  tray?: Tray;
}

type ActionHandlers = { [K in MenuAction['type']]: (action: Extract<MenuAction, { type: K }>) => void | Promise<void> };

/** One handler per menu action (a new action adds its entry here; the type makes it required). */
function actionHandlers(c: ActionContext): ActionHandlers {
  return {
    'toggle-login': () => toggleLogin(c),
    'set-port': (a) => setPort(c, a.port),
    'toggle-notifications': () => toggleNotifications(c),
    'toggle-extra-usage': () => {
      // On: let extra usage through and still say so once per window; off: refuse (the default).
      c.daemon.setExtraUsage(c.config.extraUsage === 'refuse' ? 'notify' : 'refuse');
      c.tray?.refresh();
    },
    pause: () => setPaused(c, true),
    resume: () => setPaused(c, false),
    'end-session': (a) => {
      c.daemon.engine.endSession(a.id);
    },
    'copy-url': () => copyText(`${c.daemon.url}/v1`, c.log),
    'open-dashboard': () => openPath(dashboardUrl(c.config.host, c.daemon.port)),
    'open-logs': () => openPath(path.join(c.config.dataDir, 'logs')),
    'open-settings': () => openPath(c.settings.file),
    quit: () => {
      c.log.info('quit from the tray menu');
      c.quit();
    },
  };
}

async function toggleLogin(c: ActionContext): Promise<void> {
  // activate:false: registering must not start (or stop) a second copy of this running daemon.
  try {
    if (c.startAtLogin) await disableLoginItem({ ...c.loginOpts, activate: false, logger: c.log });
    else await enableLoginItem({ ...c.loginOpts, activate: false, logger: c.log });
  } catch (e) {
    c.log.warn({ err: (e as Error).message }, 'start at login not changed');
    c.notifier.notify('login-item', 'Start at login was not changed', (e as Error).message);
  }
  c.startAtLogin = (await loginItemStatus(c.loginOpts).catch(() => ({ enabled: c.startAtLogin }))).enabled;
  try {
    c.settings.set('startAtLogin', c.startAtLogin);
  } catch {
    /* settings file invalid: the login item itself is the truth */
  }
  c.tray?.refresh();
}

async function setPort(c: ActionContext, port: number): Promise<void> {
  const { daemon } = c;
  if (port === daemon.port) return;
  const before = daemon.port;
  try {
    await daemon.movePort(port);
    c.config.port = port;
    c.log.info({ from: before, port }, 'listening on a new port');
    c.onPortMoved?.(daemon.url, c.notifier);
  } catch (e) {
    c.log.warn({ port, err: (e as Error).message }, 'port not available; keeping the old one');
    c.alerts.portConflict(port, e as NodeJS.ErrnoException, daemon.port);
  }
  c.tray?.refresh();
}

function toggleNotifications(c: ActionContext): void {
  c.config.notifications = !c.config.notifications;
  c.notifier.setEnabled(c.config.notifications);
  try {
    c.settings.set('notifications', c.config.notifications);
  } catch {
    /* not persisted */
  }
  c.tray?.refresh();
}

function setPaused(c: ActionContext, paused: boolean): void {
  c.daemon.paused = paused;
  c.daemon.status.setServer({ state: paused ? 'paused' : 'running' });
  c.log.info(paused ? 'paused: new requests are refused with 503' : 'resumed');
}

/** The app icon shown beside notifications (Linux; macOS uses the app's own). */
function notificationIcon(): string | undefined {
  const file = path.join(defaultAssetsDir(), 'tray', 'linux', 'idle-44.png');
  return fs.existsSync(file) ? file : undefined;
}
