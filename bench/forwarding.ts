/**
 * Forwarding overhead per delta on a live session: a tap in front of the CLI stamps each
 * text delta line as the CLI writes it; the client stamps the chunk carrying it. For scale,
 * the same run measures the CLI's own latency (mock writes the delta → CLI stdout line).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../test/harness.js';
import type { MockUpstream } from '../test/mock-upstream.js';
import { MODEL, pickModel, SYSTEM, streamChat } from './clients.js';
import { cpuMs, settle, startDaemon, stopDaemon, writeTap } from './daemon-helpers.js';
import { type Dist, dist, ms } from './stats.js';

export interface Forwarding {
  overhead: Dist;
  cliLatency: Dist;
  endToEnd: Dist;
  unmatched: number;
  /** The overhead in three hops, from the daemon's own stamps: tap line → daemon reads it → daemon writes the SSE event → client reads it. */
  hops?: { toDaemon: Dist; inDaemon: Dist; toClient: Dist };
  /** The same, read by undici's fetch through a WHATWG stream reader on alternate turns: what an SDK's reader adds on the client's side. */
  fetch: { overhead: Dist; toClient?: Dist };
  requestPath: Dist;
  daemonCpuPerTurnMs: number;
  deltasPerTurn: number;
  /** The bench process's own event-loop delay during the run (it hosts the mock and the client). */
  benchLoopDelayP99Ms?: number;
}

const DELTAS = 30;

export async function benchForwarding(
  upstream: MockUpstream,
  bin: string,
  log: (s: string) => void,
  samples = 1200,
  _daemonEnv: NodeJS.ProcessEnv = {},
): Promise<Forwarding & { daemonOutput: string }> {
  const dir = tempDir('maxproxy-bench-tap-');
  const tap = writeTap(dir);
  const tapLog = path.join(dir, 'deltas.log');
  const phaseLog = path.join(dir, 'phases.jsonl');
  const proxy = await startDaemon(
    upstream,
    ['--warm-spares', '0', '--claude-path', tap],
    { BENCH_TAP_REAL: bin, BENCH_TAP_LOG: tapLog },
    { MAXPROXY_PHASE_LOG: phaseLog },
  );
  await pickModel(proxy.port);
  const TURNS = Math.max(10, Math.ceil(samples / DELTAS));
  let turn = 0;
  upstream.setResponder(() => ({ blocks: [{ type: 'text', text: Array.from({ length: DELTAS }, (_, i) => `t${turn}d${i} `) }], delayMs: 5 }));
  try {
    const messages: Array<{ role: string; content: string }> = [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: 'overhead warm-up' },
    ];
    const w = await streamChat(proxy.port, messages);
    messages.push({ role: 'assistant', content: w.text });
    // Turns alternate between the two readers, so both see the same daemon, session and load.
    const received: Record<Reader, Map<string, bigint>> = { socket: new Map(), fetch: new Map() };
    const sentAt: bigint[] = [];
    const cpu0 = cpuMs(proxy.child.pid!);
    upstream.deltaLog = [];
    fs.writeFileSync(tapLog, '');
    const client = new StreamingClient();
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    for (turn = 1; turn <= 2 * TURNS; turn++) {
      const reader: Reader = turn % 2 ? 'socket' : 'fetch';
      messages.push({ role: 'user', content: `overhead ${turn}` });
      const r = await client.turn(proxy.port, messages, reader, (text, at) => received[reader].set(text, at));
      messages.push({ role: 'assistant', content: r.text });
      sentAt.push(r.sentAt);
      await settle(100);
    }
    loop.disable();
    await client.close();
    const daemonCpuPerTurnMs = (cpuMs(proxy.child.pid!) - cpu0) / (2 * TURNS);
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
    const daemon = daemonStamps(phaseLog);
    const sent = new Map(upstream.deltaLog.map((d) => [d.text, d.at]));
    upstream.deltaLog = undefined;
    const socket = perDelta(received.socket, tapped, sent, daemon);
    const viaFetch = perDelta(received.fetch, tapped, sent, daemon);
    const f: Forwarding = {
      ...socket,
      fetch: { overhead: viaFetch.overhead, toClient: viaFetch.hops?.toClient },
      requestPath: dist(inbound),
      daemonCpuPerTurnMs,
      deltasPerTurn: DELTAS,
      benchLoopDelayP99Ms: loop.percentile(99) / 1e6,
    };
    log(`forwarding: overhead p99 ${f.overhead.p99.toFixed(2)} ms over ${f.overhead.n} deltas (fetch reader ${f.fetch.overhead.p99.toFixed(2)} ms)`);
    return { ...f, daemonOutput: proxy.output() };
  } finally {
    upstream.reset();
    await stopDaemon(proxy);
  }
}

type Reader = 'socket' | 'fetch';

/** One reader's per-delta figures: overhead (tap line → client), the CLI's own latency, end to end, and the three hops. */
function perDelta(
  received: Map<string, bigint>,
  tapped: Map<string, bigint>,
  sent: Map<string, bigint>,
  daemon: { read: Map<string, bigint>; written: Map<string, bigint> },
): Pick<Forwarding, 'overhead' | 'cliLatency' | 'endToEnd' | 'unmatched' | 'hops'> {
  const overhead: number[] = [];
  const cli: number[] = [];
  const e2e: number[] = [];
  const hops = { toDaemon: [] as number[], inDaemon: [] as number[], toClient: [] as number[] };
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
    const r = daemon.read.get(text);
    const w = daemon.written.get(text);
    if (r === undefined || w === undefined) continue;
    hops.toDaemon.push(ms(r - t));
    hops.inDaemon.push(ms(w - r));
    hops.toClient.push(ms(at - w));
  }
  return {
    overhead: dist(overhead),
    cliLatency: dist(cli),
    endToEnd: dist(e2e),
    unmatched,
    hops: hops.inDaemon.length ? { toDaemon: dist(hops.toDaemon), inDaemon: dist(hops.inDaemon), toClient: dist(hops.toClient) } : undefined,
  };
}

/**
 * The daemon's own per-delta stamps (MAXPROXY_PHASE_LOG): when it read each text delta from the
 * CLI's stdout and when it wrote the SSE event carrying it, keyed by the delta's text.
 */
function daemonStamps(file: string): { read: Map<string, bigint>; written: Map<string, bigint> } {
  const read = new Map<string, bigint>();
  const written = new Map<string, bigint>();
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  for (const line of lines) {
    for (const [where, t, what] of (JSON.parse(line) as { deltas?: Array<[string, string, string]> }).deltas ?? []) {
      if (where === 'stdout') read.set(what, BigInt(t));
      else if (where === 'sse' && what.startsWith('{')) {
        const c = (JSON.parse(what) as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content;
        if (c) written.set(c, BigInt(t));
      }
    }
  }
  return { read, written };
}

const f2 = (x: number) => `${x.toFixed(2)} ms`;
const hop = (d: Dist) => `p50 ${f2(d.p50)} p99 ${f2(d.p99)}`;

export const forwardingLines = (f: Forwarding): string[] => [
  `  per-delta forwarding overhead (CLI stdout → the client's socket read): p50 ${f2(f.overhead.p50)}, p95 ${f2(f.overhead.p95)}, p99 ${f2(f.overhead.p99)}, max ${f2(f.overhead.max)} (n=${f.overhead.n}${f.unmatched ? `, ${f.unmatched} unmatched` : ''})`,
  `    for scale: mock → CLI stdout (the CLI itself) p50 ${f2(f.cliLatency.p50)}, p99 ${f2(f.cliLatency.p99)}; mock → client p50 ${f2(f.endToEnd.p50)}, p99 ${f2(f.endToEnd.p99)}` +
    (f.benchLoopDelayP99Ms === undefined ? '' : `; the bench process's own event-loop delay p99 ${f2(f.benchLoopDelayP99Ms)}`),
  ...(f.hops
    ? [
        `    in three hops: tap line → daemon reads it ${hop(f.hops.toDaemon)}; daemon read → SSE write ${hop(f.hops.inDaemon)}; SSE write → client socket read ${hop(f.hops.toClient)} (n=${f.hops.inDaemon.n})`,
      ]
    : []),
  `    the same turns read through fetch's stream reader (alternate turns): CLI stdout → reader p50 ${f2(f.fetch.overhead.p50)}, p99 ${f2(f.fetch.overhead.p99)}, max ${f2(f.fetch.overhead.max)} (n=${f.fetch.overhead.n})` +
    (f.fetch.toClient ? `; SSE write → reader ${hop(f.fetch.toClient)}` : ''),
  `    daemon CPU time per continuation turn of ${f.deltasPerTurn} deltas: ${f.daemonCpuPerTurnMs.toFixed(1)} ms (utime+stime, 10 ms ticks)`,
  `  request path of a continuation turn (client sends → user message on the CLI's stdin): p50 ${f2(f.requestPath.p50)}, p95 ${f2(f.requestPath.p95)} (n=${f.requestPath.n})`,
];

/** The streaming client process (bench/forwarding-client.mjs); `reader` picks how it reads each turn. */
class StreamingClient {
  private readonly child = spawn(process.execPath, [fileURLToPath(new URL('./forwarding-client.mjs', import.meta.url))], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });

  turn(port: number, messages: unknown[], reader: Reader, onDelta: (text: string, at: bigint) => void): Promise<{ text: string; sentAt: bigint }> {
    return new Promise((resolve, reject) => {
      this.child.once('message', (msg) => {
        const m = msg as { error?: string; text: string; sentAt: bigint; deltas: Array<[string, bigint]> };
        if (m.error) return reject(new Error(m.error));
        for (const [c, at] of m.deltas) onDelta(c, at);
        resolve(m);
      });
      this.child.send({ port, reader, body: JSON.stringify({ model: MODEL, stream: true, messages }) });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill();
    });
  }
}
