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

/** Whether a tray can be shown at all on this machine right now. */
/** The page at `GET /`; a wildcard bind is opened on loopback (the Host guard accepts that name). */
export function dashboardUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}/`;
}

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
  let startAtLogin = (await loginItemStatus(loginOpts).catch(() => ({ enabled: false }))).enabled;
  // The port submenu keeps one shape for the life of the process (the tray binary cannot
  // add items): the presets plus the port we started on.
  const portPresets = [...new Set([...config.portPresets, daemon.port])];
  const quit = opts.quit ?? (() => process.kill(process.pid, 'SIGTERM'));
  let tray: Tray | undefined;

  const prefs = (): MenuPrefs => ({
    startAtLogin,
    notifications: config.notifications,
    port: daemon.port,
    portPresets,
    thresholds: { warn: Math.round(config.thresholds.warn * 100), critical: Math.round(config.thresholds.critical * 100) },
    extraUsage: config.extraUsage,
  });

  const act = async (a: MenuAction): Promise<void> => {
    switch (a.type) {
      case 'toggle-login': {
        // activate:false: registering must not start (or stop) a second copy of this running daemon.
        try {
          if (startAtLogin) await disableLoginItem({ ...loginOpts, activate: false, logger: log });
          else await enableLoginItem({ ...loginOpts, activate: false, logger: log });
        } catch (e) {
          log.warn({ err: (e as Error).message }, 'start at login not changed');
          notifier.notify('login-item', 'Start at login was not changed', (e as Error).message);
        }
        startAtLogin = (await loginItemStatus(loginOpts).catch(() => ({ enabled: startAtLogin }))).enabled;
        try {
          settings.set('startAtLogin', startAtLogin);
        } catch {
          /* settings file invalid: the login item itself is the truth */
        }
        tray?.refresh();
        return;
      }
      case 'set-port': {
        if (a.port === daemon.port) return;
        const before = daemon.port;
        try {
          await daemon.movePort(a.port);
          config.port = a.port;
          log.info({ from: before, port: a.port }, 'listening on a new port');
          opts.onPortMoved?.(daemon.url, notifier);
        } catch (e) {
          log.warn({ port: a.port, err: (e as Error).message }, 'port not available; keeping the old one');
          alerts.portConflict(a.port, e as NodeJS.ErrnoException, daemon.port);
        }
        tray?.refresh();
        return;
      }
      case 'toggle-notifications':
        config.notifications = !config.notifications;
        notifier.setEnabled(config.notifications);
        try {
          settings.set('notifications', config.notifications);
        } catch {
          /* not persisted */
        }
        tray?.refresh();
        return;
      case 'toggle-extra-usage':
        // On: let extra usage through and still say so once per window; off: refuse (the default).
        daemon.setExtraUsage(config.extraUsage === 'refuse' ? 'notify' : 'refuse');
        tray?.refresh();
        return;
      case 'pause':
        daemon.paused = true;
        daemon.status.setServer({ state: 'paused' });
        log.info('paused: new requests are refused with 503');
        return;
      case 'resume':
        daemon.paused = false;
        daemon.status.setServer({ state: 'running' });
        log.info('resumed');
        return;
      case 'end-session':
        daemon.engine.endSession(a.id);
        return;
      case 'copy-url':
        copyText(`${daemon.url}/v1`, log);
        return;
      case 'open-dashboard':
        openPath(dashboardUrl(config.host, daemon.port));
        return;
      case 'open-logs':
        openPath(path.join(config.dataDir, 'logs'));
        return;
      case 'open-settings':
        openPath(settings.file);
        return;
      case 'quit':
        log.info('quit from the tray menu');
        quit();
        return;
    }
  };

  // The dashboard's settings go through these same actions.
  daemon.dashboard.attachTray({
    setPort: (port) => act({ type: 'set-port', port }),
    setNotifications: async (on) => {
      if (on !== config.notifications) await act({ type: 'toggle-notifications' });
    },
    setStartAtLogin: async (on) => {
      if (on !== startAtLogin) await act({ type: 'toggle-login' });
    },
    current: (key) => (key === 'port' ? daemon.port : key === 'notifications' ? config.notifications : startAtLogin),
    refresh: () => tray?.refresh(),
  });

  if (opts.tray) {
    tray = new Tray({
      store: daemon.status,
      prefs,
      onAction: act,
      dataDir: config.dataDir,
      logger: log,
      ...opts.trayOptions,
    });
    // The tray logs why; on a Mac, where a display is always there, also say it where the user looks.
    tray.on('headless', (reason: string) => {
      if ((opts.trayOptions?.platform ?? process.platform) === 'darwin') notifier.notify('tray', 'maxproxy has no menu-bar icon', reason);
    });
    const ok = await tray.start();
    if (ok) log.info('tray icon shown');
  }
  log.debug({ tray: tray?.state ?? 'off' }, 'desktop ready');
  return {
    act,
    prefs,
    tray,
    stop: async () => {
      daemon.dashboard.attachTray(undefined);
      daemon.status.off('change', onStatus);
      stopNotices();
      await tray?.stop();
      notifier.close();
    },
  };
}

/** The app icon shown beside notifications (Linux; macOS uses the app's own). */
function notificationIcon(): string | undefined {
  const file = path.join(defaultAssetsDir(), 'tray', 'linux', 'idle-44.png');
  return fs.existsSync(file) ? file : undefined;
}
