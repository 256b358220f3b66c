/**
 * Forwarding overhead per delta on a live session: a tap in front of the CLI stamps each
 * text delta line as the CLI writes it; the client stamps the chunk carrying it. For scale,
 * the same run measures the CLI's own latency (mock writes the delta → CLI stdout line).
 */
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { tempDir } from '../test/harness.js';
import type { MockUpstream } from '../test/mock-upstream.js';
import { MODEL, SYSTEM, streamChat } from './clients.js';
import { cpuMs, settle, startDaemon, stopDaemon, writeTap } from './daemon-helpers.js';
import { type Dist, dist, ms } from './stats.js';

export interface Forwarding {
  overhead: Dist;
  cliLatency: Dist;
  endToEnd: Dist;
  unmatched: number;
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
  const proxy = await startDaemon(upstream, ['--warm-spares', '0', '--claude-path', tap], { BENCH_TAP_REAL: bin, BENCH_TAP_LOG: tapLog });
  const t0 = process.hrtime.bigint();
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
    const received = new Map<string, bigint>();
    const sentAt: bigint[] = [];
    const cpu0 = cpuMs(proxy.child.pid!);
    upstream.deltaLog = [];
    fs.writeFileSync(tapLog, '');
    const client = new StreamingClient();
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    for (turn = 1; turn <= TURNS; turn++) {
      messages.push({ role: 'user', content: `overhead ${turn}` });
      const r = await client.turn(proxy.port, messages, (text, at) => received.set(text, at));
      messages.push({ role: 'assistant', content: r.text });
      sentAt.push(r.sentAt!);
      await settle(100);
    }
    loop.disable();
    await client.close();
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
      if (process.env.BENCH_FORWARDING_DUMP && ms(at - t) > 1.5)
        process.stderr.write(`slow delta ${ms(at - t).toFixed(2)} ms at daemon t+${ms(t - t0).toFixed(0)} ms (cli ${ms(t - s).toFixed(2)})\n`);
      cli.push(ms(t - s));
      e2e.push(ms(at - s));
    }
    const f: Forwarding = {
      overhead: dist(overhead),
      cliLatency: dist(cli),
      endToEnd: dist(e2e),
      unmatched,
      requestPath: dist(inbound),
      daemonCpuPerTurnMs,
      deltasPerTurn: DELTAS,
      benchLoopDelayP99Ms: loop.percentile(99) / 1e6,
    };
    log(`forwarding: overhead p99 ${f.overhead.p99.toFixed(2)} ms over ${overhead.length} deltas`);
    return { ...f, daemonOutput: proxy.output() };
  } finally {
    upstream.reset();
    await stopDaemon(proxy);
  }
}

const f2 = (x: number) => `${x.toFixed(2)} ms`;

export const forwardingLines = (f: Forwarding): string[] => [
  `  per-delta forwarding overhead (CLI stdout → client): p50 ${f2(f.overhead.p50)}, p95 ${f2(f.overhead.p95)}, p99 ${f2(f.overhead.p99)}, max ${f2(f.overhead.max)} (n=${f.overhead.n}${f.unmatched ? `, ${f.unmatched} unmatched` : ''})`,
  `    for scale: mock → CLI stdout (the CLI itself) p50 ${f2(f.cliLatency.p50)}, p99 ${f2(f.cliLatency.p99)}; mock → client p50 ${f2(f.endToEnd.p50)}, p99 ${f2(f.endToEnd.p99)}` +
    (f.benchLoopDelayP99Ms === undefined ? '' : `; the bench process's own event-loop delay p99 ${f2(f.benchLoopDelayP99Ms)}`),
  `    daemon CPU time per continuation turn of ${f.deltasPerTurn} deltas: ${f.daemonCpuPerTurnMs.toFixed(1)} ms (utime+stime, 10 ms ticks)`,
  `  request path of a continuation turn (client sends → user message on the CLI's stdin): p50 ${f2(f.requestPath.p50)}, p95 ${f2(f.requestPath.p95)} (n=${f.requestPath.n})`,
];

/**
 * The streaming client on its own thread (own event loop and heap): the bench process also
 * hosts the mock upstream, whose timers and JSON would otherwise delay the client's read of a
 * chunk and count as maxproxy's overhead. hrtime is one monotonic clock for all threads and
 * processes, so the stamps compare with the tap's.
 */
class StreamingClient {
  private readonly worker = new Worker(
    `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', async ({ port, body }) => {
  try {
    const t0 = process.hrtime.bigint();
    const res = await fetch('http://127.0.0.1:' + port + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (res.status !== 200) throw new Error('HTTP ' + res.status + ': ' + (await res.text()));
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    let text = '';
    const deltas = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const at = process.hrtime.bigint();
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\\n\\n')) >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        for (const line of ev.split('\\n')) {
          if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
          const c = JSON.parse(line.slice(6)).choices?.[0]?.delta?.content;
          if (c) { text += c; deltas.push([c, at]); }
        }
      }
    }
    parentPort.postMessage({ text, sentAt: t0, deltas });
  } catch (e) {
    parentPort.postMessage({ error: String(e) });
  }
});
`,
    { eval: true },
  );

  turn(port: number, messages: unknown[], onDelta: (text: string, at: bigint) => void): Promise<{ text: string; sentAt: bigint }> {
    return new Promise((resolve, reject) => {
      this.worker.once('message', (m: { error?: string; text: string; sentAt: bigint; deltas: Array<[string, bigint]> }) => {
        if (m.error) return reject(new Error(m.error));
        for (const [c, at] of m.deltas) onDelta(c, at);
        resolve(m);
      });
      this.worker.postMessage({ port, body: JSON.stringify({ model: MODEL, stream: true, messages }) });
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
