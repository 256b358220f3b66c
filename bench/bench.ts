import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundledClaudePath } from '../src/engine/claude-binary.js';
import { childClaudePids, processesMatching, sleep, tempDir, waitFor } from '../test/harness.js';
import { MockUpstream } from '../test/mock-upstream.js';
import { benchClientView, type ClientView, clientViewLines } from './client-view.js';
import { DirectSession, directEnv, directOneShot, PLAIN_CHAT_FLAGS, SYSTEM, streamChat } from './clients.js';
import { health, rssMb, settle, settledRssMb, startDaemon, statusOf, stopDaemon } from './daemon-helpers.js';
import { benchEventLoop, eventLoopTarget } from './event-loop.js';
import { benchForwarding, forwardingLines } from './forwarding.js';
import { benchLedger } from './ledger-bench.js';
import { ledgerLines, ledgerTarget, type Report, upstreamSizes } from './report.js';
import { benchSoak, soakLines } from './soak.js';
import { type Dist, dist, type TurnTiming } from './stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const { values: argv } = parseArgs({
  options: { runs: { type: 'string' }, out: { type: 'string' }, 'idle-wait-ms': { type: 'string' }, only: { type: 'string' }, turns: { type: 'string' } },
});
const RUNS = Number(argv.runs ?? process.env.BENCH_RUNS ?? 15);
/**
 * The longest the daemon is left idle before its RSS is read: V8's memory reducer returns
 * the start-up garbage after some idle time (~30 s here, not always); the reading is
 * taken as soon as RSS has dropped and held, else at the end of the wait.
 */
const IDLE_WAIT_MS = Number(argv['idle-wait-ms'] ?? 60_000);
const OUT = argv.out ?? path.join(HERE, 'results', 'latest.json');

// ---------------------------------------------------------------- phases

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

async function main(): Promise<void> {
  const bin = bundledClaudePath();
  if (!bin) throw new Error('the Agent SDK platform package with the bundled claude binary is not installed');
  const upstream = await new MockUpstream().start();
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(`bench: ${RUNS} runs per mode; mock upstream at ${upstream.url}; claude ${bin}`);
  const report = { when: new Date().toISOString(), runs: RUNS } as Report & { clientView?: ClientView };
  let clientView: ClientView | undefined;
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

    // What a client sees: the CLI directly and maxproxy, interleaved, with the phase breakdown.
    clientView = await benchClientView(upstream, bin, Math.min(RUNS, 7), log);
    report.clientView = clientView;

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

    // Forwarding per delta: CLI stdout line (tap) → the client's socket read, and fetch's reader beside it (decision 098).
    // The previous daemon's CLIs exit after it: their teardown is not this measurement's.
    await waitFor(async () => processesMatching(bin).length === 0, 30_000).catch(() => log('forwarding: CLIs of the previous phase still running'));
    await sleep(2000);
    const { daemonOutput: _, ...forwarding } = await benchForwarding(upstream, bin, log);
    report.forwarding = forwarding;
  } finally {
    await upstream.stop();
  }

  report.ledger = await benchLedger(log);
  {
    const upstream2 = await new MockUpstream().start();
    try {
      report.eventLoop = await benchEventLoop(upstream2, log);
    } finally {
      await upstream2.stop();
    }
  }

  // ---------------------------------------------------------------- targets and output
  report.machine.loadAvgEnd = os.loadavg();
  const f0 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : `${x.toFixed(0)} ms`);
  const f2 = (x: number) => `${x.toFixed(2)} ms`;
  const targets: Report['targets'] = [
    { name: 'continuation turn TTFT p50', target: '≤ 60 ms', value: f0(report.continuation.ttft.p50), pass: report.continuation.ttft.p50 <= 60 },
    report.warm.available
      ? { name: 'warm-spare first turn TTFT p50', target: '≤ 150 ms', value: f0(report.warm.ttft!.p50), pass: report.warm.ttft!.p50 <= 150 }
      : { name: 'warm-spare first turn TTFT p50', target: '≤ 150 ms', value: 'not available', pass: false },
    {
      name: 'forwarding per delta p99 (to the socket)',
      target: '≤ 2 ms',
      value: f2(report.forwarding.overhead.p99),
      pass: report.forwarding.overhead.p99 <= 2,
    },
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
    eventLoopTarget(report.eventLoop),
    ...(clientView
      ? [
          {
            name: 'client view: first turn ≤ CLI + 10 ms (p50)',
            target: '≤ +10 ms',
            value: `+${(clientView.maxproxy.first.p50 - clientView.direct.first.p50).toFixed(1)} ms`,
            pass: clientView.maxproxy.first.p50 - clientView.direct.first.p50 <= 10,
          },
          {
            name: 'client view: continuation ≤ CLI + 10 ms (p50)',
            target: '≤ +10 ms',
            value: `+${(clientView.maxproxy.second.p50 - clientView.direct.second.p50).toFixed(1)} ms`,
            pass: clientView.maxproxy.second.p50 - clientView.direct.second.p50 <= 10,
          },
        ]
      : []),
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
    ...forwardingLines(report.forwarding),
    `  upstream per one-line request: maxproxy ${report.upstream.maxproxy.requestBytes} B (system ${report.upstream.maxproxy.systemBytes} B + tools ${report.upstream.maxproxy.toolsBytes} B); ` +
      `claude -p plain-chat flags ${report.upstream.directPlain.requestBytes} B; claude -p defaults ${report.upstream.directDefault.requestBytes} B (system+tools ${report.upstream.directDefault.systemPlusToolsBytes} B, ${report.upstream.directDefault.tools} tools)`,
    `  memory (VmRSS, without CLI children): daemon 2 s after start ${report.memory.daemonFreshMb.toFixed(1)} MB, idle ${report.memory.daemonIdleMb.toFixed(1)} MB (after ${(report.memory.idleAfterMs / 1000).toFixed(0)} s), idle after the run ${report.memory.daemonAfterRunMb.toFixed(1)} MB (after ${(report.memory.afterRunAfterMs / 1000).toFixed(0)} s); ` +
      `per live session ${report.memory.perLiveSessionMb.toFixed(0)} MB (${report.memory.liveSessions} sessions)${report.memory.perWarmSpareMb ? `; per warm spare ${report.memory.perWarmSpareMb.toFixed(0)} MB` : ''}`,
    ...(clientView ? clientViewLines(clientView) : []),
    ...ledgerLines(report.ledger),
    '',
    `  event loop, large and hostile bodies (daemon's longest block · longest /health gap · answer):`,
    ...report.eventLoop.map(
      (r) =>
        `    ${`${r.label} (${r.mb.toFixed(1)} MB)`.padEnd(56)}${`${r.blockMs.toFixed(0)} ms`.padStart(8)}${`${r.healthGapMs.toFixed(0)} ms`.padStart(9)}   ${r.status}`,
    ),
    '',
    '  target                                          goal        measured     ',
    ...targets.map((t) => `  ${t.name.padEnd(48)}${t.target.padEnd(12)}${t.value.padEnd(15)}${t.pass ? 'PASS' : t.value === 'not available' ? 'n/a' : 'FAIL'}`),
    '',
    `  report: ${path.relative(process.cwd(), OUT)}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

/**
 * `--only forwarding`: the per-delta forwarding overhead alone. With BENCH_DAEMON_NODE_ARGS
 * (e.g. --trace-gc) the daemon's output is printed too, to find a tail's cause.
 */
async function forwardingOnly(): Promise<void> {
  const bin = bundledClaudePath();
  if (!bin) throw new Error('the Agent SDK platform package with the bundled claude binary is not installed');
  const upstream = await new MockUpstream().start();
  const load0 = os.loadavg();
  try {
    const f = await benchForwarding(upstream, bin, (s) => process.stderr.write(`${s}\n`), Number(argv.runs ?? 1200));
    if (process.env.BENCH_DAEMON_NODE_ARGS) process.stderr.write(f.daemonOutput);
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    process.stdout.write(['', ...forwardingLines(f), `  load average at start ${load(load0)}, at end ${load(os.loadavg())}`, ''].join('\n'));
  } finally {
    await upstream.stop();
  }
}

/** `--only soak`: the soak alone (`--turns N`, default 5,000), written to bench/results/soak.json. */
async function soakOnly(): Promise<void> {
  const upstream = await new MockUpstream().start();
  const load0 = os.loadavg();
  try {
    const s = await benchSoak(upstream, { turns: Number(argv.turns ?? 5000), conversations: 50, clients: 5 }, (x) => process.stderr.write(`${x}\n`));
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    const out = argv.out ?? path.join(HERE, 'results', 'soak.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(
      out,
      `${JSON.stringify({ when: new Date().toISOString(), loadAvgStart: load0, loadAvgEnd: os.loadavg(), node: process.version, soak: s }, null, 2)}\n`,
    );
    process.stdout.write(
      [
        '',
        `maxproxy soak — ${new Date().toISOString()}`,
        ...soakLines(s),
        `  load average at start ${load(load0)}, at end ${load(os.loadavg())}`,
        `  report: ${path.relative(process.cwd(), out)}`,
        '',
      ].join('\n'),
    );
    if (!Object.values(s.pass).every(Boolean)) process.exitCode = 1;
  } finally {
    await upstream.stop();
  }
}

/** `--only client-view`: the interleaved client-view comparison and its phase breakdown alone. */
async function clientViewOnly(): Promise<void> {
  const bin = bundledClaudePath();
  if (!bin) throw new Error('the Agent SDK platform package with the bundled claude binary is not installed');
  const upstream = await new MockUpstream().start();
  const load0 = os.loadavg();
  try {
    const v = await benchClientView(upstream, bin, Number(argv.runs ?? 7), (s) => process.stderr.write(`${s}\n`));
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    process.stdout.write(['', ...clientViewLines(v), `  load average at start ${load(load0)}, at end ${load(os.loadavg())}`, ''].join('\n'));
  } finally {
    await upstream.stop();
  }
}

const modes: Record<string, () => Promise<void>> = { ledger: ledgerOnly, 'client-view': clientViewOnly, forwarding: forwardingOnly, soak: soakOnly };
if (argv.only !== undefined && !modes[argv.only]) throw new Error(`--only ${argv.only}: unknown mode (${Object.keys(modes).join(', ')})`);
(argv.only === undefined ? main() : modes[argv.only]()).then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
