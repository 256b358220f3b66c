/**
 * `npx tsx bench/hardening.ts [--main path/to/dist/main.js] [--only spares|event-loop]`:
 * the two figures issue 13 asks for, without the long full bench.
 *
 *   spares      10 new conversations with 10 different system prompts, one after the
 *               other (default --warm-spares 1): how many CLI processes were started
 *               (counted from the daemon's "claude exited" log lines after a stop).
 *   event-loop  for each of the costliest request shapes (20,000 and 100,000 consecutive
 *               user messages on each route, the 10,000-message limit, 400,000 blocks in
 *               one message, millions of numbers in an unknown field, a 30 MB image, 16 MB
 *               of escaped text): the daemon's own longest event-loop block (its
 *               maxproxy_nodejs_eventloop_lag_max_seconds, reset by each scrape) and the
 *               longest gap between /health answers polled every 10 ms. A request is
 *               given up after 120 s.
 *
 * --main runs another build (e.g. the code before the fixes) for a before/after.
 */
import { parseArgs } from 'node:util';
import { MAIN, startProxy } from '../test/harness.js';
import { MockUpstream } from '../test/mock-upstream.js';

const { values } = parseArgs({ options: { main: { type: 'string' }, only: { type: 'string' } } });
const main = values.main ?? MAIN;
const command = { file: process.execPath, args: [main] };

async function spares(upstream: MockUpstream): Promise<void> {
  const proxy = await startProxy({ upstream, command });
  for (let i = 0; i < 10; i++) {
    const r = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'sonnet',
        messages: [
          { role: 'system', content: `You are assistant number ${i}.` },
          { role: 'user', content: 'hi' },
        ],
      }),
    });
    if (r.status !== 200) throw new Error(`conversation ${i}: ${r.status} ${await r.text()}`);
    // Give the replenished spare time to start, as a real client's think time would.
    await new Promise((res) => setTimeout(res, 1_500));
  }
  await proxy.stop();
  const started = proxy
    .output()
    .split('\n')
    .filter((l) => l.includes('"claude exited"')).length;
  console.log(`spares: 10 conversations, 10 different system prompts → ${started} CLI processes started (${started - 10} spares)`);
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
  const shapes: Array<[string, string, () => string]> = [];
  for (const n of [20_000, 100_000]) {
    shapes.push(
      [`${n} messages`, '/v1/chat/completions', () => JSON.stringify({ model: 'sonnet', messages: users(n) })],
      [`${n} messages`, '/v1/messages', () => JSON.stringify({ model: 'sonnet', max_tokens: 16, messages: users(n) })],
      [`${n} messages`, '/v1/responses', () => JSON.stringify({ model: 'sonnet', input: users(n).map((m) => ({ type: 'message', ...m })) })],
    );
  }
  const blocks = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'text', text: `b${i}` }));
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
    [
      '30 MB base64 image',
      '/v1/messages',
      () =>
        JSON.stringify({
          model: 'sonnet',
          max_tokens: 16,
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'what is this?' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: `iVBORw0KGgo${'A'.repeat(30_000_000)}` } },
              ],
            },
          ],
        }),
    ],
    [
      '16 MB text with escapes',
      '/v1/chat/completions',
      () => JSON.stringify({ model: 'sonnet', messages: [{ role: 'user', content: 'line "quoted" \\ é\n'.repeat(1_000_000) }] }),
    ],
  );
  return shapes;
}

async function eventLoop(upstream: MockUpstream): Promise<void> {
  const proxy = await startProxy({ upstream, command, args: ['--warm-spares', '0'] });
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
    try {
      const r = await fetch(`${proxy.url}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        signal: AbortSignal.timeout(120_000),
      });
      status = String(r.status);
      await r.arrayBuffer();
    } catch {
      /* timed out */
    }
    const took = performance.now() - t0;
    running = false;
    await poll;
    const lag = await lagSinceLastScrape(proxy.url);
    const mb = (Buffer.byteLength(payload) / 1e6).toFixed(1);
    console.log(
      `event-loop: ${label} (${mb} MB) ${route}: answer ${status} after ${Math.round(took)} ms; daemon's longest block ${Math.round(lag)} ms; longest /health gap ${Math.round(worst)} ms`,
    );
    if (status.startsWith('no answer')) {
      console.log('event-loop: daemon blocked; stopping this run');
      proxy.child.kill('SIGKILL');
      return;
    }
  }
  await proxy.stop();
}

const upstream = await new MockUpstream().start();
try {
  if (!values.only || values.only === 'spares') await spares(upstream);
  if (!values.only || values.only === 'event-loop') await eventLoop(upstream);
} finally {
  await upstream.stop();
}
