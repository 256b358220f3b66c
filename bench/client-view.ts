/**
 * What a client sees, interleaved on one mock: each round drives the same CLI directly (a
 * long-lived stream-json process with the plain-chat flags, initialised and idle 1.5 s,
 * then a first message and a second turn) and then maxproxy (a fresh conversation served
 * by a warm spare, then its second turn with the history resent), with the same model id,
 * through Node's fetch with a keep-alive connection. The daemon writes its phase
 * timestamps (MAXPROXY_PHASE_LOG, src/turn/phase-marks.ts); the breakdown is their medians.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sleep, tempDir, waitFor } from '../test/harness.js';
import type { MockUpstream } from '../test/mock-upstream.js';
import { DirectSession, directEnv, MODEL, PLAIN_CHAT_FLAGS, pickModel, SYSTEM, streamChat } from './clients.js';
import { health, startDaemon, stopDaemon } from './daemon-helpers.js';
import { type Dist, dist, quantile } from './stats.js';

/** Consecutive phases of a turn inside the daemon (names from phase-marks users). */
const PHASES: Array<[string, string, string]> = [
  ['arrived', 'routed', 'guards, body read + JSON parse'],
  ['routed', 'admitted', 'wire → canonical request, admission'],
  ['admitted', 'prepared', 'fingerprint + prepare'],
  ['prepared', 'admittedByLimiter', 'tool server (MCP) + limiter'],
  ['admittedByLimiter', 'sessionMatched', 'session match / spare hand-over'],
  ['sessionMatched', 'configured', 'control requests (model, effort, thinking, tools)'],
  ['configured', 'stdinWrite', 'user message → CLI stdin'],
  ['stdinWrite', 'stdoutTextDelta', '(the CLI: stdin → first text delta line)'],
  ['stdoutTextDelta', 'firstEvent', 'first text delta line → first event'],
  ['firstEvent', 'sseFirstData', 'first event → first SSE byte'],
];

export interface ClientView {
  model: string;
  rounds: number;
  direct: { first: Dist; second: Dist };
  maxproxy: { first: Dist; second: Dist; warmHits: number };
  phases: { first: Array<{ label: string; p50: number }>; second: Array<{ label: string; p50: number }> };
}

export async function benchClientView(upstream: MockUpstream, bin: string, rounds: number, log: (s: string) => void): Promise<ClientView> {
  const dir = tempDir('maxproxy-bench-phases-');
  const phaseLog = path.join(dir, 'phases.jsonl');
  const proxy = await startDaemon(upstream, ['--warm-spares', '1'], {}, { MAXPROXY_PHASE_LOG: phaseLog });
  const model = await pickModel(proxy.port);
  log(`client view: model ${model}, ${rounds} interleaved rounds`);
  const d1: number[] = [];
  const d2: number[] = [];
  const m1: number[] = [];
  const m2: number[] = [];
  try {
    await streamChat(proxy.port, [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: 'first of its shape' },
    ]);
    for (let i = 0; i < rounds; i++) {
      const s = new DirectSession(bin, directEnv(upstream, tempDir('maxproxy-bench-home-')), tempDir('maxproxy-bench-cwd-'), [
        ...PLAIN_CHAT_FLAGS,
        '--system-prompt',
        SYSTEM,
      ]);
      await s.initialize();
      await sleep(1500);
      d1.push((await s.turn(`direct ${i}`)).ttftMs);
      await sleep(300);
      d2.push((await s.turn(`direct again ${i}`)).ttftMs);
      await s.close();

      await waitFor(async () => Number((await health(proxy)).warmSpares ?? 0) >= 1, 30_000);
      await sleep(1500);
      const messages: Array<{ role: string; content: string }> = [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: `proxy ${i}` },
      ];
      const a = await streamChat(proxy.port, messages);
      m1.push(a.ttftMs);
      messages.push({ role: 'assistant', content: a.text }, { role: 'user', content: `proxy again ${i}` });
      await sleep(300);
      m2.push((await streamChat(proxy.port, messages)).ttftMs);
    }
  } finally {
    await stopDaemon(proxy);
  }
  await sleep(200);
  const lines = fs
    .readFileSync(phaseLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { continuity: string; at: Record<string, string> })
    .slice(1);
  const breakdown = (continuity: string) => {
    const rows = lines.filter((l) => l.continuity === continuity);
    return PHASES.map(([a, b, label]) => ({
      label,
      p50: quantile(
        rows.filter((r) => r.at[a] && r.at[b]).map((r) => Number(BigInt(r.at[b]) - BigInt(r.at[a])) / 1e6),
        0.5,
      ),
    }));
  };
  return {
    model: model ?? MODEL,
    rounds,
    direct: { first: dist(d1), second: dist(d2) },
    maxproxy: { first: dist(m1), second: dist(m2), warmHits: lines.filter((l) => l.continuity === 'warm').length },
    phases: { first: breakdown('warm'), second: breakdown('live') },
  };
}

export function clientViewLines(v: ClientView): string[] {
  const f = (x: number) => (Number.isNaN(x) ? 'n/a' : `${x.toFixed(1)} ms`);
  return [
    `  client view (fetch keep-alive, model ${v.model}, ${v.rounds} interleaved rounds, TTFT p50):`,
    `    first turn:   CLI direct ${f(v.direct.first.p50)}, maxproxy ${f(v.maxproxy.first.p50)} (${v.maxproxy.warmHits} from a warm spare), added ${f(v.maxproxy.first.p50 - v.direct.first.p50)}`,
    `    continuation: CLI direct ${f(v.direct.second.p50)}, maxproxy ${f(v.maxproxy.second.p50)}, added ${f(v.maxproxy.second.p50 - v.direct.second.p50)}`,
    '    phase breakdown inside the daemon (p50)        first turn   continuation',
    ...v.phases.first.map((p, i) => `      ${p.label.padEnd(48)}${f(p.p50).padStart(9)}${f(v.phases.second[i].p50).padStart(14)}`),
  ];
}
