import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../config/defaults.js';
import type { SettingsStore } from '../config/settings.js';
import type { Daemon } from '../daemon.js';
import type { Logger } from '../log/logger.js';
import { Alerts } from './alerts.js';
import { disableLoginItem, enableLoginItem, loginItemStatus } from './login-item.js';
import type { MenuAction } from './menu-model.js';
import { createNotifier } from './notifier.js';
import { Tray } from './tray.js';

/** Whether a tray can be shown at all on this machine right now. */
export function hasDisplay(env = process.env, platform = process.platform): boolean {
  if (platform === 'darwin') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

const openPath = (target: string) => {
  const cmd = process.platform === 'darwin' ? 'open' : 'xdg-open';
  spawn(cmd, [target], { detached: true, stdio: 'ignore' }).on('error', () => undefined).unref();
};

function copyText(text: string, log: Logger): void {
  const candidates: Array<[string, string[]]> = process.platform === 'darwin' ? [['pbcopy', []]] : [['wl-copy', []], ['xclip', ['-selection', 'clipboard']], ['xsel', ['--clipboard', '--input']]];
  const tryNext = (i: number) => {
    if (i >= candidates.length) return log.warn('no clipboard tool found (install xclip or wl-clipboard)');
    const [cmd, args] = candidates[i];
    const p = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'ignore'] });
    p.on('error', () => tryNext(i + 1));
    p.stdin.end(text);
  };
  tryNext(0);
}

/**
 * The desktop side of the daemon: tray menu, its actions, and notifications.
 * Renders only from the status store; never talks to the CLI.
 */
export async function startDesktop(daemon: Daemon, config: Config, settings: SettingsStore, log: Logger, opts: { tray: boolean }): Promise<{ stop(): Promise<void> }> {
  const notifier = createNotifier({ logger: log, enabled: config.notifications });
  const thresholds = () => ({ warn: config.thresholds.warn, critical: config.thresholds.critical });
  const alerts = new Alerts(notifier, thresholds);
  const onStatus = (s: Parameters<Alerts['onStatus']>[0]) => alerts.onStatus(s);
  daemon.status.on('change', onStatus);
  daemon.status.on('notice', (n: { kind: string; client: string; sessionId?: string; afterMs: number }) => {
    if (n.kind === 'timeout') alerts.timeout(n.client, n.sessionId, n.afterMs);
  });

  let startAtLogin = (await loginItemStatus({ dataDir: config.dataDir }).catch(() => ({ enabled: false }))).enabled;
  const onAction = async (a: MenuAction): Promise<void> => {
    switch (a.type) {
      case 'toggle-login': {
        // activate:false: registering must not start (or stop) a second copy of this running daemon.
        if (startAtLogin) await disableLoginItem({ dataDir: config.dataDir, activate: false, logger: log });
        else await enableLoginItem({ dataDir: config.dataDir, activate: false, logger: log });
        startAtLogin = (await loginItemStatus({ dataDir: config.dataDir })).enabled;
        try {
          settings.set('startAtLogin', startAtLogin);
        } catch {
          /* settings file invalid: the login item itself is the truth */
        }
        tray?.refresh();
        return;
      }
      case 'set-port':
        try {
          await daemon.movePort(a.port);
          config.port = a.port;
          log.info({ port: a.port }, 'listening on a new port');
        } catch (e) {
          notifier.notify('server-error', `Port ${a.port} is not available`, `${(e as Error).message}. Still listening on ${daemon.port}.`);
        }
        tray?.refresh();
        return;
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
      case 'pause':
        daemon.paused = true;
        daemon.status.setServer({ state: 'paused' });
        return;
      case 'resume':
        daemon.paused = false;
        daemon.status.setServer({ state: 'running' });
        return;
      case 'end-session':
        daemon.engine.endSession(a.id);
        return;
      case 'copy-url':
        copyText(`${daemon.url}/v1`, log);
        return;
      case 'open-logs':
        openPath(path.join(config.dataDir, 'logs'));
        return;
      case 'open-settings':
        openPath(settings.file);
        return;
      case 'quit':
        process.kill(process.pid, 'SIGTERM');
        return;
    }
  };

  let tray: Tray | undefined;
  if (opts.tray) {
    tray = new Tray({
      store: daemon.status,
      prefs: () => ({
        startAtLogin,
        notifications: config.notifications,
        port: daemon.port,
        portPresets: [...new Set([...config.portPresets, daemon.port])],
        thresholds: { warn: Math.round(config.thresholds.warn * 100), critical: Math.round(config.thresholds.critical * 100) },
      }),
      onAction,
      dataDir: config.dataDir,
      logger: log,
    });
    tray.on('headless', (reason: string) => log.warn({ reason }, 'no tray; running headless'));
    const ok = await tray.start();
    if (ok) log.info('tray icon shown');
  }
  return {
    stop: async () => {
      daemon.status.off('change', onStatus);
      await tray?.stop();
      notifier.close();
    },
  };
}
