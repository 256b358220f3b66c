/**
 * The terminal side of the desktop daemon against the real thing: `maxproxy status`
 * and `maxproxy sessions` read a running daemon's state; a stale instance lock is
 * taken over; `maxproxy login-item` writes the login item for this install.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_NODE_FLAGS } from '../src/config/node-flags.js';
import { MAIN, MockUpstream, startProxy, tempDir, waitFor } from './harness.js';

const run = promisify(execFile);

/** Runs the built CLI; resolves with its exit code and output instead of throwing. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { ...process.env };
  delete base.MAXPROXY_DATA_DIR;
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], { env: { ...base, ...env }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await new MockUpstream().start();
});
afterAll(async () => {
  await upstream?.stop();
});

describe('maxproxy status / sessions', () => {
  it('print the running daemon state; say so when none runs', async () => {
    const dataDir = tempDir();
    const none = await cli(['status', '--data-dir', dataDir]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`maxproxy is not running for ${dataDir}\n`);

    const proxy = await startProxy({ upstream, dataDir });
    try {
      const status = await cli(['status', '--data-dir', dataDir]);
      expect(status.stderr).toBe('');
      expect(status.code).toBe(0);
      const lines = status.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`maxproxy 0.1.0 (pid ${proxy.child.pid}): running on ${proxy.url}`);
      expect(lines[1]).toBe(`Base URL: ${proxy.url}/v1`);
      expect(lines[2]).toMatch(/^Claude Code \d+\.\d+\.\d+, login not checked yet \(\/.*claude\S*\)$/);
      expect(lines[3]).toBe('Requests: 0 in flight; sessions: 0');
      expect(lines[4]).toBe('Usage: 5-hour no data yet; weekly no data yet; tokens today 0');

      expect(await cli(['sessions', '--data-dir', dataDir])).toEqual({ code: 0, stdout: 'No active sessions.\n', stderr: '' });

      const r = await fetch(`${proxy.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'opencode/1.18.0' },
        body: JSON.stringify({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'hello' }] }),
      });
      expect(r.status).toBe(200);

      const sessions = await cli(['sessions', '--data-dir', dataDir]);
      expect(sessions.code).toBe(0);
      const [header, row, ...rest] = sessions.stdout.trimEnd().split('\n');
      expect(header).toMatch(/^SESSION\s+CLIENT\s+MODEL\s+TURNS\s+TOKENS IN\/OUT\s+STATE\s+LAST ACTIVITY\s+PID$/);
      expect(row).toMatch(/^[0-9a-f-]{36}\s+opencode\s+sonnet-5-5\s+1\s+\S+\/7\s+idle\s+just now\s+\d+$/);
      expect(rest).toEqual([]);

      const after = await cli(['status', '--data-dir', dataDir]);
      expect(after.stdout).toContain('Claude Code');
      expect(after.stdout).toMatch(/, logged in \(/);
      expect(after.stdout).toMatch(/sessions: 1\n/);
    } finally {
      await proxy.stop();
    }
    const gone = await cli(['sessions', '--data-dir', dataDir]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('not running');
  });
});

describe('single instance', () => {
  it('a lock left by a crashed daemon is taken over', async () => {
    const dataDir = tempDir();
    // A real pid that is gone now, as after a crash.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    fs.writeFileSync(path.join(dataDir, 'maxproxy.lock'), JSON.stringify({ pid: dead.pid, startedAt: Date.now() - 60_000, url: 'http://127.0.0.1:9' }));
    const proxy = await startProxy({ upstream, dataDir });
    try {
      const lock = () => JSON.parse(fs.readFileSync(path.join(dataDir, 'maxproxy.lock'), 'utf8'));
      expect(lock().pid).toBe(proxy.child.pid);
      // The URL is written just after "listening" is printed.
      await waitFor(() => lock().url === proxy.url, 5_000);
      expect((await fetch(`${proxy.url}/health`)).status).toBe(200);
    } finally {
      // main.ts installs its signal handlers once the desktop side is up.
      await waitFor(() => proxy.output().includes('desktop ready'), 5_000);
      expect(await proxy.stop()).toBe(0);
    }
    expect(fs.existsSync(path.join(dataDir, 'maxproxy.lock'))).toBe(false);
  });

  it('a lock whose pid now belongs to another process (reused after a reboot) is taken over', async () => {
    const dataDir = tempDir();
    const other = spawn('sleep', ['60']);
    try {
      await new Promise((r) => other.once('spawn', r));
      fs.writeFileSync(path.join(dataDir, 'maxproxy.lock'), JSON.stringify({ pid: other.pid, startedAt: Date.now() - 86_400_000, url: 'http://127.0.0.1:9' }));
      const proxy = await startProxy({ upstream, dataDir });
      try {
        expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'maxproxy.lock'), 'utf8')).pid).toBe(proxy.child.pid);
      } finally {
        await proxy.stop();
      }
    } finally {
      other.kill();
    }
  });
});

describe('maxproxy login-item', () => {
  it('enable / status / disable write exactly the generated XDG autostart entry for this install', async () => {
    const dataDir = tempDir();
    const home = tempDir('maxproxy-home-');
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
    const file = path.join(home, '.config', 'autostart', 'maxproxy.desktop');
    expect((await cli(['login-item', 'status', '--data-dir', dataDir], env)).stdout).toMatch(/^disabled/);
    const on = await cli(['login-item', 'enable', '--data-dir', dataDir], env);
    expect(on.code).toBe(0);
    const content = fs.readFileSync(file, 'utf8');
    expect(content).toContain(`Exec=${process.execPath} ${DAEMON_NODE_FLAGS.join(' ')} ${MAIN} --data-dir ${dataDir}\n`);
    expect((await cli(['login-item', 'status', '--data-dir', dataDir], env)).stdout).toBe(`enabled (xdg-autostart) ${file}\n`);
    expect((await cli(['login-item', 'disable', '--data-dir', dataDir], env)).code).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
  });
});
