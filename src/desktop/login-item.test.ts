import { promises as fsp, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type CommandRunner,
  desktopExecArg,
  disableLoginItem,
  enableLoginItem,
  type LoginItemSpec,
  loginItemArgs,
  loginItemPath,
  loginItemStatus,
  renderDesktopEntry,
  renderLaunchAgentPlist,
  renderSystemdUnit,
  systemdExecArg,
  xmlEscape,
} from './login-item.js';

// Paths with a space, quotes, `$`, `%`, `&`, `<`, `>` and a backslash.
const NASTY: LoginItemSpec = {
  execPath: '/opt/node 20/bin/node',
  scriptPath: `/home/a&b <x>/it's "q" $HOME 100%/dist/main.js`,
  dataDir: String.raw`/home/a&b <x>/data \ dir`,
  home: '/home/a&b <x>',
  iconPath: '/opt/maxproxy/assets/tray/linux/idle-44.png',
};

const SIMPLE: LoginItemSpec = {
  execPath: '/usr/bin/node',
  scriptPath: '/opt/maxproxy/dist/main.js',
  dataDir: '/home/user/.local/share/maxproxy',
  home: '/home/user',
  iconPath: '/opt/maxproxy/assets/tray/linux/idle-44.png',
};

const NASTY_PATH = '/opt/node 20/bin:/home/a&b <x>/.local/bin:/home/a&b <x>/.claude/local:/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin';

describe('program arguments and PATH', () => {
  it('runs node with the daemon flags on dist/main.js in tray mode with the data dir', () => {
    expect(loginItemArgs(SIMPLE)).toEqual([
      '/usr/bin/node',
      '--max-semi-space-size=2',
      '/opt/maxproxy/dist/main.js',
      '--data-dir',
      '/home/user/.local/share/maxproxy',
    ]);
    expect(loginItemArgs(SIMPLE)).not.toContain('--headless');
  });
  it('PATH: node first, then the usual CLI places, then the system; no duplicates', () => {
    expect(loginItemPath(NASTY)).toBe(NASTY_PATH);
    expect(loginItemPath({ execPath: '/usr/local/bin/node', home: '/Users/me' })).toBe(
      '/usr/local/bin:/Users/me/.local/bin:/Users/me/.claude/local:/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    );
  });
  it('refuses relative paths and control characters', () => {
    expect(() => renderDesktopEntry({ ...SIMPLE, scriptPath: 'dist/main.js' })).toThrow('scriptPath must be an absolute path');
    expect(() => renderSystemdUnit({ ...SIMPLE, dataDir: '/tmp/a\nb' })).toThrow('dataDir contains a control character');
    expect(() => renderLaunchAgentPlist({ ...SIMPLE, home: '~' })).toThrow('home must be an absolute path');
  });
});

describe('XDG autostart .desktop', () => {
  it('quotes Exec arguments per the Desktop Entry spec', () => {
    expect(desktopExecArg('/usr/bin/node')).toBe('/usr/bin/node');
    expect(desktopExecArg('')).toBe('""');
    expect(desktopExecArg('/a b')).toBe('"/a b"');
    expect(desktopExecArg('/a$b')).toBe(String.raw`"/a\\$b"`);
    expect(desktopExecArg('/a"b')).toBe(String.raw`"/a\\"b"`);
    expect(desktopExecArg('/a`b')).toBe(`${String.raw`"/a\\`}\`b"`);
    expect(desktopExecArg(String.raw`/a\b`)).toBe(String.raw`"/a\\\\b"`);
    expect(desktopExecArg('/100%')).toBe('/100%%');
    expect(desktopExecArg("/it's")).toBe(`"/it's"`);
    for (const c of ['&', '<', '>', '|', ';', '*', '?', '#', '(', ')', '~', '\t']) {
      expect(desktopExecArg(`/a${c}b`), JSON.stringify(c)).toBe(`"/a${c}b"`);
    }
  });

  it('simple paths', () => {
    expect(renderDesktopEntry(SIMPLE)).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Version=1.4',
        'Name=maxproxy',
        'Comment=Use your Claude subscription from OpenAI/Anthropic-compatible tools',
        'Exec=/usr/bin/node --max-semi-space-size=2 /opt/maxproxy/dist/main.js --data-dir /home/user/.local/share/maxproxy',
        'Icon=/opt/maxproxy/assets/tray/linux/idle-44.png',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    );
  });

  it('paths with spaces, quotes, $, %, &, <, backslash', () => {
    expect(renderDesktopEntry(NASTY)).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Version=1.4',
        'Name=maxproxy',
        'Comment=Use your Claude subscription from OpenAI/Anthropic-compatible tools',
        String.raw`Exec="/opt/node 20/bin/node" --max-semi-space-size=2 "/home/a&b <x>/it's \\"q\\" \\$HOME 100%%/dist/main.js" --data-dir "/home/a&b <x>/data \\\\ dir"`,
        'Icon=/opt/maxproxy/assets/tray/linux/idle-44.png',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    );
  });
});

describe('systemd user unit', () => {
  it('quotes ExecStart words per systemd rules', () => {
    expect(systemdExecArg('/usr/bin/node')).toBe('"/usr/bin/node"');
    expect(systemdExecArg('/a $HOME $' + '{X}')).toBe('"/a $$HOME $${X}"');
    expect(systemdExecArg('/100%n')).toBe('"/100%%n"');
    expect(systemdExecArg(String.raw`/a"b\c`)).toBe(String.raw`"/a\"b\\c"`);
    expect(systemdExecArg("/it's")).toBe(`"/it's"`);
  });

  it('simple paths', () => {
    expect(renderSystemdUnit(SIMPLE)).toBe(
      [
        '[Unit]',
        'Description=maxproxy: Use your Claude subscription from OpenAI/Anthropic-compatible tools',
        'PartOf=graphical-session.target',
        'After=graphical-session.target',
        '',
        '[Service]',
        'Type=simple',
        'ExecStart="/usr/bin/node" "--max-semi-space-size=2" "/opt/maxproxy/dist/main.js" "--data-dir" "/home/user/.local/share/maxproxy"',
        'Environment="PATH=/usr/bin:/home/user/.local/bin:/home/user/.claude/local:/usr/local/bin:/opt/homebrew/bin:/bin:/usr/sbin:/sbin"',
        'Restart=on-failure',
        'RestartSec=5',
        '',
        '[Install]',
        'WantedBy=graphical-session.target',
        '',
      ].join('\n'),
    );
  });

  it('paths with spaces, quotes, $, %, &, <, backslash', () => {
    const unit = renderSystemdUnit(NASTY);
    expect(unit.split('\n').filter((l) => l.startsWith('ExecStart=') || l.startsWith('Environment='))).toEqual([
      String.raw`ExecStart="/opt/node 20/bin/node" "--max-semi-space-size=2" "/home/a&b <x>/it's \"q\" $$HOME 100%%/dist/main.js" "--data-dir" "/home/a&b <x>/data \\ dir"`,
      `Environment="PATH=${NASTY_PATH}"`,
    ]);
    expect(unit).toContain('Restart=on-failure\n');
  });
});

describe('macOS LaunchAgent plist', () => {
  it('escapes XML', () => {
    expect(xmlEscape(`a&b<c>"d"'e'`)).toBe('a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;');
  });

  it('exact content with paths that need escaping', () => {
    expect(renderLaunchAgentPlist(NASTY)).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
        '<plist version="1.0">',
        '<dict>',
        '\t<key>Label</key>',
        '\t<string>dev.maxproxy.daemon</string>',
        '\t<key>ProgramArguments</key>',
        '\t<array>',
        '\t\t<string>/opt/node 20/bin/node</string>',
        '\t\t<string>--max-semi-space-size=2</string>',
        '\t\t<string>/home/a&amp;b &lt;x&gt;/it&apos;s &quot;q&quot; $HOME 100%/dist/main.js</string>',
        '\t\t<string>--data-dir</string>',
        String.raw`		<string>/home/a&amp;b &lt;x&gt;/data \ dir</string>`,
        '\t</array>',
        '\t<key>RunAtLoad</key>',
        '\t<true/>',
        '\t<key>KeepAlive</key>',
        '\t<dict>',
        '\t\t<key>SuccessfulExit</key>',
        '\t\t<false/>',
        '\t</dict>',
        '\t<key>ProcessType</key>',
        '\t<string>Interactive</string>',
        '\t<key>EnvironmentVariables</key>',
        '\t<dict>',
        '\t\t<key>PATH</key>',
        `\t\t<string>${xmlEscape(NASTY_PATH)}</string>`,
        '\t</dict>',
        '\t<key>StandardOutPath</key>',
        String.raw`	<string>/home/a&amp;b &lt;x&gt;/data \ dir/logs/launchd.out.log</string>`,
        '\t<key>StandardErrorPath</key>',
        String.raw`	<string>/home/a&amp;b &lt;x&gt;/data \ dir/logs/launchd.err.log</string>`,
        '</dict>',
        '</plist>',
        '',
      ].join('\n'),
    );
    expect(xmlEscape(NASTY_PATH)).toBe(
      '/opt/node 20/bin:/home/a&amp;b &lt;x&gt;/.local/bin:/home/a&amp;b &lt;x&gt;/.claude/local:/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    );
  });
});

describe('installer templates match the generators', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const fill = (file: string, spec: LoginItemSpec): string =>
    readFileSync(path.join(root, file), 'utf8')
      .replaceAll('@NODE@', spec.execPath)
      .replaceAll('@MAIN@', spec.scriptPath)
      .replaceAll('@DATA_DIR@', spec.dataDir)
      .replaceAll('@ICON@', spec.iconPath!)
      .replaceAll('@PATH@', loginItemPath(spec));
  const mac: LoginItemSpec = { ...SIMPLE, home: '/Users/me', dataDir: '/Users/me/Library/Application Support/maxproxy' };

  it('linux .desktop', () => expect(fill('installers/linux/maxproxy.desktop', SIMPLE)).toBe(renderDesktopEntry(SIMPLE)));
  it('linux .service', () => expect(fill('installers/linux/maxproxy.service', SIMPLE)).toBe(renderSystemdUnit(SIMPLE)));
  it('macOS plist', () => expect(fill('installers/macos/dev.maxproxy.daemon.plist', mac)).toBe(renderLaunchAgentPlist(mac)));
});

// ---------------------------------------------------------------------------------------

function fakeRunner(fail: Record<string, { code: number; stderr: string }> = {}) {
  const calls: string[][] = [];
  const run: CommandRunner = async (file, args) => {
    const cmd = [file, ...args];
    calls.push(cmd);
    const f = Object.entries(fail).find(([k]) => cmd.join(' ').startsWith(k));
    return f ? { code: f[1].code, stdout: '', stderr: f[1].stderr } : { code: 0, stdout: '', stderr: '' };
  };
  return { calls, run };
}

const exists = (p: string): Promise<boolean> =>
  fsp.access(p).then(
    () => true,
    () => false,
  );

function tmpHome(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'maxproxy home '));
}

describe('enable/disable/status on Linux', () => {
  const base = (home: string) => ({
    platform: 'linux' as const,
    home,
    dataDir: path.join(home, '.local/share/maxproxy'),
    execPath: '/usr/bin/node',
    scriptPath: '/opt/maxproxy/dist/main.js',
    iconPath: '/opt/maxproxy/assets/tray/linux/idle-44.png',
    verifyPaths: false,
  });

  it('default: XDG autostart file, no commands', async () => {
    const home = tmpHome();
    const { calls, run } = fakeRunner();
    const res = await enableLoginItem({ ...base(home), run });
    const file = path.join(home, '.config/autostart/maxproxy.desktop');
    expect(res).toEqual({ mechanism: 'xdg-autostart', path: file, commands: [] });
    expect(await fsp.readFile(file, 'utf8')).toBe(renderDesktopEntry({ ...base(home), home }));
    expect(calls).toEqual([]);
    const st = await loginItemStatus({ ...base(home), run });
    expect(st).toMatchObject({ enabled: true, mechanism: 'xdg-autostart', path: file, upToDate: true });

    // A file written for another node is reported as stale.
    expect((await loginItemStatus({ ...base(home), execPath: '/usr/local/bin/node' })).upToDate).toBe(false);

    const off = await disableLoginItem({ ...base(home), run });
    expect(off).toEqual([{ mechanism: 'xdg-autostart', path: file, commands: [] }]);
    expect(await exists(file)).toBe(false);
    expect(await loginItemStatus({ ...base(home), run })).toMatchObject({ enabled: false, mechanism: null, path: null });
  });

  it('honours XDG_CONFIG_HOME (configHome)', async () => {
    const home = tmpHome();
    const res = await enableLoginItem({ ...base(home), configHome: path.join(home, 'cfg'), run: fakeRunner().run });
    expect(res.path).toBe(path.join(home, 'cfg/autostart/maxproxy.desktop'));
  });

  it('a desktop entry disabled by the session (Hidden=true) is not "enabled"', async () => {
    const home = tmpHome();
    await enableLoginItem({ ...base(home), run: fakeRunner().run });
    const file = path.join(home, '.config/autostart/maxproxy.desktop');
    await fsp.appendFile(file, 'Hidden=true\n');
    const st = await loginItemStatus(base(home));
    expect(st.enabled).toBe(false);
    expect(st.entries[0]).toMatchObject({ exists: true, active: false, upToDate: false });
  });

  it('systemd on request: unit file, daemon-reload, enable --now; replaces XDG', async () => {
    const home = tmpHome();
    await enableLoginItem({ ...base(home), run: fakeRunner().run });
    const { calls, run } = fakeRunner();
    const res = await enableLoginItem({ ...base(home), systemd: true, run });
    const unit = path.join(home, '.config/systemd/user/maxproxy.service');
    expect(res).toEqual({
      mechanism: 'systemd',
      path: unit,
      commands: [
        ['systemctl', '--user', 'daemon-reload'],
        ['systemctl', '--user', 'enable', '--now', 'maxproxy.service'],
      ],
    });
    expect(calls).toEqual(res.commands);
    expect(await exists(path.join(home, '.config/autostart/maxproxy.desktop'))).toBe(false);
    expect(await fsp.readFile(unit, 'utf8')).toBe(renderSystemdUnit(base(home)));
    expect(await loginItemStatus(base(home))).toMatchObject({ enabled: true, mechanism: 'systemd', upToDate: true });

    // Back to XDG: the unit is disabled and removed.
    const back = fakeRunner();
    await enableLoginItem({ ...base(home), run: back.run, activate: false });
    expect(back.calls).toEqual([
      ['systemctl', '--user', 'disable', 'maxproxy.service'],
      ['systemctl', '--user', 'daemon-reload'],
    ]);
    expect(await exists(unit)).toBe(false);
  });

  it('systemd without activation does not start it now; failures are reported', async () => {
    const home = tmpHome();
    const { calls, run } = fakeRunner();
    await enableLoginItem({ ...base(home), systemd: true, activate: false, run });
    expect(calls).toEqual([
      ['systemctl', '--user', 'daemon-reload'],
      ['systemctl', '--user', 'enable', 'maxproxy.service'],
    ]);
    const failing = fakeRunner({ 'systemctl --user daemon-reload': { code: 1, stderr: 'Failed to connect to bus: No medium found' } });
    await expect(enableLoginItem({ ...base(tmpHome()), systemd: true, run: failing.run })).rejects.toThrow(
      'systemctl --user daemon-reload failed (exit 1): Failed to connect to bus: No medium found',
    );
  });

  it('disable removes both mechanisms and tolerates a unit systemd does not know', async () => {
    const home = tmpHome();
    await enableLoginItem({ ...base(home), systemd: true, run: fakeRunner().run });
    const { calls, run } = fakeRunner({ 'systemctl --user disable': { code: 1, stderr: 'Unit file maxproxy.service does not exist.' } });
    const res = await disableLoginItem({ ...base(home), run });
    expect(res.map((r) => r.mechanism)).toEqual(['systemd']);
    expect(calls).toEqual([
      ['systemctl', '--user', 'disable', '--now', 'maxproxy.service'],
      ['systemctl', '--user', 'daemon-reload'],
    ]);
    expect(await disableLoginItem({ ...base(home), run })).toEqual([]);
  });
});

describe('enable/disable/status on macOS', () => {
  const base = (home: string) => ({
    platform: 'darwin' as const,
    home,
    uid: 501,
    dataDir: path.join(home, 'Library/Application Support/maxproxy'),
    execPath: '/opt/homebrew/bin/node',
    scriptPath: '/opt/homebrew/lib/node_modules/maxproxy/dist/main.js',
    verifyPaths: false,
  });

  it('writes the plist, creates the log folder, bootout then bootstrap', async () => {
    const home = tmpHome();
    const { calls, run } = fakeRunner({ 'launchctl bootout': { code: 3, stderr: 'Boot-out failed: 3: No such process' } });
    const res = await enableLoginItem({ ...base(home), run });
    const plist = path.join(home, 'Library/LaunchAgents/dev.maxproxy.daemon.plist');
    expect(res).toEqual({
      mechanism: 'launchd',
      path: plist,
      commands: [
        ['launchctl', 'bootout', 'gui/501/dev.maxproxy.daemon'],
        ['launchctl', 'bootstrap', 'gui/501', plist],
      ],
    });
    expect(calls).toEqual(res.commands);
    expect(await fsp.readFile(plist, 'utf8')).toBe(renderLaunchAgentPlist({ ...base(home), home }));
    expect(await exists(path.join(base(home).dataDir, 'logs'))).toBe(true);
    expect(await loginItemStatus(base(home))).toMatchObject({ enabled: true, mechanism: 'launchd', upToDate: true });

    const off = fakeRunner();
    expect(await disableLoginItem({ ...base(home), run: off.run })).toEqual([
      { mechanism: 'launchd', path: plist, commands: [['launchctl', 'bootout', 'gui/501/dev.maxproxy.daemon']] },
    ]);
    expect(await exists(plist)).toBe(false);
  });

  it('a failing bootstrap is an error with launchctl’s message', async () => {
    const { run } = fakeRunner({ 'launchctl bootstrap': { code: 5, stderr: 'Bootstrap failed: 5: Input/output error' } });
    await expect(enableLoginItem({ ...base(tmpHome()), run })).rejects.toThrow(
      /launchctl bootstrap gui\/501 .* failed \(exit 5\): Bootstrap failed: 5: Input\/output error/,
    );
  });

  it('activate: false only writes/removes the file (the tray toggle)', async () => {
    const home = tmpHome();
    const { calls, run } = fakeRunner();
    await enableLoginItem({ ...base(home), run, activate: false });
    await disableLoginItem({ ...base(home), run, activate: false });
    expect(calls).toEqual([]);
  });

  it('refuses to point a login item at a missing main.js', async () => {
    await expect(enableLoginItem({ ...base(tmpHome()), verifyPaths: true, execPath: process.execPath, run: fakeRunner().run })).rejects.toThrow(
      'main.js not found at /opt/homebrew/lib/node_modules/maxproxy/dist/main.js (run `npm run build`?)',
    );
  });

  it('unsupported platforms say so', async () => {
    await expect(enableLoginItem({ ...base(tmpHome()), platform: 'win32' })).rejects.toThrow('start at login is not supported on win32');
  });
});
