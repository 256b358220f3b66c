import fs from 'node:fs';
import path from 'node:path';
import { childClaudePids, daemonCommand, type RunningProxy, sleep, startProxy, waitFor } from '../test/harness.js';
import type { MockUpstream } from '../test/mock-upstream.js';

// ---------------------------------------------------------------- daemon helpers

export const health = async (p: RunningProxy): Promise<any> => (await fetch(`${p.url}/health`)).json();
export const statusOf = async (p: RunningProxy): Promise<any> => (await fetch(`${p.url}/status`)).json();

/** utime+stime of a process in ms (from /proc/<pid>/stat, clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** VmRSS of a process in MB (0 when gone). */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** BENCH_DAEMON_NODE_ARGS (e.g. `--trace-gc`, `--cpu-prof`) go to the daemon's node after its own flags (a later flag wins), to find a figure's cause. */
const NODE_ARGS = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);

export const startDaemon = (upstream: MockUpstream, args: string[], claudeEnv: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) =>
  startProxy({
    upstream,
    args: ['--log-level', 'warn', '--max-concurrent', '4', ...args],
    claudeEnv,
    env,
    ...(NODE_ARGS.length ? { command: daemonCommand(NODE_ARGS) } : {}),
  });

export async function stopDaemon(p: RunningProxy): Promise<void> {
  const pid = p.child.pid!;
  await p.stop();
  await waitFor(() => childClaudePids(pid).length === 0, 15_000).catch(() => undefined);
}

/** RSS once the idle daemon has settled: waits until it drops ≥ 5 MB below the first reading (and holds 2 s), or `maxMs`. */
export async function settledRssMb(pid: number, maxMs: number): Promise<{ mb: number; afterMs: number }> {
  const t0 = Date.now();
  const first = rssMb(pid);
  let held = 0;
  while (Date.now() - t0 < maxMs) {
    await sleep(1000);
    held = rssMb(pid) < first - 5 ? held + 1 : 0;
    if (held >= 3) break;
  }
  return { mb: rssMb(pid), afterMs: Date.now() - t0 };
}

/** A pause between measured requests, so one request's process teardown does not land in the next one's timing. */
export const settle = (msec = 300) => sleep(msec);

/** A tap in front of the CLI: forwards everything, logs each text delta line with its hrtime. */
export function writeTap(dir: string): string {
  const file = path.join(dir, 'claude-tap');
  fs.writeFileSync(
    file,
    `#!${process.execPath}
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const child = spawn(process.env.BENCH_TAP_REAL, process.argv.slice(2), { stdio: ['pipe', 'pipe', 'inherit'] });
child.stdin.on('error', () => {});
const log = process.env.BENCH_TAP_LOG ? fs.openSync(process.env.BENCH_TAP_LOG, 'a') : undefined;
let inBuf = '';
process.stdin.on('data', (d) => {
  const at = process.hrtime.bigint();
  child.stdin.write(d);
  if (log === undefined) return;
  inBuf += d.toString('utf8');
  let i;
  while ((i = inBuf.indexOf('\\n')) >= 0) {
    const line = inBuf.slice(0, i);
    inBuf = inBuf.slice(i + 1);
    if (line.startsWith('{"type":"user"')) fs.writeSync(log, at + ' U\\n');
  }
});
process.stdin.on('end', () => child.stdin.end());
let buf = '';
child.stdout.on('data', (d) => {
  const at = process.hrtime.bigint();
  process.stdout.write(d);
  if (log === undefined) return;
  buf += d.toString('utf8');
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    if (!line.includes('"text_delta"')) continue;
    try {
      const m = JSON.parse(line);
      if (m.type === 'stream_event' && m.event && m.event.delta && m.event.delta.type === 'text_delta') fs.writeSync(log, at + ' ' + JSON.stringify(m.event.delta.text) + '\\n');
    } catch {}
  }
});
child.on('exit', (code, sig) => process.exit(code === null ? 1 : code));
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => child.kill(s));
`,
    { mode: 0o755 },
  );
  return file;
}
