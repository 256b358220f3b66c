/**
 * The event-loop figures for large and hostile request bodies (issue 13's bar: no request
 * holds the daemon's event loop for more than ~50 ms at a time). For each of the costliest
 * shapes: the daemon's own longest block (its maxproxy_nodejs_eventloop_lag_max_seconds,
 * which each scrape resets) and the longest gap between /health answers polled every
 * 10 ms, beside two baselines (a one-line chat, first and later). A request is given up
 * after 120 s. Used by `npm run bench` and by `bench/hardening.ts --only event-loop`.
 */
import { daemonCommand, MAIN, startProxy } from '../test/harness.js';
import type { MockUpstream } from '../test/mock-upstream.js';

export interface EventLoopRow {
  label: string;
  route: string;
  mb: number;
  status: string;
  tookMs: number;
  /** The daemon's longest event-loop block while the request ran. */
  blockMs: number;
  /** The longest wait between two /health answers, seen from outside. */
  healthGapMs: number;
  /** Refused before a CLI was involved: the block is the cost of reading and parsing the body. */
  refused: boolean;
}

/** The daemon's own longest event-loop block since the last scrape (prom-client resets it on every collect), in ms. */
async function lagSinceLastScrape(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^maxproxy_nodejs_eventloop_lag_max_seconds\s+(\S+)/m.exec(text);
  return m ? Number(m[1]) * 1000 : Number.NaN;
}

/** The request shapes that cost the most main-thread work per byte, each as [label, route, body]. */
function worstShapes(): Array<[string, string, () => string]> {
  const users = (n: number) => Array.from({ length: n }, (_, i) => ({ role: 'user', content: `u${i}` }));
  const one = () => JSON.stringify({ model: 'sonnet', messages: users(1) });
  // Baselines: what an ordinary request costs, the daemon's first and a later one.
  const shapes: Array<[string, string, () => string]> = [
    ['one short message (first request)', '/v1/chat/completions', one],
    ['one short message', '/v1/chat/completions', one],
  ];
  for (const n of [20_000, 100_000]) {
    shapes.push(
      [`${n} messages`, '/v1/chat/completions', () => JSON.stringify({ model: 'sonnet', messages: users(n) })],
      [`${n} messages`, '/v1/messages', () => JSON.stringify({ model: 'sonnet', max_tokens: 16, messages: users(n) })],
      [`${n} messages`, '/v1/responses', () => JSON.stringify({ model: 'sonnet', input: users(n).map((m) => ({ type: 'message', ...m })) })],
    );
  }
  const blocks = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'text', text: `b${i}` }));
  const image = (mb: number) =>
    JSON.stringify({
      model: 'sonnet',
      max_tokens: 16,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: `iVBORw0KGgo${'A'.repeat(mb * 1_000_000)}` } },
          ],
        },
      ],
    });
  // A long agent session: many turns, some carrying a whole file (~20 MB in all).
  const agentSession = () =>
    JSON.stringify({
      model: 'sonnet',
      messages: Array.from({ length: 2_001 }, (_, i) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: i % 10 === 0 ? `file ${i}:\n${'const x = "value";\n'.repeat(5_500)}` : `turn ${i}`,
      })),
    });
  shapes.push(
    ['10,000 messages (the limit)', '/v1/chat/completions', () => JSON.stringify({ model: 'sonnet', messages: users(10_000) })],
    [
      '1 message of 400,000 text blocks',
      '/v1/messages',
      () => JSON.stringify({ model: 'sonnet', max_tokens: 16, messages: [{ role: 'user', content: blocks(400_000) }] }),
    ],
    [
      '3,000,000 numbers in an unknown field',
      '/v1/chat/completions',
      () => JSON.stringify({ model: 'sonnet', messages: users(1), x: Array.from({ length: 3_000_000 }, (_, i) => i % 10) }),
    ],
    ['5 MB base64 image', '/v1/messages', () => image(5)],
    ['10 MB base64 image', '/v1/messages', () => image(10)],
    ['30 MB base64 image', '/v1/messages', () => image(30)],
    ['2,001 messages with 201 pasted files of 100 KB', '/v1/chat/completions', agentSession],
    [
      '16 MB text with escapes',
      '/v1/chat/completions',
      () => JSON.stringify({ model: 'sonnet', messages: [{ role: 'user', content: 'line "quoted" \\ é\n'.repeat(1_000_000) }] }),
    ],
  );
  return shapes;
}

export async function benchEventLoop(upstream: MockUpstream, log: (s: string) => void, main = MAIN): Promise<EventLoopRow[]> {
  const rows: EventLoopRow[] = [];
  const proxy = await startProxy({ upstream, command: daemonCommand([], main), args: ['--warm-spares', '0'] });
  for (const [label, route, make] of worstShapes()) {
    // Serialised before the clock starts: the poller shares this process's event loop.
    const payload = make();
    let running = true;
    let last = performance.now();
    let worst = 0;
    await lagSinceLastScrape(proxy.url);
    const poll = (async () => {
      while (running) {
        try {
          await fetch(`${proxy.url}/health`, { signal: AbortSignal.timeout(125_000) });
        } catch {
          /* counted by the gap */
        }
        const now = performance.now();
        worst = Math.max(worst, now - last);
        last = now;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const t0 = performance.now();
    let status = 'no answer in 120 s';
    let answer = '';
    try {
      const r = await fetch(`${proxy.url}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        signal: AbortSignal.timeout(120_000),
      });
      status = String(r.status);
      answer = await r.text();
    } catch {
      /* timed out */
    }
    const took = performance.now() - t0;
    running = false;
    await poll;
    const lag = await lagSinceLastScrape(proxy.url);
    const row: EventLoopRow = {
      label,
      route,
      mb: Buffer.byteLength(payload) / 1e6,
      status,
      tookMs: took,
      blockMs: lag,
      healthGapMs: worst,
      // Refused by the body limits, before any CLI (a 400 from Claude Code does not count).
      refused: /json_too_many_values|too_many_messages|request_too_large|json_too_deep/.test(answer),
    };
    rows.push(row);
    log(eventLoopLine(row));
    if (status.startsWith('no answer')) {
      log('event-loop: daemon blocked; stopping this run');
      proxy.child.kill('SIGKILL');
      return rows;
    }
  }
  await proxy.stop();
  return rows;
}

export const eventLoopLine = (r: EventLoopRow): string =>
  `event-loop: ${r.label} (${r.mb.toFixed(1)} MB) ${r.route}: answer ${r.status} after ${Math.round(r.tookMs)} ms; daemon's longest block ${Math.round(r.blockMs)} ms; longest /health gap ${Math.round(r.healthGapMs)} ms`;

/** The target: reading and parsing a large body (refused shapes: no CLI is started) blocks ≤ 50 ms. */
export const eventLoopTarget = (rows: EventLoopRow[]) => {
  const worst = Math.max(...rows.filter((r) => r.refused && r.mb >= 1).map((r) => r.blockMs));
  return { name: 'longest block reading+parsing a 1–24 MB body', target: '≤ 50 ms', value: `${worst.toFixed(0)} ms`, pass: worst <= 50 };
};
