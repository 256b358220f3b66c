/**
 * `npx tsx bench/hardening.ts [--main path/to/dist/main.js] [--only spares|event-loop]`:
 * the two figures issue 13 asks for, without the long full bench.
 *
 *   spares      10 new conversations with 10 different system prompts, one after the
 *               other (default --warm-spares 1): how many CLI processes were started
 *               (counted from the daemon's "claude exited" log lines after a stop).
 *   event-loop  the longest gap between /health answers (polled every 10 ms) while a
 *               request with 20,000 and 100,000 consecutive user messages is posted to
 *               each route. A request is given up after 120 s.
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

async function eventLoop(upstream: MockUpstream): Promise<void> {
  const proxy = await startProxy({ upstream, command, args: ['--warm-spares', '0'] });
  const users = (n: number) => Array.from({ length: n }, (_, i) => ({ role: 'user', content: `u${i}` }));
  const routes: Array<[string, (n: number) => unknown]> = [
    ['/v1/chat/completions', (n) => ({ model: 'sonnet', messages: users(n) })],
    ['/v1/messages', (n) => ({ model: 'sonnet', max_tokens: 16, messages: users(n) })],
    ['/v1/responses', (n) => ({ model: 'sonnet', input: users(n).map((m) => ({ type: 'message', ...m })) })],
  ];
  for (const n of [20_000, 100_000]) {
    for (const [route, body] of routes) {
      // Serialised before the clock starts: the poller shares this process's event loop.
      const payload = JSON.stringify(body(n));
      let running = true;
      let last = performance.now();
      let worst = 0;
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
      console.log(`event-loop: ${n} messages ${route}: answer ${status} after ${Math.round(took)} ms; longest /health gap ${Math.round(worst)} ms`);
      if (status.startsWith('no answer')) {
        console.log('event-loop: daemon blocked; stopping this run');
        proxy.child.kill('SIGKILL');
        return;
      }
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
