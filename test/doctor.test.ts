/**
 * `maxproxy doctor` as a user runs it (the built command, the real Claude Code CLI): a
 * broken setup names each broken link with its fix and exits 1; a healthy one (real
 * daemon, real CLI, mock upstream) passes every line, including a real round trip.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clientTexts, MAIN, MockUpstream, type RunningProxy, startProxy, tempDir } from './harness.js';

interface Check {
  id: string;
  status: 'pass' | 'fail' | 'warn' | 'skip';
  detail: string;
  fix?: string;
}

/** The user's environment with no display, no credentials and no redirections of ours. */
function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  for (const k of [
    'DISPLAY',
    'WAYLAND_DISPLAY',
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_AUTH_TOKEN',
    'ANTHROPIC_BASE_URL',
    'CLAUDE_CODE_OAUTH_TOKEN',
    'XDG_CONFIG_HOME',
    'CODEX_HOME',
    'OPENCODE_CONFIG',
    'OPENCLAW_CONFIG_PATH',
    'OPENCLAW_STATE_DIR',
  ])
    delete env[k];
  for (const k of Object.keys(env)) if (k.startsWith('MAXPROXY_')) delete env[k];
  return env;
}

/** Asynchronous: the mock upstream lives in this process and must keep answering meanwhile. */
async function doctor(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number | null; checks: Check[]; stdout: string }> {
  const child = spawn(process.execPath, [MAIN, 'doctor', '--json', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const report = JSON.parse(stdout) as { ok: boolean; checks: Check[] };
  expect(report.ok).toBe(code === 0);
  return { code, checks: report.checks, stdout };
}

const byId = (checks: Check[], id: string) => {
  const c = checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${checks.map((x) => x.id).join(', ')}`);
  return c;
};

describe('doctor on a broken setup', () => {
  const servers: net.Server[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('names no display, no login, a stale daemon record, a port taken by another program and a tool pointing at the wrong port, each with its fix', async () => {
    const home = tempDir('maxproxy-doctor-home-');
    const dataDir = tempDir('maxproxy-doctor-data-');
    // Another program on the configured port.
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    servers.push(squatter);
    const port = (squatter.address() as net.AddressInfo).port;
    // A daemon that crashed: its records name a pid that is gone.
    const deadPid = 2 ** 22 - 3;
    fs.writeFileSync(path.join(dataDir, 'maxproxy.lock'), JSON.stringify({ pid: deadPid, startedAt: Date.now() - 60_000, url: `http://127.0.0.1:${port}` }));
    // opencode connected while maxproxy was on another port.
    const ocFile = path.join(home, 'opencode.json');
    const env = cleanEnv(home);
    execFileSync(process.execPath, [MAIN, 'connect', 'opencode', '--config', ocFile, '--url', 'http://127.0.0.1:1999', '--data-dir', dataDir], { env });

    const args = ['--offline', '--data-dir', dataDir, '--port', String(port), '--claude-env', `HOME=${home}`];
    const { code, checks } = await doctor(env, args);
    expect(code).toBe(1);

    const login = byId(checks, 'login');
    expect(login.status).toBe('fail');
    expect(login.detail).toMatch(/not logged in/);
    expect(login.fix).toMatch(/maxproxy login/);

    const daemon = byId(checks, 'daemon');
    expect(daemon.status).toBe('fail');
    expect(daemon.detail).toContain(`stale record says pid ${deadPid}`);
    expect(daemon.fix).toMatch(/start it: `maxproxy`/);

    const portCheck = byId(checks, 'port');
    expect(portCheck.status).toBe('fail');
    expect(portCheck.detail).toContain(`${port} on 127.0.0.1 is used by another program`);
    expect(portCheck.fix).toMatch(/--port/);

    const tray = byId(checks, 'tray');
    // No display is a headless machine: skipped, not a failure (issue 20).
    expect(tray.status).toBe('skip');
    expect(tray.detail).toMatch(/headless: no display/);

    const oc = byId(checks, 'client-opencode');
    expect(oc.status).toBe('fail');
    expect(oc.detail).toContain('points at http://127.0.0.1:1999/v1');
    expect(oc.detail).toContain(`maxproxy will listen at http://127.0.0.1:${port}`);
    expect(oc.fix).toContain('maxproxy connect opencode');

    expect(byId(checks, 'round-trip').status).toBe('skip');
    expect(byId(checks, 'node').status).toBe('pass');
    expect(byId(checks, 'claude').status).toBe('pass');

    // The same in text: FAIL lines with their fix, and the count.
    const text = spawnSync(process.execPath, [MAIN, 'doctor', ...args], { env, encoding: 'utf8', timeout: 300_000 });
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^FAIL {2}Claude login +Claude Code is not logged in.*\n {6}fix: run `maxproxy login`/m);
    expect(text.stdout).toMatch(/\d+ checks failed/);
  }, 400_000);

  it('names a config the tool cannot parse, with its line', async () => {
    const home = tempDir('maxproxy-doctor-home-');
    const dataDir = tempDir('maxproxy-doctor-data-');
    const file = path.join(home, 'openclaw.json');
    const env = cleanEnv(home);
    execFileSync(process.execPath, [MAIN, 'connect', 'openclaw', '--config', file, '--data-dir', dataDir, '--port', '45817'], { env });
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"api": "openai-completions",', '"api": "openai-completions",,'));
    const { checks } = await doctor(env, ['--offline', '--headless', '--data-dir', dataDir, '--port', '45817', '--claude-env', `HOME=${home}`]);
    const c = byId(checks, 'client-openclaw');
    expect(c.status).toBe('fail');
    expect(c.detail).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:\\d+: cannot be parsed`));
  }, 300_000);
});

describe('doctor on a healthy setup', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.stop();
  });

  it('passes every line, with a real round trip through the daemon', async () => {
    upstream = await new MockUpstream().start();
    proxy = await startProxy({ upstream, auth: 'oauth' });
    const env = cleanEnv(proxy.home);
    const mp = (...args: string[]) => execFileSync(process.execPath, [MAIN, ...args, '--data-dir', proxy.dataDir], { env, encoding: 'utf8', timeout: 60_000 });
    mp('connect', 'openclaw', '--set-default');
    mp('connect', 'opencode');
    mp('connect', 'codex');
    mp('login-item', 'enable');
    upstream.reset();

    const { code, checks, stdout } = await doctor(env, [
      '--headless',
      '--data-dir',
      proxy.dataDir,
      '--claude-env',
      `HOME=${proxy.home}`,
      '--claude-env',
      'CLAUDE_CODE_OAUTH_TOKEN=test-oauth-token',
      '--claude-env',
      `ANTHROPIC_BASE_URL=${upstream.url}`,
    ]);
    expect(code, `${stdout}\n${proxy.output().slice(-6000)}`).toBe(0);
    for (const c of checks) {
      // Only the desktop lines are skipped, because this setup is headless on purpose.
      if (c.id === 'tray' || c.id === 'notifications') expect(c.status).toBe('skip');
      else expect(c.status, `${c.id}: ${c.detail}`).toBe('pass');
    }
    expect(checks.map((c) => c.id)).toEqual([
      'node',
      'claude',
      'login',
      'model-floors',
      'daemon',
      'port',
      'tray',
      'notifications',
      'login-item',
      'web-fetch',
      'client-openclaw',
      'client-opencode',
      'client-codex',
      'round-trip',
    ]);
    expect(byId(checks, 'login').detail).toMatch(/subscription/);
    expect(byId(checks, 'web-fetch').detail).toMatch(/^off: .*--allow-web-fetch/);
    expect(byId(checks, 'daemon').detail).toContain(proxy.url);
    expect(byId(checks, 'client-openclaw').detail).toContain('default maxproxy/sonnet');
    expect(byId(checks, 'round-trip').detail).toMatch(/^haiku answered/);
    // The turn reached the upstream through the CLI.
    const sent = upstream.messageRequests.at(-1)!;
    const userTexts = sent.body.messages.filter((m: { role: string }) => m.role === 'user').flatMap((m: { content: unknown }) => clientTexts(m.content));
    expect(userTexts).toContain('Reply with the single word OK.');
    expect(sent.body.model).toMatch(/haiku/);
  }, 400_000);
});
