/**
 * `npx tsx bench/hardening.ts [--main path/to/dist/main.js] [--only spares|event-loop]`:
 * the two figures issue 13 asks for, without the long full bench.
 *
 *   spares      10 new conversations with 10 different system prompts, one after the
 *               other (default --warm-spares 1): how many CLI processes were started
 *               (counted from the daemon's "claude exited" log lines after a stop).
 *   event-loop  the daemon's longest event-loop block for the costliest request shapes
 *               (bench/event-loop.ts; also part of `npm run bench`).
 *
 * --main runs another build (e.g. the code before the fixes) for a before/after.
 */
import { parseArgs } from 'node:util';
import { MAIN, startProxy } from '../test/harness.js';
import { MockUpstream } from '../test/mock-upstream.js';
import { benchEventLoop } from './event-loop.js';

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

const upstream = await new MockUpstream().start();
try {
  if (!values.only || values.only === 'spares') await spares(upstream);
  if (!values.only || values.only === 'event-loop') await benchEventLoop(upstream, console.log, main);
} finally {
  await upstream.stop();
}
