/**
 * Installing maxproxy the way its users do: `npm pack`, then `npm install -g <tarball>`
 * into a temporary prefix (production dependencies only), then run the installed
 * `maxproxy` headless against the mock upstream.
 *
 * Uses the npm registry for the dependencies (npm's cache makes repeat runs quick; the
 * Agent SDK's platform package holding the Claude Code binary is ~380 MB the first time).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_NODE_FLAGS } from '../src/config/node-flags.js';
import { MockUpstream, ROOT, startProxy, tempDir } from './harness.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let work: string;
let prefix: string;
let pkg: string;
let tarball: string;
let upstream: MockUpstream;

const isExecutable = (file: string): boolean => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return (fs.statSync(file).mode & 0o111) !== 0;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  work = tempDir('maxproxy-pack-');
  prefix = path.join(work, 'prefix');
  // `npm test` builds first; packing without scripts keeps dist/ stable for the other
  // test files running meanwhile (prepare would rebuild it in place).
  expect(fs.existsSync(path.join(ROOT, 'dist', 'main.js'))).toBe(true);
  const { stdout } = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(work, path.basename(info.filename));
  await run(npm, ['install', '--global', tarball, '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: work,
    timeout: 900_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  pkg = path.join(prefix, 'lib', 'node_modules', 'maxproxy');
  upstream = await new MockUpstream().start();
}, 960_000);

afterAll(async () => {
  await upstream?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('global install from the npm tarball', () => {
  it('holds the built files, assets, installers and no sources or tests', () => {
    const files = (dir: string): string[] =>
      fs
        .readdirSync(path.join(pkg, dir), { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => path.relative(pkg, path.join(d.parentPath, d.name)));
    expect(fs.existsSync(path.join(pkg, 'package.json'))).toBe(true);
    expect(fs.existsSync(path.join(pkg, 'README.md'))).toBe(true);
    for (const f of [
      'dist/main.js',
      'dist/daemon.js',
      'dist/desktop/tray-process.js',
      'dist/desktop/login-item.js',
      'dist/cli/status-command.js',
      'dist/desktop/macos/menubar.js',
      'assets/macos/maxproxy-menubar.js',
    ]) {
      expect(fs.existsSync(path.join(pkg, f)), f).toBe(true);
    }
    expect(files('dist').filter((f) => /\.test\.js$|testdata/.test(f))).toEqual([]);
    expect(fs.existsSync(path.join(pkg, 'src'))).toBe(false);
    expect(fs.existsSync(path.join(pkg, 'test'))).toBe(false);

    const icons = files('assets/tray').sort();
    for (const state of ['idle', 'serving', 'warning', 'error']) {
      expect(icons).toContain(`assets/tray/linux/${state}-22.png`);
      expect(icons).toContain(`assets/tray/linux/${state}-44.png`);
      expect(icons).toContain(`assets/tray/macos/${state}Template.png`);
      expect(icons).toContain(`assets/tray/macos/${state}Template@2x.png`);
    }
    for (const f of [
      'installers/README.md',
      'installers/linux/maxproxy.desktop',
      'installers/linux/maxproxy.service',
      'installers/macos/dev.maxproxy.daemon.plist',
    ]) {
      expect(fs.existsSync(path.join(pkg, f)), f).toBe(true);
    }
    for (const f of ['installers/linux/install.sh', 'installers/linux/uninstall.sh', 'installers/macos/install.sh', 'installers/macos/uninstall.sh']) {
      expect(isExecutable(path.join(pkg, f)), `${f} is executable`).toBe(true);
    }
    // The dashboard's page, the modules it shares with the daemon and its chart library are in dist/ (copied at build time), not node_modules.
    for (const f of [
      'dist/dashboard/web/index.html',
      'dist/dashboard/web/app.js',
      'dist/dashboard/web/shared/relative-time.js',
      'dist/dashboard/web/vendor/uPlot.iife.min.js',
    ])
      expect(fs.existsSync(path.join(pkg, f)), f).toBe(true);
    // No dev dependencies at run time.
    for (const dev of ['typescript', 'vitest', 'tsx', 'openai', 'uplot', 'playwright-core'])
      expect(fs.existsSync(path.join(pkg, 'node_modules', dev)), dev).toBe(false);
  });

  it('links an executable `maxproxy` that prints its version', async () => {
    const bin = path.join(prefix, 'bin', 'maxproxy');
    expect(isExecutable(bin)).toBe(true);
    const { stdout } = await run(bin, ['--version']);
    expect(stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('gets an executable tray binary: systray2 ships it 0644; it is chmodded, or copied when it cannot be', async () => {
    const shipped = path.join(pkg, 'node_modules', 'systray2', 'traybin', 'tray_linux_release');
    expect(fs.existsSync(shipped)).toBe(true);
    const mod = (await import(pathToFileURL(path.join(pkg, 'dist', 'desktop', 'tray-process.js')).href)) as typeof import('../src/desktop/tray-process.js');
    const dataDir = tempDir('maxproxy-pack-data-');
    const wasExecutable = isExecutable(shipped);
    // A global install owned by another user: chmod fails, the binary is copied to the data dir.
    const copied = await mod.resolveTrayBinary({
      dataDir,
      platform: 'linux',
      arch: 'x64',
      chmod: async () => {
        throw Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM' });
      },
    });
    if (wasExecutable) {
      expect(copied).toBe(shipped);
    } else {
      expect(path.dirname(copied)).toBe(path.join(dataDir, 'bin'));
      expect(isExecutable(copied)).toBe(true);
      expect(fs.statSync(copied).size).toBe(fs.statSync(shipped).size);
    }
    // Our own install: chmodded in place.
    const resolved = await mod.resolveTrayBinary({ dataDir: tempDir('maxproxy-pack-data-'), platform: 'linux', arch: 'x64' });
    expect(resolved).toBe(shipped);
    expect(isExecutable(shipped)).toBe(true);
  });

  it('ships the macOS menu-bar helper: the installed code finds it, and it builds the menu from the installed icons', async () => {
    const mod = (await import(
      pathToFileURL(path.join(pkg, 'dist', 'desktop', 'macos', 'menubar.js')).href
    )) as typeof import('../src/desktop/macos/menubar.js');
    const helper = mod.menubarHelperPath();
    expect(helper).toBe(path.join(pkg, 'assets', 'macos', 'maxproxy-menubar.js'));
    expect(fs.readFileSync(helper, 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'assets', 'macos', 'maxproxy-menubar.js'), 'utf8'));
    // Run by osascript, not executed: no execute bit needed. The test stand-ins stay out of the package.
    expect(fs.existsSync(path.join(pkg, 'dist', 'desktop', 'macos', 'testing.js'))).toBe(false);
    expect(fs.existsSync(path.join(pkg, 'dist', 'desktop', 'macos', 'testdata'))).toBe(false);
    const { FakeCocoa, loadHelper } = await import('../src/desktop/macos/testing.js');
    const cocoa = new FakeCocoa({ arch: 'arm64' });
    const h = loadHelper(helper, cocoa).startMenubar({ $: cocoa.$, ObjC: cocoa.ObjC, mode: 'auto', log: () => {}, quit: () => {} });
    const icon = fs.readFileSync(path.join(pkg, 'assets', 'tray', 'macos', 'idleTemplate@2x.png')).toString('base64');
    cocoa.sendStdin(
      `${JSON.stringify({ icon, title: '', tooltip: 'maxproxy', isTemplateIcon: true, items: [{ title: 'Quit maxproxy', tooltip: '', enabled: true, checked: false, hidden: false, __id: 1 }] })}\n`,
    );
    h.step(0);
    expect(cocoa.messages()[0]).toMatchObject({ type: 'ready', helper: 'maxproxy-menubar' });
    expect(cocoa.shown()).toEqual([{ title: 'Quit maxproxy', enabled: true, checked: false, hidden: false }]);
    expect(cocoa.item.button.image?.template).toBe(true);
  });

  it('runs headless from the install: /health answers and a chat completion goes through the installed Claude Code', async () => {
    const proxy = await startProxy({ upstream, command: { file: path.join(prefix, 'bin', 'maxproxy'), args: [] } });
    try {
      const health = await fetch(`${proxy.url}/health`);
      expect(health.status).toBe(200);
      const h = (await health.json()) as { status: string; claude: { path: string; source: string } };
      expect(h.status).toBe('ok');
      // The CLI bundled with the installed Agent SDK, not the repository's.
      expect(h.claude.path.startsWith(pkg)).toBe(true);
      // The bin's shebang started node with the daemon's V8 flags (env -S split them).
      const argv = fs.readFileSync(`/proc/${proxy.child.pid}/cmdline`, 'utf8').split('\0');
      expect(argv.slice(1, 1 + DAEMON_NODE_FLAGS.length)).toEqual([...DAEMON_NODE_FLAGS]);
      // The dashboard is served from the install, chart library included.
      const page = await fetch(`${proxy.url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/dashboard/assets/vendor/uPlot.iife.min.js');
      const lib = await fetch(`${proxy.url}/dashboard/assets/vendor/uPlot.iife.min.js`);
      expect(lib.status).toBe(200);
      expect(lib.headers.get('content-type')).toMatch(/javascript/);
      const r = await fetch(`${proxy.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'installed?' }] }),
      });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content).toBe('echo: installed?');
    } finally {
      expect(await proxy.stop()).toBe(0);
    }
  });
});
