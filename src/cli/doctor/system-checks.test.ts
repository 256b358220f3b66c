import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Config, defaults } from '../../config/defaults.js';
import { SettingsStore } from '../../config/settings.js';
import { recordModelFloor } from '../../engine/model-floors.js';
import { formatReport } from './doctor-command.js';
import { checkDesktop, checkLoginItem, checkModelFloors, checkNode } from './system-checks.js';
import type { DoctorEnv, Runner, RunResult } from './types.js';

const config = (over: Partial<Config> = {}): Config => ({ ...defaults(), dataDir: '/tmp/x', ...over });

/** A machine described by the programs' answers. */
function machine(over: Partial<DoctorEnv>, answers: Record<string, Partial<RunResult>> = {}): DoctorEnv {
  const run: Runner = async (file, args) => {
    const key = Object.keys(answers).find((k) => `${file} ${args.join(' ')}`.includes(k));
    return { code: 0, stdout: '', stderr: '', ...(key ? answers[key] : { code: 127 }) };
  };
  return { env: {}, platform: 'linux', arch: 'x64', nodeVersion: 'v20.20.2', home: '/home/u', run, ...over };
}

const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-doctor-bin-'));
fs.writeFileSync(path.join(binDir, 'notify-send'), '#!/bin/sh\n', { mode: 0o755 });
const LIBS = 'libgtk-3.so.0 (libc6,x86-64) => /lib/libgtk-3.so.0\nlibayatana-appindicator3.so.1 (libc6,x86-64) => /lib/x';

describe('doctor: this machine', () => {
  it('Node older than 20 fails with how to fix it', () => {
    expect(checkNode(machine({ nodeVersion: 'v18.19.0' }))).toMatchObject({ status: 'fail', fix: expect.stringMatching(/Node.js 20 or newer/) });
    expect(checkNode(machine({})).status).toBe('pass');
  });

  it('a desktop without the tray libraries, without notify-send: each named with the package to install', async () => {
    const d = machine({ env: { DISPLAY: ':0', PATH: '/nonexistent' } }, { 'ldconfig -p': { stdout: 'libc.so.6 => /lib/libc.so.6' } });
    const [tray, notifications] = await checkDesktop(config(), d);
    expect(tray).toMatchObject({ status: 'fail', detail: expect.stringMatching(/missing libraries: libgtk-3.so.0, appindicator3.so.1/) });
    expect(tray.fix).toContain('sudo apt install libgtk-3-0 libayatana-appindicator3-1');
    expect(notifications).toMatchObject({ status: 'fail', fix: expect.stringContaining('libnotify-bin') });
  });

  it('no notification daemon on the session bus fails; a tray host missing is only a warning', async () => {
    const d = machine(
      { env: { DISPLAY: ':0', PATH: binDir, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/bus' } },
      {
        'ldconfig -p': { stdout: LIBS },
        NameHasOwner: { stdout: 'boolean false' },
        ListActivatableNames: { stdout: 'array [ string "org.freedesktop.DBus" ]' },
      },
    );
    const [tray, notifications] = await checkDesktop(config(), d);
    expect(tray).toMatchObject({ status: 'warn', detail: expect.stringMatching(/no StatusNotifier tray host/) });
    expect(notifications).toMatchObject({ status: 'fail', detail: 'no notification daemon on the session bus', fix: expect.stringContaining('dunst') });
  });

  it('a working desktop passes', async () => {
    const d = machine(
      { env: { DISPLAY: ':0', PATH: binDir, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/bus' } },
      { 'ldconfig -p': { stdout: LIBS }, NameHasOwner: { stdout: 'boolean true' } },
    );
    const results = await checkDesktop(config(), d);
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass']);
  });

  it('macOS on Apple silicon without Rosetta 2 fails with the install command', async () => {
    const d = machine({ platform: 'darwin', arch: 'arm64' }, { '/usr/bin/arch -x86_64': { code: 1 } });
    const rosetta = (await checkDesktop(config(), d)).find((r) => r.id === 'rosetta')!;
    expect(rosetta).toMatchObject({ status: 'fail', fix: 'run `softwareupdate --install-rosetta --agree-to-license`' });
    const ok = machine({ platform: 'darwin', arch: 'arm64' }, { '/usr/bin/arch -x86_64': { code: 0 } });
    expect((await checkDesktop(config(), ok)).find((r) => r.id === 'rosetta')!.status).toBe('pass');
    // Not asked elsewhere.
    expect((await checkDesktop(config(), machine({ platform: 'darwin', arch: 'x64' }))).some((r) => r.id === 'rosetta')).toBe(false);
  });

  it('no display (a server, an SSH session): the tray is skipped as headless, not failed', async () => {
    const [tray, notifications] = await checkDesktop(config(), machine({ env: { PATH: binDir } }, { 'ldconfig -p': { stdout: LIBS } }));
    expect(tray).toMatchObject({ status: 'skip', detail: expect.stringMatching(/headless: no display/) });
    expect(notifications.status).toBe('skip');
  });

  it('headless by choice skips the desktop lines', async () => {
    expect((await checkDesktop(config({ headless: true }), machine({}))).map((r) => r.status)).toEqual(['skip', 'skip']);
  });

  it('the login item: disabled or out of date is a warning with the command', async () => {
    const off = await checkLoginItem(config(), machine({}), async () => ({ enabled: false, mechanism: null, path: null, upToDate: false, entries: [] }));
    expect(off).toMatchObject({ status: 'warn', fix: expect.stringContaining('maxproxy login-item enable') });
    const stale = await checkLoginItem(config(), machine({}), async () => ({ enabled: true, mechanism: 'launchd', path: '/p', upToDate: false, entries: [] }));
    expect(stale).toMatchObject({ status: 'warn', detail: expect.stringMatching(/out of date/) });
  });

  it('a model the upstream refused for this Claude Code version is a warning with the way out, until the CLI is new enough', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-doctor-floors-'));
    expect(checkModelFloors(config({ dataDir }), '2.1.330')).toMatchObject({ status: 'pass' });
    recordModelFloor(dataDir, { model: 'claude-opus-9-9', required: '2.2.0', cliVersion: '2.1.330', seenAt: Date.now() });
    expect(checkModelFloors(config({ dataDir }), '2.1.330')).toMatchObject({
      status: 'warn',
      detail: 'claude-opus-9-9 needs Claude Code 2.2.0 or newer (maxproxy runs 2.1.330)',
      fix: expect.stringContaining('--claude-path'),
    });
    expect(checkModelFloors(config({ dataDir }), '2.2.0')).toMatchObject({ status: 'pass' });
    expect(checkModelFloors(config({ dataDir }), undefined)).toMatchObject({ status: 'skip' });
  });

  it('the report: one line per check, the fix under each failure, and the count', () => {
    const text = formatReport([
      { id: 'node', title: 'Node.js', status: 'pass', detail: 'v20' },
      { id: 'login', title: 'Claude login', status: 'fail', detail: 'not logged in', fix: 'run `maxproxy login`' },
    ]);
    expect(text).toBe('PASS  Node.js       v20\nFAIL  Claude login  not logged in\n      fix: run `maxproxy login`\n\n1 check failed.\n');
  });
});

describe('settings: remembered connections', () => {
  it('are validated like every other setting', () => {
    const store = new SettingsStore(fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-settings-')));
    store.set('connections', { openclaw: { config: '/a/openclaw.json', api: 'anthropic' } });
    expect(store.get().connections).toEqual({ openclaw: { config: '/a/openclaw.json', api: 'anthropic' } });
    expect(() => store.set('connections', { openclaw: { config: '/a', api: 'grpc' as 'openai' } })).toThrow();
    expect(() => store.set('connections', { cursor: { config: '/a' } } as never)).toThrow();
  });
});
