/**
 * `npm run bench`: maxproxy against the Claude Code CLI driven directly, side by side
 * in one run, all against the instantly answering mock upstream (test/mock-upstream.ts).
 *
 *   (a) direct       one-shot `claude -p` per request (the Agent SDK's bundled binary,
 *                    the daemon's child environment and plain-chat flags)
 *   (b) cold         maxproxy first turns with --warm-spares 0 (a CLI start per conversation)
 *       warm         maxproxy first turns served by a warm spare (--warm-spares 1; only when
 *                    /health reports `warmSpares`, else "not available")
 *       continuation maxproxy turns 2..n of one conversation (its live CLI process)
 *
 * Also: per-delta forwarding overhead (a tap in front of the CLI timestamps each stdout
 * line; the client timestamps each chunk; both with CLOCK_MONOTONIC), upstream bytes per
 * one-line request, the daemon's RSS idle and per live session. Prints a table against
 * the issue's targets and writes bench/results/latest.json.
 *
 * And the usage ledger's costs (bench/ledger-bench.ts): per-turn cost on the request path,
 * rows written per second, store bytes per 100k turns, a 90-day query.
 *
 * Options: --runs N (default 15), --out FILE, --idle-wait-ms N (default 60000),
 * --only ledger (just the ledger part: no CLI, no daemon; writes bench/results/ledger.json).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundledClaudePath } from '../src/engine/claude-binary.js';
import { childClaudePids, type RunningProxy, sleep, startProxy, tempDir, waitFor } from '../test/harness.js';
import { MockUpstream } from '../test/mock-upstream.js';
import { benchLedger, type LedgerBench } from './ledger-bench.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODEL = 'claude-sonnet-4-5';
const SYSTEM = 'You are a helpful assistant.';

const { values: argv } = parseArgs({
  options: { runs: { type: 'string' }, out: { type: 'string' }, 'idle-wait-ms': { type: 'string' }, only: { type: 'string' } },
});
const RUNS = Number(argv.runs ?? process.env.BENCH_RUNS ?? 15);
/**
 * The longest the daemon is left idle before its RSS is read: V8's memory reducer returns
 * the start-up garbage after some idle time (~30 s here, not always); the reading is
 * taken as soon as RSS has dropped and held, else at the end of the wait.
 */
const IDLE_WAIT_MS = Number(argv['idle-wait-ms'] ?? 60_000);
const OUT = argv.out ?? path.join(HERE, 'results', 'latest.json');

// ---------------------------------------------------------------- statistics

const quantile = (xs: number[], q: number): number => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
};
interface Dist {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}
const dist = (xs: number[]): Dist => ({
  n: xs.length,
  p50: quantile(xs, 0.5),
  p95: quantile(xs, 0.95),
  p99: quantile(xs, 0.99),
  min: Math.min(...xs),
  max: Math.max(...xs),
});
const ms = (ns: bigint): number => Number(ns) / 1e6;
const now = () => process.hrtime.bigint();

interface TurnTiming {
  ttftMs: number;
  totalMs: number;
  text: string;
  /** hrtime when the request was sent (maxproxy clients only). */
  sentAt?: bigint;
}

// ---------------------------------------------------------------- clients

/**
 * One streaming chat completion over a fresh connection. TTFT = request start → first
 * chunk carrying content; each content delta is reported with its arrival time.
 */
function streamChat(port: number, messages: unknown[], onDelta?: (text: string, at: bigint) => void): Promise<TurnTiming> {
  const body = JSON.stringify({ model: MODEL, stream: true, messages });
  const t0 = now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) {
          let err = '';
          res.on('data', (d) => (err += d));
          res.on('end', () => reject(new Error(`HTTP ${res.statusCode}: ${err}`)));
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        let first: bigint | undefined;
        let text = '';
        res.on('data', (chunk: string) => {
          const at = now();
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const ev = buf.slice(0, i);
            buf = buf.slice(i + 2);
            for (const line of ev.split('\n')) {
              if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
              const j = JSON.parse(line.slice(6));
              if (j.error) return reject(new Error(j.error.message));
              const c: string | undefined = j.choices?.[0]?.delta?.content;
              if (c) {
                first ??= at;
                text += c;
                onDelta?.(c, at);
              }
            }
          }
        });
        res.on('end', () => {
          const end = now();
          if (first === undefined) return reject(new Error('stream ended without content'));
          resolve({ ttftMs: ms(first - t0), totalMs: ms(end - t0), text, sentAt: t0 });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The daemon child's environment, for running the same CLI directly. */
function directEnv(upstream: MockUpstream, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    ANTHROPIC_BASE_URL: upstream.url,
    ANTHROPIC_API_KEY: 'sk-test',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_MAX_RETRIES: '2',
    ENABLE_TOOL_SEARCH: 'false',
  };
}

/** The plain-chat flags maxproxy's child runs with (no tools, the client's system prompt, no settings). */
const PLAIN_CHAT_FLAGS = ['--tools', '', '--setting-sources', '', '--strict-mcp-config', '--disable-slash-commands'];

/** `claude -p` once: TTFT = spawn → first text delta on stdout, total = spawn → result line. */
function directOneShot(bin: string, env: Record<string, string>, cwd: string, prompt: string, extraArgs: string[]): Promise<TurnTiming & { exitMs: number }> {
  const t0 = now();
  const child: ChildProcess = spawn(
    bin,
    ['-p', prompt, '--output-format', 'stream-json', '--verbose', '--include-partial-messages', '--model', MODEL, ...extraArgs],
    { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let buf = '';
    let first: bigint | undefined;
    let resultAt: bigint | undefined;
    let text = '';
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      const at = now();
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        const m = JSON.parse(line);
        if (m.type === 'stream_event' && m.event?.type === 'content_block_delta' && m.event.delta?.type === 'text_delta') {
          first ??= at;
          text += m.event.delta.text;
        } else if (m.type === 'result') resultAt ??= at;
      }
    });
    child.once('exit', (code) => {
      const end = now();
      if (first === undefined || resultAt === undefined) return reject(new Error(`claude -p exited ${code} without an answer: ${stderr.slice(-500)}`));
      resolve({ ttftMs: ms(first - t0), totalMs: ms(resultAt - t0), exitMs: ms(end - t0), text });
    });
  });
}

/**
 * The CLI as a persistent stream-json process driven directly (what maxproxy's live
 * sessions and warm spares are, minus maxproxy): the reference for warm first turns
 * and continuation turns.
 */
class DirectSession {
  private readonly child: ChildProcess;
  private buf = '';
  private waiter?: (m: any, at: bigint) => void;

  constructor(bin: string, env: Record<string, string>, cwd: string, extraArgs: string[]) {
    this.child = spawn(
      bin,
      ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages', '--model', MODEL, ...extraArgs],
      { env, cwd, stdio: ['pipe', 'pipe', 'ignore'] },
    );
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const at = now();
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (line.trim()) this.waiter?.(JSON.parse(line), at);
      }
    });
  }

  private send(obj: unknown): bigint {
    const t = now();
    this.child.stdin!.write(`${JSON.stringify(obj)}\n`);
    return t;
  }

  /** Pays the start-up in advance, as the Agent SDK does. */
  initialize(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = (m) => {
        if (m.type === 'control_response') resolve();
      };
      this.send({ type: 'control_request', request_id: 'init', request: { subtype: 'initialize' } });
    });
  }

  turn(text: string): Promise<TurnTiming> {
    return new Promise((resolve, reject) => {
      let first: bigint | undefined;
      let out = '';
      const t0 = this.send({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '' });
      this.waiter = (m, at) => {
        if (m.type === 'stream_event' && m.event?.type === 'content_block_delta' && m.event.delta?.type === 'text_delta') {
          first ??= at;
          out += m.event.delta.text;
        } else if (m.type === 'result') {
          this.waiter = undefined;
          if (first === undefined) reject(new Error(`direct session: no text (${JSON.stringify(m).slice(0, 300)})`));
          else resolve({ ttftMs: ms(first - t0), totalMs: ms(at - t0), text: out });
        }
      };
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}

// ---------------------------------------------------------------- daemon helpers

const health = async (p: RunningProxy): Promise<any> => (await fetch(`${p.url}/health`)).json();
const statusOf = async (p: RunningProxy): Promise<any> => (await fetch(`${p.url}/status`)).json();

/** utime+stime of a process in ms (from /proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** VmRSS of a process in MB (0 when gone). */
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const startDaemon = (upstream: MockUpstream, args: string[], claudeEnv: Record<string, string> = {}) =>
  startProxy({ upstream, args: ['--log-level', 'warn', '--max-concurrent', '4', ...args], claudeEnv });

async function stopDaemon(p: RunningProxy): Promise<void> {
  const pid = p.child.pid!;
  await p.stop();
  await waitFor(() => childClaudePids(pid).length === 0, 15_000).catch(() => undefined);
}

/** RSS once the idle daemon has settled: waits until it drops ≥ 5 MB below the first reading (and holds 2 s), or `maxMs`. */
async function settledRssMb(pid: number, maxMs: number): Promise<{ mb: number; afterMs: number }> {
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
const settle = (msec = 300) => sleep(msec);

/** A tap in front of the CLI: forwards everything, logs each text delta line with its hrtime. */
function writeTap(dir: string): string {
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

// ---------------------------------------------------------------- phases

interface Report {
  when: string;
  machine: { platform: string; cpus: number; cpuModel: string; memGb: number; node: string; loadAvgStart: number[]; loadAvgEnd?: number[] };
  claude: { path: string; version?: string };
  runs: number;
  direct: { ttft: Dist; total: Dist; exit: Dist };
  directPersistent: { firstTurn: { ttft: Dist; total: Dist }; continuation: { ttft: Dist; total: Dist } };
  cold: { ttft: Dist; total: Dist };
  warm: { available: boolean; ttft?: Dist; total?: Dist; hits?: number; note?: string };
  continuation: { ttft: Dist; total: Dist };
  forwarding: { overhead: Dist; cliLatency: Dist; endToEnd: Dist; unmatched: number; requestPath: Dist; daemonCpuPerTurnMs: number; deltasPerTurn: number };
  upstream: {
    maxproxy: { requestBytes: number; systemBytes: number; toolsBytes: number; systemPlusToolsBytes: number };
    directPlain: { requestBytes: number; systemPlusToolsBytes: number };
    directDefault: { requestBytes: number; systemPlusToolsBytes: number; tools: number };
  };
  memory: {
    daemonFreshMb: number;
    daemonIdleMb: number;
    idleAfterMs: number;
    daemonAfterRunMb: number;
    afterRunAfterMs: number;
    perLiveSessionMb: number;
    liveSessions: number;
    perWarmSpareMb?: number;
  };
  ledger: LedgerBench;
  targets: Array<{ name: string; target: string; value: string; pass: boolean }>;
}

const ledgerTarget = (l: LedgerBench) => ({
  name: 'usage ledger cost per turn (request path) p99',
  target: '< 1 ms',
  value: `${l.requestPath.p99.toFixed(3)} ms`,
  pass: l.requestPath.p99 < 1,
});

const ledgerLines = (l: LedgerBench): string[] => [
  `  usage ledger per turn on the request path (record + metrics + next admission, ${l.requestPath.inMemory} turns in memory): p50 ${l.requestPath.p50.toFixed(3)} ms, p99 ${l.requestPath.p99.toFixed(3)} ms, max ${l.requestPath.max.toFixed(1)} ms (n=${l.requestPath.n}); mean CPU time ${l.requestPath.cpuMeanMs.toFixed(3)} ms per turn`,
  `  usage store: ${l.rowsPerSecond} rows/s written (fdatasync per 1,000 rows), ${(l.bytesPer100k / 1e6).toFixed(1)} MB per 100k turns; 90-day query over ${l.query90d.turns} turns (${l.query90d.perDay}/day): ${l.query90d.ms.toFixed(0)} ms`,
];

/** `--only ledger`: the ledger part alone (no CLI, no daemon). */
async function ledgerOnly(): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const ledger = await benchLedger(log);
  const out = argv.out ?? path.join(HERE, 'results', 'ledger.json');
  const t = ledgerTarget(ledger);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ when: new Date().toISOString(), loadAvg: os.loadavg(), node: process.version, ledger, targets: [t] }, null, 2)}\n`);
  process.stdout.write(
    [
      '',
      ...ledgerLines(ledger),
      `  ${t.name}: ${t.value} (goal ${t.target}) ${t.pass ? 'PASS' : 'FAIL'}`,
      `  load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
      `  report: ${path.relative(process.cwd(), out)}`,
      '',
    ].join('\n'),
  );
}

const upstreamSizes = (body: any, rawBytes: number) => {
  const systemBytes = Buffer.byteLength(JSON.stringify(body?.system ?? ''));
  const toolsBytes = Buffer.byteLength(JSON.stringify(body?.tools ?? []));
  return { requestBytes: rawBytes, systemBytes, toolsBytes, systemPlusToolsBytes: systemBytes + toolsBytes };
};

async function main(): Promise<void> {
  const bin = bundledClaudePath();
  if (!bin) throw new Error('the Agent SDK platform package with the bundled claude binary is not installed');
  const upstream = await new MockUpstream().start();
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(`bench: ${RUNS} runs per mode; mock upstream at ${upstream.url}; claude ${bin}`);
  const report = { when: new Date().toISOString(), runs: RUNS } as Report;
  report.machine = {
    platform: `${os.platform()} ${os.release()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '',
    memGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadAvgStart: os.loadavg(),
  };
  report.claude = { path: bin };

  try {
    // (a) the CLI driven directly, one process per request.
    {
      const home = tempDir('maxproxy-bench-home-');
      const cwd = tempDir('maxproxy-bench-cwd-');
      const env = directEnv(upstream, home);
      await directOneShot(bin, env, cwd, 'warm up the page cache', [...PLAIN_CHAT_FLAGS, '--system-prompt', SYSTEM]);
      const t: Array<TurnTiming & { exitMs: number }> = [];
      upstream.reset();
      for (let i = 0; i < RUNS; i++) {
        const r = await directOneShot(bin, env, cwd, `direct ${i}`, [...PLAIN_CHAT_FLAGS, '--system-prompt', SYSTEM]);
        if (r.text !== `echo: direct ${i}`) throw new Error(`direct: wrong answer ${JSON.stringify(r.text)}`);
        t.push(r);
        await settle();
      }
      report.direct = { ttft: dist(t.map((x) => x.ttftMs)), total: dist(t.map((x) => x.totalMs)), exit: dist(t.map((x) => x.exitMs)) };
      const plain = upstream.messageRequests.at(-1)!;
      report.upstream = {
        directPlain: { requestBytes: plain.rawBytes, systemPlusToolsBytes: upstreamSizes(plain.body, plain.rawBytes).systemPlusToolsBytes },
      } as Report['upstream'];
      // For scale: what `claude -p` sends with its default agent set-up (tools, system prompt).
      upstream.reset();
      await directOneShot(bin, env, cwd, 'hello', []);
      const def = upstream.messageRequests.at(-1)!;
      report.upstream.directDefault = {
        requestBytes: def.rawBytes,
        systemPlusToolsBytes: upstreamSizes(def.body, def.rawBytes).systemPlusToolsBytes,
        tools: (def.body?.tools ?? []).length,
      };
      log(`direct: ttft p50 ${report.direct.ttft.p50.toFixed(0)} ms`);

      // The same CLI as a persistent process: first message to an initialised idle process, then turns 2..n.
      const warmFirst: TurnTiming[] = [];
      let last: DirectSession | undefined;
      for (let i = 0; i < RUNS; i++) {
        await last?.close();
        last = new DirectSession(bin, env, cwd, [...PLAIN_CHAT_FLAGS, '--system-prompt', SYSTEM]);
        await last.initialize();
        await sleep(1500);
        const r = await last.turn(`persistent ${i}`);
        if (r.text !== `echo: persistent ${i}`) throw new Error(`direct persistent: wrong answer ${JSON.stringify(r.text)}`);
        warmFirst.push(r);
      }
      const cont: TurnTiming[] = [];
      for (let i = 1; i <= RUNS; i++) {
        await settle();
        cont.push(await last!.turn(`persistent turn ${i}`));
      }
      await last?.close();
      report.directPersistent = {
        firstTurn: { ttft: dist(warmFirst.map((x) => x.ttftMs)), total: dist(warmFirst.map((x) => x.totalMs)) },
        continuation: { ttft: dist(cont.map((x) => x.ttftMs)), total: dist(cont.map((x) => x.totalMs)) },
      };
      log(
        `direct persistent: first ttft p50 ${report.directPersistent.firstTurn.ttft.p50.toFixed(0)} ms, continuation ${report.directPersistent.continuation.ttft.p50.toFixed(0)} ms`,
      );
    }

    // (b) maxproxy, cold first turns and continuation turns; daemon memory.
    {
      const proxy = await startDaemon(upstream, ['--warm-spares', '0']);
      await sleep(2000);
      report.memory = { daemonFreshMb: rssMb(proxy.child.pid!) } as Report['memory'];
      // V8 collects the start-up garbage once the process has been idle for a while (~30 s).
      log(`memory: waiting up to ${IDLE_WAIT_MS / 1000} s for the idle daemon to settle`);
      const idle = await settledRssMb(proxy.child.pid!, IDLE_WAIT_MS);
      report.memory.daemonIdleMb = idle.mb;
      report.memory.idleAfterMs = idle.afterMs;
      report.claude.version = (await health(proxy)).claude?.version;
      await streamChat(proxy.port, [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: 'warm up' },
      ]);
      upstream.reset();
      const cold: TurnTiming[] = [];
      for (let i = 0; i < RUNS; i++) {
        const prompt = `cold ${i}`;
        const r = await streamChat(proxy.port, [
          { role: 'system', content: SYSTEM },
          { role: 'user', content: prompt },
        ]);
        if (r.text !== `echo: ${prompt}`) throw new Error(`cold: wrong answer ${JSON.stringify(r.text)}`);
        cold.push(r);
        await settle();
      }
      report.cold = { ttft: dist(cold.map((x) => x.ttftMs)), total: dist(cold.map((x) => x.totalMs)) };
      const one = upstream.messageRequests.at(-1)!;
      report.upstream.maxproxy = upstreamSizes(one.body, one.rawBytes);
      log(`cold: ttft p50 ${report.cold.ttft.p50.toFixed(0)} ms`);

      // Live sessions now held by the daemon: RSS per session.
      await sleep(1000);
      const h = await health(proxy);
      const kids = childClaudePids(proxy.child.pid!);
      const sum = kids.reduce((a, p) => a + rssMb(p), 0);
      report.memory.liveSessions = h.liveSessions;
      report.memory.perLiveSessionMb = sum / Math.max(1, kids.length);

      // Continuation turns: one conversation, each request carries the whole history.
      const messages: Array<{ role: string; content: string }> = [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: 'turn 0' },
      ];
      const first = await streamChat(proxy.port, messages);
      messages.push({ role: 'assistant', content: first.text });
      const cont: TurnTiming[] = [];
      for (let i = 1; i <= RUNS; i++) {
        messages.push({ role: 'user', content: `turn ${i}` });
        const r = await streamChat(proxy.port, messages);
        if (r.text !== `echo: turn ${i}`) throw new Error(`continuation: wrong answer ${JSON.stringify(r.text)}`);
        messages.push({ role: 'assistant', content: r.text });
        cont.push(r);
        await settle();
      }
      const sessions = new Set(upstream.messageRequests.slice(-RUNS).map((r) => r.headers['x-claude-code-session-id']));
      if (sessions.size !== 1) throw new Error(`continuation turns used ${sessions.size} CLI sessions, not one live session`);
      report.continuation = { ttft: dist(cont.map((x) => x.ttftMs)), total: dist(cont.map((x) => x.totalMs)) };
      log(`continuation: ttft p50 ${report.continuation.ttft.p50.toFixed(0)} ms`);
      log(`memory: waiting up to ${IDLE_WAIT_MS / 1000} s for the daemon to settle after the run`);
      const after = await settledRssMb(proxy.child.pid!, IDLE_WAIT_MS);
      report.memory.daemonAfterRunMb = after.mb;
      report.memory.afterRunAfterMs = after.afterMs;
      await stopDaemon(proxy);
    }

    // (b) maxproxy, first turns from a warm spare (when the daemon has them).
    {
      const proxy = await startDaemon(upstream, ['--warm-spares', '1']);
      const h0 = await health(proxy);
      if (!('warmSpares' in h0) && !('spares' in h0)) {
        report.warm = { available: false, note: 'not available: this build has no warm spares (/health reports no warmSpares)' };
      } else {
        const spares = (h: any) => Number(typeof h.warmSpares === 'number' ? h.warmSpares : (h.warmSpares?.ready ?? h.spares ?? 0));
        await streamChat(proxy.port, [
          { role: 'system', content: SYSTEM },
          { role: 'user', content: 'first of its shape' },
        ]);
        const warm: TurnTiming[] = [];
        let hits = 0;
        for (let i = 0; i < RUNS; i++) {
          await waitFor(async () => spares(await health(proxy)) >= 1, 20_000);
          await sleep(1500); // let the spare finish starting up, as it would between a user's conversations
          const before = new Set(childClaudePids(proxy.child.pid!));
          const prompt = `warm ${i}`;
          const r = await streamChat(proxy.port, [
            { role: 'system', content: SYSTEM },
            { role: 'user', content: prompt },
          ]);
          if (r.text !== `echo: ${prompt}`) throw new Error(`warm: wrong answer ${JSON.stringify(r.text)}`);
          const st = await statusOf(proxy);
          const newest = [...(st.sessions ?? [])].sort((a: any, b: any) => b.lastActivity - a.lastActivity)[0];
          if (newest?.pid && before.has(newest.pid)) hits++;
          warm.push(r);
        }
        await sleep(1500);
        report.warm = { available: true, ttft: dist(warm.map((x) => x.ttftMs)), total: dist(warm.map((x) => x.totalMs)), hits };
        const st = await statusOf(proxy);
        const sessionPids = new Set((st.sessions ?? []).map((s: any) => s.pid));
        const sparePids = childClaudePids(proxy.child.pid!).filter((p) => !sessionPids.has(p));
        if (sparePids.length) report.memory.perWarmSpareMb = sparePids.reduce((a, p) => a + rssMb(p), 0) / sparePids.length;
        log(`warm: ttft p50 ${report.warm.ttft!.p50.toFixed(0)} ms (${hits}/${RUNS} served by a spare)`);
      }
      await stopDaemon(proxy);
    }

    // Forwarding overhead per delta: CLI stdout line (tap) → client chunk, on a live session.
    {
      const dir = tempDir('maxproxy-bench-tap-');
      const tap = writeTap(dir);
      const tapLog = path.join(dir, 'deltas.log');
      const proxy = await startDaemon(upstream, ['--warm-spares', '0', '--claude-path', tap], { BENCH_TAP_REAL: bin, BENCH_TAP_LOG: tapLog });
      const DELTAS = 30;
      const TURNS = Math.max(10, Math.ceil(300 / DELTAS));
      let turn = 0;
      upstream.setResponder(() => ({ blocks: [{ type: 'text', text: Array.from({ length: DELTAS }, (_, i) => `t${turn}d${i} `) }], delayMs: 5 }));
      const messages: Array<{ role: string; content: string }> = [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: 'overhead warm-up' },
      ];
      const w = await streamChat(proxy.port, messages);
      messages.push({ role: 'assistant', content: w.text });
      const received = new Map<string, bigint>();
      const sentAt: bigint[] = [];
      const cpu0 = cpuMs(proxy.child.pid!);
      upstream.deltaLog = [];
      fs.writeFileSync(tapLog, '');
      for (turn = 1; turn <= TURNS; turn++) {
        messages.push({ role: 'user', content: `overhead ${turn}` });
        const r = await streamChat(proxy.port, messages, (text, at) => received.set(text, at));
        messages.push({ role: 'assistant', content: r.text });
        sentAt.push(r.sentAt!);
        await settle(100);
      }
      const daemonCpuPerTurnMs = (cpuMs(proxy.child.pid!) - cpu0) / TURNS;
      const tapped = new Map<string, bigint>();
      const userLines: bigint[] = [];
      for (const line of fs.readFileSync(tapLog, 'utf8').split('\n')) {
        const i = line.indexOf(' ');
        if (i <= 0) continue;
        if (line.slice(i + 1) === 'U') userLines.push(BigInt(line.slice(0, i)));
        else tapped.set(JSON.parse(line.slice(i + 1)), BigInt(line.slice(0, i)));
      }
      // Request path: client sends → the user message reaches the CLI's stdin.
      const inbound = userLines.length === sentAt.length ? sentAt.map((t, k) => ms(userLines[k] - t)) : [];
      const sent = new Map(upstream.deltaLog.map((d) => [d.text, d.at]));
      upstream.deltaLog = undefined;
      const overhead: number[] = [];
      const cli: number[] = [];
      const e2e: number[] = [];
      let unmatched = 0;
      for (const [text, at] of received) {
        const t = tapped.get(text);
        const s = sent.get(text);
        if (t === undefined || s === undefined) {
          unmatched++;
          continue;
        }
        overhead.push(ms(at - t));
        cli.push(ms(t - s));
        e2e.push(ms(at - s));
      }
      report.forwarding = {
        overhead: dist(overhead),
        cliLatency: dist(cli),
        endToEnd: dist(e2e),
        unmatched,
        requestPath: dist(inbound),
        daemonCpuPerTurnMs,
        deltasPerTurn: DELTAS,
      };
      log(`forwarding: overhead p99 ${report.forwarding.overhead.p99.toFixed(2)} ms over ${overhead.length} deltas`);
      upstream.reset();
      await stopDaemon(proxy);
    }
  } finally {
    await upstream.stop();
  }

  report.ledger = await benchLedger(log);

  // ---------------------------------------------------------------- targets and output
  report.machine.loadAvgEnd = os.loadavg();
  const f0 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : `${x.toFixed(0)} ms`);
  const f2 = (x: number) => `${x.toFixed(2)} ms`;
  const targets: Report['targets'] = [
    { name: 'continuation turn TTFT p50', target: '≤ 60 ms', value: f0(report.continuation.ttft.p50), pass: report.continuation.ttft.p50 <= 60 },
    report.warm.available
      ? { name: 'warm-spare first turn TTFT p50', target: '≤ 150 ms', value: f0(report.warm.ttft!.p50), pass: report.warm.ttft!.p50 <= 150 }
      : { name: 'warm-spare first turn TTFT p50', target: '≤ 150 ms', value: 'not available', pass: false },
    { name: 'forwarding overhead per delta p99', target: '≤ 2 ms', value: f2(report.forwarding.overhead.p99), pass: report.forwarding.overhead.p99 <= 2 },
    {
      name: 'daemon idle RSS (no CLI children)',
      target: '≤ 80 MB',
      value: `${report.memory.daemonIdleMb.toFixed(1)} MB`,
      pass: report.memory.daemonIdleMb <= 80,
    },
    {
      name: 'daemon RSS idle after the run',
      target: '≤ 80 MB',
      value: `${report.memory.daemonAfterRunMb.toFixed(1)} MB`,
      pass: report.memory.daemonAfterRunMb <= 80,
    },
    {
      name: 'system prompt + tools upstream, one-line prompt',
      target: '≤ 2048 B',
      value: `${report.upstream.maxproxy.systemPlusToolsBytes} B`,
      pass: report.upstream.maxproxy.systemPlusToolsBytes <= 2048,
    },
    ledgerTarget(report.ledger),
  ];
  report.targets = targets;
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);

  const row = (name: string, t?: { ttft?: Dist; total?: Dist }) =>
    `  ${name.padEnd(34)}${f0(t?.ttft?.p50).padStart(10)}${f0(t?.ttft?.p95).padStart(10)}${f0(t?.total?.p50).padStart(11)}${f0(t?.total?.p95).padStart(11)}`;
  const lines = [
    '',
    `maxproxy bench — ${report.when}`,
    `${report.machine.platform}, ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memGb} GB, node ${report.machine.node}, Claude Code ${report.claude.version ?? '?'}, ${RUNS} runs per mode, mock upstream answering instantly`,
    `load average at start ${report.machine.loadAvgStart.map((x) => x.toFixed(2)).join(' ')}, at end ${report.machine.loadAvgEnd!.map((x) => x.toFixed(2)).join(' ')}`,
    '',
    `  ${'mode'.padEnd(34)}${'TTFT p50'.padStart(10)}${'TTFT p95'.padStart(10)}${'total p50'.padStart(11)}${'total p95'.padStart(11)}`,
    row('(a) claude -p one-shot, direct', report.direct),
    row('(a) CLI process, first message', report.directPersistent.firstTurn),
    row('(a) CLI process, turns 2..n', report.directPersistent.continuation),
    row('(b) maxproxy first turn, cold', report.cold),
    report.warm.available
      ? `${row('(b) maxproxy first turn, warm spare', report.warm)}   (${report.warm.hits}/${RUNS} from a spare)`
      : `  ${'(b) maxproxy first turn, warm spare'.padEnd(34)}  ${report.warm.note}`,
    row('(b) maxproxy continuation turn', report.continuation),
    '',
    `  per-delta forwarding overhead (CLI stdout → client): p50 ${f2(report.forwarding.overhead.p50)}, p95 ${f2(report.forwarding.overhead.p95)}, p99 ${f2(report.forwarding.overhead.p99)}, max ${f2(report.forwarding.overhead.max)} (n=${report.forwarding.overhead.n}${report.forwarding.unmatched ? `, ${report.forwarding.unmatched} unmatched` : ''})`,
    `    for scale: mock → CLI stdout (the CLI itself) p50 ${f2(report.forwarding.cliLatency.p50)}, p99 ${f2(report.forwarding.cliLatency.p99)}; mock → client p50 ${f2(report.forwarding.endToEnd.p50)}, p99 ${f2(report.forwarding.endToEnd.p99)}`,
    `    daemon CPU time per continuation turn of ${report.forwarding.deltasPerTurn} deltas: ${report.forwarding.daemonCpuPerTurnMs.toFixed(1)} ms (utime+stime, 10 ms ticks)`,
    `  request path of a continuation turn (client sends → user message on the CLI's stdin): p50 ${f2(report.forwarding.requestPath.p50)}, p95 ${f2(report.forwarding.requestPath.p95)} (n=${report.forwarding.requestPath.n})`,
    `  upstream per one-line request: maxproxy ${report.upstream.maxproxy.requestBytes} B (system ${report.upstream.maxproxy.systemBytes} B + tools ${report.upstream.maxproxy.toolsBytes} B); ` +
      `claude -p plain-chat flags ${report.upstream.directPlain.requestBytes} B; claude -p defaults ${report.upstream.directDefault.requestBytes} B (system+tools ${report.upstream.directDefault.systemPlusToolsBytes} B, ${report.upstream.directDefault.tools} tools)`,
    `  memory (VmRSS, without CLI children): daemon 2 s after start ${report.memory.daemonFreshMb.toFixed(1)} MB, idle ${report.memory.daemonIdleMb.toFixed(1)} MB (after ${(report.memory.idleAfterMs / 1000).toFixed(0)} s), idle after the run ${report.memory.daemonAfterRunMb.toFixed(1)} MB (after ${(report.memory.afterRunAfterMs / 1000).toFixed(0)} s); ` +
      `per live session ${report.memory.perLiveSessionMb.toFixed(0)} MB (${report.memory.liveSessions} sessions)${report.memory.perWarmSpareMb ? `; per warm spare ${report.memory.perWarmSpareMb.toFixed(0)} MB` : ''}`,
    ...ledgerLines(report.ledger),
    '',
    '  target                                          goal        measured     ',
    ...targets.map((t) => `  ${t.name.padEnd(48)}${t.target.padEnd(12)}${t.value.padEnd(15)}${t.pass ? 'PASS' : t.value === 'not available' ? 'n/a' : 'FAIL'}`),
    '',
    `  report: ${path.relative(process.cwd(), OUT)}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

(argv.only === 'ledger' ? ledgerOnly() : main()).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
