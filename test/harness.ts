/**
 * Starts the real `maxproxy` command (built dist/main.js) on port 0 in a temp data
 * dir, with the pinned Claude Code binary pointed at a MockUpstream.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_FLAGS } from '../src/config/node-flags.js';
import { MockUpstream } from './mock-upstream.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MAIN = path.join(ROOT, 'dist', 'main.js');

/** The daemon's command line as the bin runs it (its V8 flags), with extra node flags after them so a later one wins. */
export function daemonCommand(extraNodeArgs: string[] = [], main = MAIN): { file: string; args: string[] } {
  return { file: process.execPath, args: [...DAEMON_NODE_FLAGS, ...extraNodeArgs, main] };
}

export interface ProxyOptions {
  upstream?: MockUpstream;
  dataDir?: string;
  /** Extra CLI flags. */
  args?: string[];
  /** Extra --claude-env entries; `auth: 'none'` gives the CLI no credentials at all. */
  claudeEnv?: Record<string, string>;
  auth?: 'api-key' | 'oauth' | 'none';
  /** Environment for the daemon, applied after the credentials and display are removed from the test's own. */
  env?: NodeJS.ProcessEnv;
  /** false: tray mode (no --headless); give it a DISPLAY through `env`. Default true. */
  headless?: boolean;
  /** Which executable runs the daemon (default: node with the daemon's V8 flags on dist/main.js, as the bin runs it). */
  command?: { file: string; args: string[] };
}

export interface RunningProxy {
  url: string;
  baseURL: string;
  port: number;
  dataDir: string;
  home: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How each turn found its conversation, oldest first, from the daemon's debug log (live, rebuilt, new, ...). */
export const continuities = (p: RunningProxy): string[] => [...p.output().matchAll(/"continuity":"([a-z_]+)"/g)].map((m) => m[1]);

export function tempDir(prefix = 'maxproxy-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startProxy(opts: ProxyOptions = {}): Promise<RunningProxy> {
  const dataDir = opts.dataDir ?? tempDir();
  const home = path.join(dataDir, 'home');
  fs.mkdirSync(home, { recursive: true });
  const claudeEnv: Record<string, string> = {
    HOME: home,
    DISABLE_TELEMETRY: '1',
    ...(opts.upstream ? { ANTHROPIC_BASE_URL: opts.upstream.url } : {}),
    ...(opts.auth === 'none' ? {} : opts.auth === 'oauth' ? { CLAUDE_CODE_OAUTH_TOKEN: 'test-oauth-token' } : { ANTHROPIC_API_KEY: 'sk-test' }),
    ...opts.claudeEnv,
  };
  const command = opts.command ?? daemonCommand();
  const args = [
    ...command.args,
    ...(opts.headless === false ? [] : ['--headless']),
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--log-level',
    'debug',
    ...Object.entries(claudeEnv).flatMap(([k, v]) => ['--claude-env', `${k}=${v}`]),
    ...(opts.args ?? []),
  ];
  const env = { ...process.env };
  for (const k of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'CLAUDE_CODE_OAUTH_TOKEN', 'DISPLAY', 'WAYLAND_DISPLAY']) delete env[k];
  Object.assign(env, opts.env);
  const child = spawn(command.file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`maxproxy did not start in time:\n${out}`)), 30_000);
    const check = () => {
      const m = /maxproxy listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`maxproxy exited with ${code}:\n${out}`));
    });
  });
  const port = Number(new URL(url).port);
  return {
    url,
    baseURL: `${url}/v1`,
    port,
    dataDir,
    home,
    child,
    output: () => out,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', (code) => {
          clearTimeout(t);
          resolve(code);
        });
        child.kill(signal);
      }),
  };
}

/** Pids of live processes whose command line contains `needle` (Linux /proc). */
export function processesMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (cmd.includes(needle) && !/\) Z /.test(stat)) pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** Claude Code children of a maxproxy process (by parent pid). */
export function childClaudePids(parentPid: number): number[] {
  return processesMatching('claude').filter((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === parentPid;
    } catch {
      return false;
    }
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(fn: () => boolean | Promise<boolean>, timeoutMs = 10_000, stepMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(stepMs);
  }
  throw new Error('condition not met in time');
}

/** The text blocks of an upstream message the client wrote (without the CLI's own reminders). */
export function clientTexts(content: any): string[] {
  // For the 5.x models the CLI sends its environment text untagged when it resumes a conversation (decision 096).
  const cliOwn = (t: string) => t.startsWith('<system-reminder>') || /^\s*# Environment\b/.test(t);
  if (typeof content === 'string') return cliOwn(content) ? [] : [content];
  return (content as any[]).filter((b) => b.type === 'text' && !cliOwn(String(b.text))).map((b) => b.text);
}

/** System prompt text as the upstream received it. */
export function systemText(body: any): string {
  return typeof body.system === 'string' ? body.system : (body.system ?? []).map((b: any) => b.text).join('\n');
}

/** Every usage-ledger row the daemon has written so far (all segments), as stored on disk. */
export function ledgerRows(dataDir: string): any[] {
  const dir = path.join(dataDir, 'usage');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('turns-'))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

export { MockUpstream };
