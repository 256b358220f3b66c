/**
 * Fault injection through the real daemon and the real Claude Code CLI against the
 * recording mock upstream: upstream errors, a dead upstream, a stalled stream (the
 * inactivity watchdog), an error mid-stream, a killed CLI child, clients that leave
 * mid-answer or while queued, and a daemon killed with SIGKILL. Every failure must
 * answer in the endpoint's own format (OpenAI for /v1/chat/completions, Anthropic for
 * /v1/messages) with the right status and retry-after, and nothing may keep running.
 */
import fs from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  alive,
  anthropicStreamSummary,
  busySessionPids,
  chatBody,
  closedPort,
  expectNoChildren,
  expectSettled,
  health,
  MODEL,
  messagesBody,
  metric,
  openaiStreamSummary,
  post,
  readUntil,
  sleep,
  slowWords,
  sseComments,
} from './fault-kit.js';
import { childClaudePids, clientTexts, MockUpstream, type RunningProxy, startProxy, tempDir, waitFor } from './harness.js';
import type { MockReply } from './mock-upstream.js';

const IDLE_TIMEOUT_MS = 3000;

let upstream: MockUpstream;

beforeAll(async () => {
  upstream = await new MockUpstream().start();
});
afterAll(async () => {
  await upstream?.stop();
});

const clients = (proxy: RunningProxy) => ({
  openai: new OpenAI({ baseURL: proxy.baseURL, apiKey: 'unused', maxRetries: 0 }),
  anthropic: new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 }),
});

/** Calls both endpoints (non-streaming) and returns the raw answers. */
async function bothFormats(proxy: RunningProxy, prompt: string, stream = false) {
  const t0 = Date.now();
  const oa = await post(proxy, '/v1/chat/completions', chatBody(`${prompt} (openai)`, { stream }));
  const oaBody = await oa.text();
  const t1 = Date.now();
  const an = await post(proxy, '/v1/messages', messagesBody(`${prompt} (anthropic)`, { stream }));
  const anBody = await an.text();
  const t2 = Date.now();
  return {
    openai: {
      status: oa.status,
      retryAfter: oa.headers.get('retry-after'),
      body: safeJson(oaBody),
      raw: oaBody,
      ms: t1 - t0,
      type: oa.headers.get('content-type'),
    },
    anthropic: {
      status: an.status,
      retryAfter: an.headers.get('retry-after'),
      body: safeJson(anBody),
      raw: anBody,
      ms: t2 - t1,
      type: an.headers.get('content-type'),
    },
  };
}

const safeJson = (s: string): any => {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
};

describe('upstream errors reported by the CLI', () => {
  let proxy: RunningProxy;
  let sdk: ReturnType<typeof clients>;

  beforeAll(async () => {
    proxy = await startProxy({ upstream, args: ['--idle-timeout-ms', String(IDLE_TIMEOUT_MS)] });
    sdk = clients(proxy);
  });
  afterEach(async () => {
    upstream.reset();
    // A failed turn retires its CLI process: nothing may be left for these requests.
    await expectSettled(proxy, { sessions: 0 });
  });
  afterAll(async () => {
    const pid = proxy.child.pid!;
    expect(await proxy.stop()).toBe(0);
    await expectNoChildren(pid);
  });

  it('401 → 401 authentication error in both formats, fast', async () => {
    upstream.setResponder(() => ({ kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' }));
    const t0 = Date.now();
    const oe = await sdk.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi 401' }] }).catch((x) => x);
    expect(oe).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(oe.status).toBe(401);
    expect(oe.error?.type ?? oe.type).toBe('authentication_error');
    const ae = await sdk.anthropic.messages.create({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'hi 401' }] }).catch((x) => x);
    expect(ae).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(ae.status).toBe(401);
    expect(ae.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('429 with a short retry-after that persists → 429 with retry-after in both formats', async () => {
    upstream.setResponder(() => ({ kind: 'error', status: 429, type: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '1' } }));
    const r = await bothFormats(proxy, 'always limited');
    expect(r.openai.status).toBe(429);
    expect(r.openai.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(Number(r.openai.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(r.anthropic.status).toBe(429);
    expect(r.anthropic.body).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(Number(r.anthropic.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(r.openai.ms).toBeLessThan(30_000);
    expect(r.anthropic.ms).toBeLessThan(30_000);
  }, 90_000);

  it('429 with a long retry-after → 429 at once with that retry-after (streaming too: a real status, not a 200 stream)', async () => {
    upstream.setResponder(() => ({
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      message: 'Number of requests has exceeded your rate limit',
      headers: { 'retry-after': '40' },
    }));
    for (const stream of [false, true]) {
      const r = await bothFormats(proxy, `long wait ${stream}`, stream);
      for (const [name, a] of Object.entries(r)) {
        expect(a.status, name).toBe(429);
        expect(Number(a.retryAfter), name).toBeGreaterThanOrEqual(30);
        expect(a.type, name).toMatch(/application\/json/);
        expect(a.ms, name).toBeLessThan(15_000);
      }
      expect(r.openai.body.error.type).toBe('rate_limit_error');
      expect(r.anthropic.body).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    }
    // The SDKs see it as their rate-limit error with the header.
    const ae = await sdk.anthropic.messages.create({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'sdk long wait' }] }).catch((x) => x);
    expect(ae).toBeInstanceOf(Anthropic.RateLimitError);
    expect(Number(ae.headers.get('retry-after'))).toBeGreaterThanOrEqual(30);
    const oe = await sdk.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'sdk long wait' }] }).catch((x) => x);
    expect(oe).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Number(oe.headers.get('retry-after'))).toBeGreaterThanOrEqual(30);
  }, 90_000);

  it('529 overloaded → 503 (OpenAI) and 529 overloaded_error (Anthropic)', async () => {
    upstream.setResponder(() => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }));
    const r = await bothFormats(proxy, 'overloaded');
    expect(r.openai.status).toBe(503);
    expect(r.openai.body.error).toMatchObject({ type: 'service_unavailable' });
    expect(r.anthropic.status).toBe(529);
    expect(r.anthropic.body).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    // The CLI's last back-off is passed on as retry-after.
    expect(Number(r.openai.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(r.anthropic.retryAfter)).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('500 → 502 server error in both formats', async () => {
    upstream.setResponder(() => ({ kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' }));
    const r = await bothFormats(proxy, 'server error');
    expect(r.openai.status).toBe(502);
    expect(r.openai.body.error).toMatchObject({ type: 'server_error' });
    expect(r.openai.body.error.message).toMatch(/500/);
    expect(r.anthropic.status).toBe(502);
    expect(r.anthropic.body).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(r.openai.ms).toBeLessThan(30_000);
  }, 90_000);

  it('a stalled stream is stopped by the watchdog: 504 before output, an error event in the format mid-stream', async () => {
    const stopsBefore = await metric(proxy, 'maxproxy_watchdog_stops_total');
    upstream.setResponder(() => ({ kind: 'stall' }));
    const before = await bothFormats(proxy, 'stall before output');
    expect(before.openai.status).toBe(504);
    expect(before.openai.body.error).toMatchObject({ type: 'timeout', code: 'inactivity_timeout' });
    expect(before.anthropic.status).toBe(504);
    expect(before.anthropic.body).toMatchObject({ type: 'error', error: { type: 'timeout_error' } });
    for (const a of Object.values(before)) expect(a.ms).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 500);
    await expectSettled(proxy, { sessions: 0 });

    upstream.setResponder(() => ({ kind: 'stall', afterText: 'partial answer' }));
    const mid = await bothFormats(proxy, 'stall mid-stream', true);
    expect(mid.openai.status).toBe(200);
    const o = openaiStreamSummary(mid.openai.raw);
    expect(o.text).toBe('partial answer');
    expect(o.error).toMatchObject({ type: 'timeout', code: 'inactivity_timeout' });
    expect(o.done).toBe(false);
    expect(mid.anthropic.status).toBe(200);
    const a = anthropicStreamSummary(mid.anthropic.raw);
    expect(a.text).toBe('partial answer');
    expect(a.error).toMatchObject({ type: 'timeout_error' });
    expect(a.stopped).toBe(false);
    expect(a.events.at(-1)).toBe('error');
    // Four turns stopped by the watchdog (two formats, before and during output), each counted once.
    expect((await metric(proxy, 'maxproxy_watchdog_stops_total')) - stopsBefore).toBe(4);
  }, 90_000);

  it('an upstream stream that breaks with an error event and stays broken → the partial text, then an error event in the format', async () => {
    // Streaming attempts break mid-answer; the CLI's non-streaming fallback is refused as overloaded.
    upstream.setResponder((req) =>
      req.body?.stream
        ? { kind: 'stream-error', afterText: 'partial ', type: 'overloaded_error', message: 'Overloaded' }
        : { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
    );
    const r = await bothFormats(proxy, 'broken stream', true);
    expect(r.openai.status).toBe(200);
    const o = openaiStreamSummary(r.openai.raw);
    expect(o.text).toBe('partial ');
    // The CLI's last word is the fallback's 529: an overload in each format's own terms.
    expect(o.error).toMatchObject({ type: 'service_unavailable', code: 'overloaded', message: expect.stringMatching(/529 Overloaded/) });
    expect(o.done).toBe(false);
    const a = anthropicStreamSummary(r.anthropic.raw);
    expect(a.text).toBe('partial ');
    expect(a.error).toMatchObject({ type: 'overloaded_error', message: expect.stringMatching(/529 Overloaded/) });
    expect(a.stopped).toBe(false);
    // Upstream saw, per conversation, the streaming attempt first, then the non-streaming fallback.
    const bySession = new Map<string, typeof upstream.messageRequests>();
    for (const q of upstream.messageRequests) {
      const id = String(q.headers['x-claude-code-session-id']);
      bySession.set(id, [...(bySession.get(id) ?? []), q]);
    }
    expect(bySession.size).toBe(2);
    for (const reqs of bySession.values()) {
      expect(reqs[0].body.stream).toBe(true);
      expect(reqs.slice(1).length).toBeGreaterThanOrEqual(1);
      expect(reqs.slice(1).every((q) => !q.body.stream)).toBe(true);
    }
  }, 90_000);
});

describe('an upstream stream that breaks once and recovers', () => {
  let proxy: RunningProxy;
  beforeAll(async () => {
    proxy = await startProxy({ upstream, args: ['--idle-timeout-ms', String(IDLE_TIMEOUT_MS)] });
  });
  afterEach(async () => {
    upstream.reset();
    await expectSettled(proxy);
  });
  afterAll(async () => {
    const pid = proxy.child.pid!;
    expect(await proxy.stop()).toBe(0);
    await expectNoChildren(pid);
  });

  it('429 with a short retry-after: the CLI waits and retries, the streaming client keeps getting keep-alives and the answer', async () => {
    const r429: MockReply = { kind: 'error', status: 429, type: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '1' } };
    upstream.enqueue(r429);
    const res = await post(proxy, '/v1/chat/completions', chatBody('short wait please', { stream: true }));
    expect(res.status).toBe(200);
    const raw = await res.text();
    const s = openaiStreamSummary(raw);
    expect(s.text).toBe('echo: short wait please');
    expect(s.done).toBe(true);
    expect(sseComments(raw).some((c) => /429/.test(c))).toBe(true);
    expect(upstream.messageRequests).toHaveLength(2);

    upstream.enqueue(r429);
    const msg = await clients(proxy).anthropic.messages.create({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'short wait too' }] });
    expect(msg.content).toEqual([{ type: 'text', text: 'echo: short wait too' }]);
  }, 60_000);

  // The CLI (2.1.330) answers an SSE error mid-stream by retrying WITHOUT streaming; the
  // retry's answer arrives only as an `assistant` message (no stream_event deltas). The
  // client must still get that answer, in either format.
  it.each([
    ['/v1/chat/completions', 'openai'],
    ['/v1/messages', 'anthropic'],
  ])('%s streams the answer of the CLI non-streaming retry', async (route, format) => {
    upstream.enqueue({ kind: 'stream-error', afterText: 'partial ', type: 'overloaded_error', message: 'Overloaded' });
    const prompt = `recover ${format}`;
    const res = await post(proxy, route, format === 'openai' ? chatBody(prompt, { stream: true }) : messagesBody(prompt, { stream: true }));
    expect(res.status).toBe(200);
    const raw = await res.text();
    expect(upstream.messageRequests.map((r) => r.body.stream)).toEqual([true, false]);
    const s = format === 'openai' ? openaiStreamSummary(raw) : anthropicStreamSummary(raw);
    expect(s.error).toBeUndefined();
    expect(s.text).toContain(`echo: ${prompt}`);
  });
});

describe('a dead upstream (connection refused)', () => {
  it('answers 502 in both formats within seconds and leaves nothing running', async () => {
    const port = await closedPort();
    const proxy = await startProxy({ claudeEnv: { ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` } });
    const pid = proxy.child.pid!;
    try {
      const r = await bothFormats(proxy, 'anyone there');
      expect(r.openai.status).toBe(502);
      expect(r.openai.body.error).toMatchObject({ type: 'server_error' });
      expect(r.openai.body.error.message).toMatch(/connect|ECONNREFUSED|connection/i);
      expect(r.anthropic.status).toBe(502);
      expect(r.anthropic.body).toMatchObject({ type: 'error', error: { type: 'api_error' } });
      expect(r.openai.ms).toBeLessThan(15_000);
      expect(r.anthropic.ms).toBeLessThan(15_000);
      await expectSettled(proxy, { sessions: 0 });
    } finally {
      expect(await proxy.stop()).toBe(0);
      await expectNoChildren(pid);
    }
  }, 60_000);
});

describe('the CLI child killed mid-stream', () => {
  let proxy: RunningProxy;
  let sdk: ReturnType<typeof clients>;
  beforeAll(async () => {
    proxy = await startProxy({ upstream });
    sdk = clients(proxy);
  });
  afterAll(async () => {
    const pid = proxy.child.pid!;
    expect(await proxy.stop()).toBe(0);
    await expectNoChildren(pid);
  });
  afterEach(() => upstream.reset());

  it('OpenAI: the stream ends with an error chunk (no [DONE]); the daemon keeps serving and a retry works', async () => {
    const crashesBefore = await metric(proxy, 'maxproxy_cli_crashes_total');
    upstream.enqueue(slowWords(40, 100));
    const res = await post(proxy, '/v1/chat/completions', chatBody('kill me', { stream: true }));
    const part = await readUntil(res, (t) => t.includes('w1 '));
    const kids = await busySessionPids(proxy);
    expect(kids).toHaveLength(1);
    process.kill(kids[0], 'SIGKILL');
    const raw = await part.rest();
    const s = openaiStreamSummary(raw);
    expect(s.text.startsWith('w0 w1 ')).toBe(true);
    expect(s.text).not.toContain('w39');
    expect(s.error).toMatchObject({ type: 'server_error' });
    expect(s.error.message).toMatch(/exited/);
    expect(s.done).toBe(false);
    await waitFor(() => !alive(kids[0]), 5_000);
    await expectSettled(proxy, { sessions: 0 });
    expect((await metric(proxy, 'maxproxy_cli_crashes_total')) - crashesBefore).toBe(1);

    const retry = await sdk.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'kill me' }] });
    expect(retry.choices[0].message.content).toBe('echo: kill me');
    await expectSettled(proxy, { sessions: 1 });
  });

  it('Anthropic: the SDK stream throws the error event; a retry works', async () => {
    upstream.enqueue(slowWords(40, 100));
    const stream = await sdk.anthropic.messages.create({ model: MODEL, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'kill me too' }] });
    let text = '';
    let killed = false;
    const err = await (async () => {
      for await (const ev of stream) {
        if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
        if (!killed && text.includes('w1 ')) {
          const serving = await busySessionPids(proxy);
          expect(serving).toHaveLength(1);
          process.kill(serving[0], 'SIGKILL');
          killed = true;
        }
      }
      return undefined;
    })().catch((e) => e);
    expect(killed).toBe(true);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err.type ?? err.error?.error?.type).toBe('api_error');
    expect(String(err.message)).toMatch(/exited/);
    expect(text).not.toContain('w39');

    const retry = await sdk.anthropic.messages.create({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'kill me too' }] });
    expect(retry.content).toEqual([{ type: 'text', text: 'echo: kill me too' }]);
    await expectSettled(proxy);
  });
});

describe('clients that leave', () => {
  let proxy: RunningProxy;
  beforeAll(async () => {
    proxy = await startProxy({ upstream, args: ['--max-concurrent', '1', '--max-queue', '4'] });
  });
  afterAll(async () => {
    const pid = proxy.child.pid!;
    expect(await proxy.stop()).toBe(0);
    await expectNoChildren(pid);
  });
  afterEach(() => upstream.reset());

  it.each([
    ['/v1/chat/completions', true],
    ['/v1/chat/completions', false],
    ['/v1/messages', true],
    ['/v1/messages', false],
  ])('%s (stream=%s): a client that disconnects mid-answer has its CLI process ended within seconds', async (route, stream) => {
    upstream.enqueue(slowWords(60, 100));
    const ctrl = new AbortController();
    const prompt = `leave ${route} ${stream}`;
    const pending = post(proxy, route, route === '/v1/messages' ? messagesBody(prompt, { stream }) : chatBody(prompt, { stream }), { signal: ctrl.signal });
    if (stream) {
      const res = await pending;
      await readUntil(res, (t) => t.includes('w2 '));
    } else {
      pending.catch(() => undefined);
      // Wait until the mock is streaming the answer to the CLI.
      await waitFor(() => upstream.messageRequests.length === 1, 20_000);
      await sleep(500);
    }
    const serving = await busySessionPids(proxy);
    expect(serving).toHaveLength(1);
    const t0 = Date.now();
    ctrl.abort();
    await waitFor(() => !alive(serving[0]), 5_000);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await expectSettled(proxy);
    // The answer of the departed client was not finished upstream either way; the next request is served.
    const next = await post(proxy, '/v1/chat/completions', chatBody(`after ${prompt}`));
    expect(next.status).toBe(200);
    await expectSettled(proxy);
  });

  it('a queued request whose client leaves is taken out of the queue and never reaches upstream', async () => {
    upstream.setResponder((req) => {
      const t = JSON.stringify(req.body.messages);
      return t.includes('first in line') ? slowWords(80, 100) : { blocks: [{ type: 'text', text: 'ok' }] };
    });
    const first = new AbortController();
    const firstRes = await post(proxy, '/v1/messages', messagesBody('first in line', { stream: true }), { signal: first.signal });
    await readUntil(firstRes, (t) => t.includes('w1 '));

    const waiting = new AbortController();
    const queued = post(proxy, '/v1/chat/completions', chatBody('second in line', { stream: true }), { signal: waiting.signal }).catch((e) => e);
    await waitFor(async () => (await health(proxy)).requests.queued === 1, 10_000);
    const h = await health(proxy);
    expect(h.requests).toMatchObject({ active: 1, queued: 1 });
    expect(h.requests.oldestQueuedMs).toBeGreaterThanOrEqual(0);

    waiting.abort();
    await waitFor(async () => (await health(proxy)).requests.queued === 0, 5_000);
    expect((await queued).name).toBe('AbortError');
    expect((await health(proxy)).requests.active).toBe(1);

    // The running one goes too: its CLI process ends within seconds.
    const serving = await busySessionPids(proxy);
    expect(serving).toHaveLength(1);
    first.abort();
    await waitFor(() => !alive(serving[0]), 5_000);
    await expectSettled(proxy);
    expect(upstream.messageRequests.some((r) => JSON.stringify(r.body.messages).includes('second in line'))).toBe(false);

    // The slot was released: the cap is free again.
    const next = await post(proxy, '/v1/chat/completions', chatBody('third in line'));
    expect((await next.json()).choices[0].message.content).toBe('ok');
  }, 60_000);
});

describe('the daemon itself killed with SIGKILL', () => {
  it('a restart on the same data dir reaps the orphaned CLI processes and the conversation continues', async () => {
    const dataDir = tempDir();
    // The CLIs are normally tied to the daemon's life (they die with it); without that tie,
    // as on a platform that has none, the reaper is what cleans up after a crash.
    let proxy = await startProxy({ upstream, dataDir, env: { MAXPROXY_PARENT_DEATH: 'none' } });
    const firstPid = proxy.child.pid!;
    const oa = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'x', maxRetries: 0 });
    const a1 = (await oa.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'remember 42' }] })).choices[0].message.content!;
    expect(a1).toBe('echo: remember 42');
    const session1 = upstream.messageRequests.at(-1)!.headers['x-claude-code-session-id'];
    // The session map is written in the background shortly after each turn: wait until it holds
    // this conversation, so the SIGKILL below cannot race the write (then a resume is certain).
    const mapFile = path.join(dataDir, 'sessions.json');
    await waitFor(() => {
      try {
        return JSON.parse(fs.readFileSync(mapFile, 'utf8')).sessions.some((s: { cliSessionId: string }) => s.cliSessionId === session1);
      } catch {
        return false;
      }
    }, 20_000);

    // A turn that never ends upstream: its CLI process would outlive the daemon.
    upstream.setResponder(() => ({ kind: 'stall', afterText: 'thinking' }));
    const hung = post(proxy, '/v1/chat/completions', chatBody('hang forever', { stream: true }))
      .then((r) => r.text())
      .catch((e) => e);
    await waitFor(() => upstream.messageRequests.some((r) => JSON.stringify(r.body.messages).includes('hang forever')), 20_000);
    const kids = childClaudePids(firstPid);
    // The idle session, the stalled one, and any warm spare.
    expect(kids.length).toBeGreaterThanOrEqual(2);
    const recorded = fs.readdirSync(path.join(dataDir, 'pids')).map(Number).sort();
    expect(recorded).toEqual([...kids].sort());

    proxy.child.kill('SIGKILL');
    await waitFor(() => proxy.child.exitCode !== null || proxy.child.signalCode !== null, 5_000);
    await hung;
    await sleep(1000);
    const orphans = kids.filter(alive);
    // At least the stalled one survives its parent: that is what the restart must clean up.
    expect(orphans.length).toBeGreaterThanOrEqual(1);
    upstream.reset();

    proxy = await startProxy({ upstream, dataDir });
    try {
      await waitFor(() => orphans.every((p) => !alive(p)), 5_000);
      expect(proxy.output()).toMatch(/reaped Claude Code processes left by an earlier run/);
      expect(
        fs
          .readdirSync(path.join(dataDir, 'pids'))
          .map(Number)
          .filter((p) => kids.includes(p)),
      ).toEqual([]);

      const oa2 = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'x', maxRetries: 0 });
      const r = await oa2.chat.completions.create({
        model: MODEL,
        messages: [
          { role: 'user', content: 'remember 42' },
          { role: 'assistant', content: a1 },
          { role: 'user', content: 'which number?' },
        ],
      });
      expect(r.choices[0].message.content).toBe('echo: which number?');
      const last = upstream.messageRequests.at(-1)!;
      expect(last.body.messages.flatMap((m: any) => clientTexts(m.content))).toEqual(['remember 42', a1, 'which number?']);
      // Resumed from the crashed run's own session (the map was on disk before the SIGKILL), not rebuilt.
      expect(last.headers['x-claude-code-session-id']).toBe(session1);
      await expectSettled(proxy, { sessions: 1 });
    } finally {
      const pid = proxy.child.pid!;
      expect(await proxy.stop()).toBe(0);
      await expectNoChildren(pid);
    }
  }, 90_000);
});
