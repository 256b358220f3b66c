/**
 * `--only soak`: many turns over many conversations from concurrent clients, to find leaks.
 * 50 conversations (each on one API: Chat Completions, Messages or Responses), 5 clients
 * taking turns on random conversations, streaming and not, the history resent each turn;
 * every 10th chat turn is a tool-call round trip. Daemon RSS, open fds and live CLI count are
 * read at the start (after the warm-up: every conversation has had one turn), the middle and
 * the end; the run passes when RSS and fds are within 10 % of the start, the live CLIs stay
 * within the session limit, and no CLI of the run is left once the daemon has stopped.
 */
import fs from 'node:fs';
import { childClaudePids, processesMatching } from '../test/harness.js';
import type { MockUpstream } from '../test/mock-upstream.js';
import { echoResponder, lastUserText } from '../test/mock-upstream.js';
import { MODEL, pickModel, SYSTEM } from './clients.js';
import { rssMb, startDaemon, stopDaemon } from './daemon-helpers.js';

type Api = 'chat' | 'messages' | 'responses';
interface Conv {
  api: Api;
  history: Array<{ role: 'user' | 'assistant'; content: string }>;
  busy: boolean;
}
export interface SoakPoint {
  label: string;
  turns: number;
  atS: number;
  rssMb: number;
  /**
   * RSS over the turns just before this point (half the interval between points), read once a second: the median and the range.
   * One reading under load falls anywhere in V8's collection cycle (up to tens of MB of young
   * garbage); the median of a window is what the process holds at that stage of the run.
   */
  rssWindow?: { medianMb: number; minMb: number; maxMb: number; n: number };
  fds: number;
  liveClis: number;
  /** V8 heap in use (the daemon's /metrics), to tell retained objects from allocator growth. */
  heapUsedMb?: number;
  heapTotalMb?: number;
  externalMb?: number;
  /** With BENCH_SOAK_SNAPSHOTS: the heap snapshot taken at this point (after V8's full collection). */
  heapSnapshot?: string;
}
export interface Soak {
  turns: number;
  conversations: number;
  clients: number;
  seconds: number;
  points: SoakPoint[];
  errors: number;
  firstError?: string;
  maxLiveClis: number;
  maxLiveSessions: number;
  clisSeen: number;
  orphans: number[];
  pass: { rss: boolean; fds: boolean; clis: boolean; orphans: boolean; errors: boolean };
}

/**
 * BENCH_SOAK_SNAPSHOTS=<dir> (with BENCH_DAEMON_NODE_ARGS="--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<dir>"):
 * a heap snapshot of the daemon at each point. V8 collects garbage fully before it writes one, so two
 * snapshots compare what is retained, whatever the load; `tsx bench/heap-diff.ts a b` diffs them.
 */
const SNAP_DIR = process.env.BENCH_SOAK_SNAPSHOTS;
async function heapSnapshot(pid: number, label: string): Promise<string> {
  const dir = SNAP_DIR!;
  const list = () => fs.readdirSync(dir).filter((f) => f.startsWith('Heap.') && f.endsWith('.heapsnapshot'));
  const before = new Set(list());
  process.kill(pid, 'SIGUSR2');
  let file: string | undefined;
  for (let i = 0; i < 600 && !file; i++) {
    await new Promise((r) => setTimeout(r, 100));
    file = list().find((f) => !before.has(f));
  }
  if (!file) throw new Error('no heap snapshot written (is --heapsnapshot-signal=SIGUSR2 --diagnostic-dir set?)');
  // The daemon writes the snapshot synchronously on its main thread: once its size holds, it is complete.
  let size = -1;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = fs.statSync(`${dir}/${file}`).size;
    if (now === size && now > 0) break;
    size = now;
  }
  const out = `${dir}/${label}.heapsnapshot`;
  fs.renameSync(`${dir}/${file}`, out);
  return out;
}

const fdCount = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length;
const MAX_LIVE = 8; // the default session limit (src/config/defaults.ts), left as it is
/**
 * The cap closes only idle sessions, when a turn ends (engine.ts, evictOverflow): beside the 8
 * there can be the warm spare and one new CLI per running turn (--max-concurrent 4), and
 * a closed CLI counts until it has exited.
 */
const LIVE_BOUND = MAX_LIVE + 1 + 4;

async function post(port: number, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

/** One turn of a conversation; returns the assistant's text (checked against the echo). */
async function turn(port: number, c: Conv, prompt: string, stream: boolean, tool: boolean): Promise<void> {
  c.history.push({ role: 'user', content: prompt });
  const want = `echo: ${prompt}`;
  let r: { status: number; text: string };
  if (c.api === 'chat') {
    const messages: unknown[] = [{ role: 'system', content: SYSTEM }, ...c.history];
    const tools = [
      {
        type: 'function',
        function: { name: 'lookup', description: 'Looks a word up.', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
      },
    ];
    if (tool) {
      r = await post(port, '/v1/chat/completions', { model: MODEL, messages, tools });
      const call = r.status === 200 ? JSON.parse(r.text).choices?.[0]?.message?.tool_calls?.[0] : undefined;
      if (!call) throw new Error(`tool turn: no tool call (${r.status} ${r.text.slice(0, 200)})`);
      messages.push({ role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: 'found it' });
      r = await post(port, '/v1/chat/completions', { model: MODEL, messages, tools });
      if (r.status !== 200 || JSON.parse(r.text).choices?.[0]?.message?.content !== 'tool done')
        throw new Error(`tool result turn: ${r.status} ${r.text.slice(0, 200)}`);
      // The client keeps the plain exchange in its history (as a chat UI that folds tool calls would).
      c.history.push({ role: 'assistant', content: 'tool done' });
      return;
    }
    r = await post(port, '/v1/chat/completions', { model: MODEL, messages, stream });
  } else if (c.api === 'messages') {
    r = await post(port, '/v1/messages', { model: MODEL, max_tokens: 256, system: SYSTEM, messages: c.history, stream });
  } else {
    r = await post(port, '/v1/responses', { model: MODEL, instructions: SYSTEM, input: c.history, stream, store: false });
  }
  if (r.status !== 200) throw new Error(`${c.api} ${stream ? 'stream' : 'json'}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  const ok = stream ? /\[DONE\]|message_stop|response\.completed/.test(r.text) && r.text.includes('echo') : r.text.includes(JSON.stringify(want).slice(1, -1));
  if (!ok) throw new Error(`${c.api} ${stream ? 'stream' : 'json'}: unexpected answer ${r.text.slice(0, 300)}`);
  c.history.push({ role: 'assistant', content: want });
}

export async function benchSoak(
  upstream: MockUpstream,
  opts: { turns: number; conversations: number; clients: number },
  log: (s: string) => void,
): Promise<Soak> {
  upstream.setResponder((req, index) => {
    const msgs: any[] = req.body?.messages ?? [];
    const last = msgs.at(-1);
    if (Array.isArray(last?.content) && last.content.some((b: any) => b.type === 'tool_result')) return { blocks: [{ type: 'text', text: 'tool done' }] };
    const lookup = (req.body?.tools ?? []).find((t: any) => String(t.name).endsWith('lookup'));
    if (lastUserText(req.body).startsWith('use the tool') && lookup)
      return { blocks: [{ type: 'tool_use', name: lookup.name, input: { q: 'x' } }], stopReason: 'tool_use' };
    return echoResponder(req, index);
  });
  const proxy = await startDaemon(upstream, []);
  const pid = proxy.child.pid!;
  await pickModel(proxy.port);
  const seen = new Set<number>();
  const rssSamples: Array<{ turns: number; mb: number }> = [];
  let tick = 0;
  const watch = setInterval(() => {
    for (const p of childClaudePids(pid)) seen.add(p);
    if (++tick % 2 === 0) rssSamples.push({ turns: done, mb: rssMb(pid) });
  }, 500);
  const apis: Api[] = ['chat', 'messages', 'responses'];
  const convs: Conv[] = Array.from({ length: opts.conversations }, (_, i) => ({ api: apis[i % 3], history: [], busy: false }));
  const points: SoakPoint[] = [];
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  let maxLive = 0;
  const t0 = Date.now();
  const point = async (label: string) => {
    const live = childClaudePids(pid).length;
    const p: SoakPoint = { label, turns: done, atS: (Date.now() - t0) / 1000, rssMb: rssMb(pid), fds: fdCount(pid), liveClis: live };
    const w = rssSamples
      .filter((x) => x.turns > done - windowTurns)
      .map((x) => x.mb)
      .sort((a, b) => a - b);
    if (w.length) p.rssWindow = { medianMb: w[Math.floor(w.length / 2)], minMb: w[0], maxMb: w[w.length - 1], n: w.length };
    points.push(p);
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    const mb = (name: string) => {
      const m = new RegExp(`^maxproxy_${name} (\\S+)$`, 'm').exec(metrics);
      return m ? Number(m[1]) / 2 ** 20 : undefined;
    };
    p.heapUsedMb = mb('nodejs_heap_size_used_bytes');
    // RSS = V8's heap as committed + native memory (buffers, malloc arenas, code): which part moves.
    p.heapTotalMb = mb('nodejs_heap_size_total_bytes');
    p.externalMb = mb('nodejs_external_memory_bytes');
    if (SNAP_DIR) p.heapSnapshot = await heapSnapshot(pid, label);
    log(
      `soak: ${label} after ${done} turns (${p.atS.toFixed(0)} s): RSS ${p.rssMb.toFixed(1)} MB (window median ${p.rssWindow?.medianMb.toFixed(1) ?? '?'} MB), heap used ${p.heapUsedMb?.toFixed(1) ?? '?'} MB, ${p.fds} fds, ${live} live CLIs`,
    );
  };
  // Start is measured once the daemon's state is at its steady size: every conversation has had
  // its first turn, and a second round of turns (chat tool round trips among them) has loaded
  // the modules that load on first use (the MCP SDK and zod: +13 MB of retained heap, measured).
  // V8 then grows its heap to the working size of the load over the next few hundred turns and
  // levels off (measured: 109 MB at 100 turns, 140 at 500, 143 at 1,500 of a 5,000-turn run), so
  // the start is the later of the two: a tenth of the run. The first reading is printed as `warm-up`.
  const firstTurns = opts.conversations;
  const warmedUp = 2 * opts.conversations;
  const warmUp = Math.max(warmedUp, Math.round(opts.turns / 10));
  const middle = Math.floor((opts.turns + warmUp) / 2);
  // Readings between the three points show the curve: a leak climbs with the turns, capacity levels off.
  const trendEvery = Math.max(100, Math.round(opts.turns / 10 / 100) * 100);
  // Each point's RSS window: the readings of the last half-interval of turns before it.
  const windowTurns = trendEvery / 2;
  let next = 0;
  const client = async (k: number) => {
    let seed = k + 1;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (;;) {
      const n = next++;
      if (n >= opts.turns) return;
      // The warm-up gives every conversation its first turn; then conversations are picked at random.
      let c = n < firstTurns ? convs[n] : convs[Math.floor(rnd() * convs.length)];
      while (c.busy) c = convs[Math.floor(rnd() * convs.length)];
      c.busy = true;
      try {
        const tool = c.api === 'chat' && n % 10 === 7 && c.history.length > 0;
        await turn(proxy.port, c, tool ? `use the tool ${n}` : `soak ${n}`, n % 2 === 0, tool);
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
        c.history.splice(0); // a failed turn starts that conversation again
      } finally {
        c.busy = false;
      }
      done++;
      maxLive = Math.max(maxLive, childClaudePids(pid).length);
      if (done === warmedUp && warmedUp < warmUp) await point('warm-up');
      if (done === warmUp) await point('start');
      else if (done === middle) await point('middle');
      else if (done > warmUp && done % trendEvery === 0 && done < opts.turns) await point(`t${done}`);
      if (done % 500 === 0) log(`soak: ${done}/${opts.turns} turns, ${errors} errors`);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.clients }, (_, k) => client(k)));
    await point('end');
  } finally {
    clearInterval(watch);
    for (const p of childClaudePids(pid)) seen.add(p);
    await stopDaemon(proxy);
  }
  const seconds = (Date.now() - t0) / 1000;
  // Orphans: any CLI of this run still alive (by pid seen, or by the run's HOME in its environment).
  const alive = (p: number) => fs.existsSync(`/proc/${p}`);
  const byHome = processesMatching('claude').filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`HOME=${proxy.home}`);
    } catch {
      return false;
    }
  });
  const orphans = [...new Set([...[...seen].filter(alive), ...byHome])];
  const s = points.find((p) => p.label === 'start') ?? points[0];
  const judged = points.slice(points.indexOf(s));
  const within = (a: number, b: number) => Math.abs(b - a) <= 0.1 * a;
  return {
    ...opts,
    seconds,
    points,
    errors,
    firstError,
    maxLiveClis: maxLive,
    maxLiveSessions: MAX_LIVE,
    clisSeen: seen.size,
    orphans,
    pass: {
      rss: judged.every((p) => within(windowRss(s), windowRss(p))),
      fds: judged.every((p) => within(s.fds, p.fds)),
      clis: maxLive <= LIVE_BOUND,
      orphans: orphans.length === 0,
      errors: errors === 0,
    },
  };
}

/** A point's RSS as judged: its window's median (the single reading when there is no window). */
const windowRss = (p: SoakPoint): number => p.rssWindow?.medianMb ?? p.rssMb;

export const soakLines = (s: Soak): string[] => [
  `  soak: ${s.turns} turns over ${s.conversations} conversations, ${s.clients} concurrent clients (Chat/Messages/Responses, streaming and not, history resent, tool round trips) in ${s.seconds.toFixed(0)} s (${(s.turns / s.seconds).toFixed(1)} turns/s); session limit ${s.maxLiveSessions}`,
  `    ${'point'.padEnd(8)}${'turns'.padStart(7)}${'at'.padStart(8)}${'RSS'.padStart(11)}${'window median (min–max)'.padStart(26)}${'heap used'.padStart(11)}${'heap'.padStart(10)}${'external'.padStart(10)}${'fds'.padStart(6)}${'live CLIs'.padStart(11)}`,
  ...s.points.map(
    (p) =>
      `    ${p.label.padEnd(8)}${String(p.turns).padStart(7)}${`${p.atS.toFixed(0)} s`.padStart(8)}${`${p.rssMb.toFixed(1)} MB`.padStart(11)}${(p.rssWindow ? `${p.rssWindow.medianMb.toFixed(1)} (${p.rssWindow.minMb.toFixed(0)}–${p.rssWindow.maxMb.toFixed(0)}) MB` : '').padStart(26)}${`${p.heapUsedMb?.toFixed(1) ?? '?'} MB`.padStart(11)}${`${p.heapTotalMb?.toFixed(1) ?? '?'} MB`.padStart(10)}${`${p.externalMb?.toFixed(1) ?? '?'} MB`.padStart(10)}${String(p.fds).padStart(6)}${String(p.liveClis).padStart(11)}`,
  ),
  `    warm-up = each conversation's first turn, then one more per conversation on average (tool round trips included); start = a tenth of the run, when V8's heap has grown to the load's working size; RSS window = the once-a-second readings over the turns just before the point (half the interval between points); flat = every later point's window median within 10 % of the start's`,
  `    errors ${s.errors}${s.firstError ? ` (first: ${s.firstError})` : ''}; most live CLIs ${s.maxLiveClis} (bound ${LIVE_BOUND}: the limit, the spare, one per running turn); CLIs started ${s.clisSeen}; orphan CLIs after the daemon stopped: ${s.orphans.length}${s.orphans.length ? ` (${s.orphans.join(', ')})` : ''}`,
  `    RSS flat ${s.pass.rss ? 'PASS' : 'FAIL'} · fds flat ${s.pass.fds ? 'PASS' : 'FAIL'} · live CLIs within the limit ${s.pass.clis ? 'PASS' : 'FAIL'} · no orphans ${s.pass.orphans ? 'PASS' : 'FAIL'} · no errors ${s.pass.errors ? 'PASS' : 'FAIL'}`,
];
