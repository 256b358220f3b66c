/**
 * Load through the real daemon and real Claude Code CLI processes: 50 streaming
 * requests, 10 at a time, against a cap of 3 running turns. Every answer must be
 * correct and complete, none lost or duplicated, the cap must hold, and nothing may be
 * left running. A full queue is refused at once with retry-after, in each format.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anthropicStreamSummary,
  chatBody,
  expectNoChildren,
  expectSettled,
  health,
  messagesBody,
  openaiStreamSummary,
  post,
  readUntil,
  slowWords,
} from './fault-kit.js';
import { MockUpstream, type RunningProxy, startProxy, waitFor } from './harness.js';
import { echoResponder, lastUserText } from './mock-upstream.js';

let upstream: MockUpstream;

beforeAll(async () => {
  upstream = await new MockUpstream().start();
});
afterAll(async () => {
  await upstream?.stop();
});

describe('50 streaming requests, 10 concurrent, --max-concurrent 3', () => {
  let proxy: RunningProxy;
  beforeAll(async () => {
    proxy = await startProxy({ upstream, args: ['--max-concurrent', '3', '--max-queue', '64', '--log-level', 'info'] });
  });
  afterAll(async () => {
    const pid = proxy?.child.pid;
    if (proxy) expect(await proxy.stop()).toBe(0);
    if (pid) await expectNoChildren(pid);
  });

  it('answers every request correctly and completely, holds the cap, loses nothing and leaves nothing running', async () => {
    // A little pacing upstream so turns overlap and the queue really fills.
    upstream.setResponder((req, i) => ({ ...(echoResponder(req, i) as object), delayMs: 15 }) as never);
    const N = 50;
    const CONCURRENCY = 10;
    const nonce = Math.random().toString(36).slice(2, 8);
    const prompts = Array.from({ length: N }, (_, i) => `load ${nonce} #${i}`);
    const results: Array<{ i: number; route: string; status: number; text: string; complete: boolean; error?: unknown }> = [];

    let maxActive = 0;
    let maxQueued = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const h = await health(proxy).catch(() => undefined);
        if (h) {
          maxActive = Math.max(maxActive, h.requests.active);
          maxQueued = Math.max(maxQueued, h.requests.queued);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    let next = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        const anthropic = i % 2 === 1;
        const route = anthropic ? '/v1/messages' : '/v1/chat/completions';
        const res = await post(
          proxy,
          route,
          anthropic ? messagesBody(prompts[i], { stream: true }) : chatBody(prompts[i], { stream: true, stream_options: { include_usage: true } }),
        );
        const raw = await res.text();
        if (anthropic) {
          const s = anthropicStreamSummary(raw);
          results.push({ i, route, status: res.status, text: s.text, complete: s.stopped && !s.error, error: s.error });
        } else {
          const s = openaiStreamSummary(raw);
          results.push({ i, route, status: res.status, text: s.text, complete: s.done && s.finish.join() === 'stop' && !s.error, error: s.error });
        }
      }
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = Date.now() - t0;
    polling = false;
    await poller;

    expect(results).toHaveLength(N);
    const bad = results.filter((r) => r.status !== 200 || !r.complete || r.text !== `echo: ${prompts[r.i]}`);
    expect(bad).toEqual([]);
    // Each prompt reached upstream exactly once (none lost, none answered twice).
    const sent = upstream.messageRequests.map((r) => lastUserText(r.body)).filter((t) => t.startsWith(`load ${nonce} `));
    expect(sent.sort()).toEqual([...prompts].sort());
    // The cap held, and requests really waited in the queue.
    expect(maxActive).toBeLessThanOrEqual(3);
    expect(maxQueued).toBeGreaterThan(0);
    await expectSettled(proxy, { timeoutMs: 20_000 });
    const h = await health(proxy);
    expect(h.liveSessions).toBeLessThanOrEqual(8);
    console.log(`load: ${N} streams in ${elapsed} ms; max active ${maxActive}, max queued ${maxQueued}, live sessions after ${h.liveSessions}`);
  }, 240_000);
});

describe('a full queue', () => {
  it('is refused at once with retry-after: 503 in the OpenAI formats, 503 api_error in the Anthropic format', async () => {
    const proxy = await startProxy({ upstream, args: ['--max-concurrent', '1', '--max-queue', '1'] });
    const pid = proxy.child.pid!;
    try {
      upstream.setResponder((req) => (lastUserText(req.body) === 'occupy' ? slowWords(60, 100) : { blocks: [{ type: 'text', text: 'fine' }] }));
      const running = await post(proxy, '/v1/chat/completions', chatBody('occupy', { stream: true }));
      const part = await readUntil(running, (t) => t.includes('w1 '));
      const waiting = post(proxy, '/v1/chat/completions', chatBody('wait in line'));
      await waitFor(async () => (await health(proxy)).requests.queued === 1, 10_000);

      const oa = await post(proxy, '/v1/chat/completions', chatBody('no room', { stream: true }));
      expect(oa.status).toBe(503);
      expect(oa.headers.get('content-type')).toMatch(/application\/json/);
      expect(Number(oa.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const oaBody = await oa.json();
      expect(oaBody.error).toMatchObject({ type: 'service_unavailable', code: 'queue_full' });

      const an = await post(proxy, '/v1/messages', messagesBody('no room', { stream: true }));
      // A full queue is maxproxy's own state, not Anthropic's capacity: 503 api_error (529 overloaded_error is kept for a real upstream overload).
      expect(an.status).toBe(503);
      expect(an.headers.get('content-type')).toMatch(/application\/json/);
      expect(Number(an.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const anBody = await an.json();
      expect(anBody).toMatchObject({ type: 'error', error: { type: 'api_error' } });
      expect(anBody.error.message).toMatch(/busy/);

      const rs = await post(proxy, '/v1/responses', { model: 'claude-sonnet-4-6', input: 'no room' });
      expect(rs.status).toBe(503);
      expect(Number(rs.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await rs.json()).error).toMatchObject({ type: 'service_unavailable', code: 'queue_full' });
      // Refused at once: all three were answered while the line was still full (none waited for a slot).
      expect((await health(proxy)).requests).toMatchObject({ active: 1, queued: 1 });

      // The refused ones never reached upstream; the running and the queued one finish.
      const full = await part.rest();
      expect(openaiStreamSummary(full).text).toBe(Array.from({ length: 60 }, (_, i) => `w${i} `).join(''));
      const w = await (await waiting).json();
      expect(w.choices[0].message.content).toBe('fine');
      expect(upstream.messageRequests.filter((r) => lastUserText(r.body) === 'no room')).toEqual([]);
      await expectSettled(proxy);
    } finally {
      upstream.reset();
      expect(await proxy.stop()).toBe(0);
      await expectNoChildren(pid);
    }
  }, 90_000);
});
