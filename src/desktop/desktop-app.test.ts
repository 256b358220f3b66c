import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../config/defaults.js';
import type { SettingsStore } from '../config/settings.js';
import type { Daemon } from '../daemon.js';
import type { Logger } from '../log/logger.js';
import { StatusStore } from '../status/store.js';
import { startDesktop } from './desktop-app.js';
import { CoalescingNotifier, type Notification } from './notifier.js';
import { TrayStartError } from './tray-process.js';

/** Only what startDesktop reads before the tray starts; the actions are tested against a real daemon in test/desktop-actions.test.ts. */
function fakes() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'maxproxy-desktop-'));
  const status = new StatusStore('0.1.0');
  const daemon = { status, port: 3456, url: 'http://127.0.0.1:3456', dashboard: { attachTray: () => {} } } as unknown as Daemon;
  const config = { dataDir, notifications: true, thresholds: { warn: 0.75, critical: 0.9 }, portPresets: [3456] } as unknown as Config;
  const settings = { set: () => {}, file: path.join(dataDir, 'settings.json') } as unknown as SettingsStore;
  const lines: Array<[string, object, string | undefined]> = [];
  const rec = (level: string) => (obj: object, msg?: string) => void lines.push([level, obj, msg]);
  const log = { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') } as unknown as Logger;
  const sent: Notification[] = [];
  const notifier = new CoalescingNotifier({ backend: { send: async (n) => void sent.push(n) }, gatherMs: 0, windowMs: 0 });
  return { dataDir, daemon, config, settings, log, lines, sent, notifier };
}

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('startDesktop when the tray cannot start', () => {
  it('macOS: one log line with the cause, and a notification that says what to do', async () => {
    const f = fakes();
    const reason = 'no menu-bar icon (menubar: …; systray2: … Rosetta 2 is not installed …). maxproxy keeps serving';
    const desktop = await startDesktop(f.daemon, f.config, f.settings, f.log, {
      tray: true,
      notifier: f.notifier,
      loginItem: { home: path.join(f.dataDir, 'home'), platform: 'darwin' },
      trayOptions: {
        platform: 'darwin',
        icons: { png: { idle: 'aQ==', serving: 'aQ==', warning: 'aQ==', error: 'aQ==' }, template: true },
        startProcess: async () => {
          throw new TrayStartError(reason, true);
        },
      },
    });
    await flush();
    expect(desktop.tray?.state).toBe('headless');
    expect(f.lines.filter(([, o]) => 'reason' in o)).toEqual([['error', { reason }, 'tray unavailable; running headless']]);
    expect(f.sent).toEqual([expect.objectContaining({ title: 'maxproxy has no menu-bar icon', message: reason })]);
    await desktop.stop();
  });

  it('Linux: logged, no notification (no display is the usual cause)', async () => {
    const f = fakes();
    const desktop = await startDesktop(f.daemon, f.config, f.settings, f.log, {
      tray: true,
      notifier: f.notifier,
      loginItem: { home: path.join(f.dataDir, 'home'), platform: 'linux' },
      trayOptions: {
        platform: 'linux',
        icons: { png: { idle: 'aQ==', serving: 'aQ==', warning: 'aQ==', error: 'aQ==' }, template: false },
        startProcess: async () => {
          throw new TrayStartError('no display', true);
        },
      },
    });
    await flush();
    expect(desktop.tray?.state).toBe('headless');
    expect(f.lines.filter(([, o]) => 'reason' in o)).toHaveLength(1);
    expect(f.sent).toEqual([]);
    await desktop.stop();
  });
});
