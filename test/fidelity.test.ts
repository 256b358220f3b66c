/**
 * Conversation fidelity through the real Claude Code CLI against the recording mock: the
 * upstream sees the client's conversation and settings, never a summary; overflow comes
 * back as each API's own error; what cannot be honoured is reported.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MockUpstream, type RunningProxy, sleep, startProxy, waitFor } from './harness.js';
import { conversationTurns, type RecordedRequest } from './mock-upstream.js';

let upstream: MockUpstream;
let proxy: RunningProxy;
let openai: OpenAI;
let anthropic: Anthropic;
let startupRequests: RecordedRequest[] = [];

const TOO_LONG = 'prompt is too long: 212345 tokens > 200000 maximum';
const overflow = { kind: 'error' as const, status: 400, type: 'invalid_request_error', message: TOO_LONG };
/** What the CLI's summarisation request asks for (compaction); must never reach the upstream. */
const isSummary = (r: RecordedRequest) => JSON.stringify(r.body).includes('Respond with TEXT ONLY');

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({
    upstream,
    args: ['--idle-timeout-ms', '20000'],
    // A user's setting that would make the CLI compact almost at once: maxproxy must win.
    claudeEnv: { CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: '5' },
  });
  openai = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'unused', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
  // The model list is read from the CLI on first need (a slow start answers with the aliases meanwhile).
  await waitFor(async () => (await fetch(`${proxy.baseURL}/models`).then((r) => r.json())).data.length > 3, 100_000, 1000);
  startupRequests = [...upstream.requests];
}, 180_000);

afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

beforeEach(() => upstream.reset());

const post = async (route: string, body: unknown) => {
  const r = await fetch(`${proxy.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer unused', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: text.startsWith('{') ? JSON.parse(text) : undefined };
};

type Msg = { role: 'user' | 'assistant'; content: string };
/** The mock echoes the last user text: the history a client re-sends after each answer. */
const answered = (history: Msg[], user: string): Msg[] => [...history, { role: 'user', content: user }, { role: 'assistant', content: `echo: ${user}` }];

describe('no rewriting of the history: an overflowing turn is the API’s own error, with one upstream request', () => {
  const expectOneRequestNoSummary = async (before: number) => {
    // Give a compaction that should not happen the time to show itself.
    await sleep(1500);
    expect(upstream.messageRequests.length - before).toBe(1);
    expect(upstream.messageRequests.some(isSummary)).toBe(false);
  };

  it('Chat Completions: 400 context_length_exceeded with the upstream words', async () => {
    const sys = { role: 'system' as const, content: 'overflow chat' };
    let h: Msg[] = [];
    await openai.chat.completions.create({ model: 'sonnet', messages: [sys, ...h, { role: 'user', content: 'c1' }] });
    h = answered(h, 'c1');
    await openai.chat.completions.create({ model: 'sonnet', messages: [sys, ...h, { role: 'user', content: 'c2' }] });
    h = answered(h, 'c2');
    const before = upstream.messageRequests.length;
    upstream.enqueue(overflow);
    const r = await post('/v1/chat/completions', { model: 'sonnet', messages: [sys, ...h, { role: 'user', content: 'c3' }] });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: 'invalid_request_error', code: 'context_length_exceeded', message: TOO_LONG });
    // The failed request carried the client's whole conversation, as it was.
    expect(conversationTurns(upstream.messageRequests.at(-1)!.body).filter((m: any) => m.role !== 'system')).toHaveLength(5);
    await expectOneRequestNoSummary(before);
  });

  it('Responses (streaming, as Codex asks): 400 with code context_length_exceeded', async () => {
    const input = (h: Msg[], text: string) => [...h.map((m) => ({ role: m.role, content: m.content })), { role: 'user', content: text }];
    let h: Msg[] = [];
    await openai.responses.create({ model: 'sonnet', instructions: 'overflow responses', input: input(h, 'r1') as never });
    h = answered(h, 'r1');
    await openai.responses.create({ model: 'sonnet', instructions: 'overflow responses', input: input(h, 'r2') as never });
    h = answered(h, 'r2');
    const before = upstream.messageRequests.length;
    upstream.enqueue(overflow);
    const r = await post('/v1/responses', { model: 'sonnet', instructions: 'overflow responses', input: input(h, 'r3'), stream: true });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'context_length_exceeded', message: TOO_LONG });
    await expectOneRequestNoSummary(before);
  });

  it('Anthropic Messages: 400 invalid_request_error with the upstream words', async () => {
    let h: Msg[] = [];
    await anthropic.messages.create({ model: 'sonnet', max_tokens: 1000, system: 'overflow messages', messages: [...h, { role: 'user', content: 'a1' }] });
    h = answered(h, 'a1');
    await anthropic.messages.create({ model: 'sonnet', max_tokens: 1000, system: 'overflow messages', messages: [...h, { role: 'user', content: 'a2' }] });
    h = answered(h, 'a2');
    const before = upstream.messageRequests.length;
    upstream.enqueue(overflow);
    const err = await anthropic.messages
      .create({ model: 'sonnet', max_tokens: 1000, system: 'overflow messages', messages: [...h, { role: 'user', content: 'a3' }] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: TOO_LONG } });
    await expectOneRequestNoSummary(before);
  });

  it('no automatic compaction when the context fills up, even with a user override asking for it', async () => {
    const sys = { role: 'system' as const, content: 'autocompact' };
    upstream.enqueue({ blocks: [{ type: 'text', text: 'echo: k1' }], usage: { input_tokens: 190_000, output_tokens: 5 } });
    await openai.chat.completions.create({ model: 'sonnet', messages: [sys, { role: 'user', content: 'k1' }] });
    const before = upstream.messageRequests.length;
    const r = await openai.chat.completions.create({ model: 'sonnet', messages: [sys, ...answered([], 'k1'), { role: 'user', content: 'k2' }] });
    expect(r.choices[0].message.content).toBe('echo: k2');
    await sleep(1000);
    expect(upstream.messageRequests.length - before).toBe(1);
    expect(upstream.messageRequests.some(isSummary)).toBe(false);
    const turns = conversationTurns(upstream.messageRequests.at(-1)!.body);
    expect(turns.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user']);
  });
});

describe("Claude Code's own text in a plain chat", () => {
  it('is limited to what the CLI cannot drop: attribution, identity and its environment message (measured)', async () => {
    await openai.chat.completions.create({ model: 'sonnet', messages: [{ role: 'user', content: 'Hello' }] });
    const req = upstream.messageRequests[0];
    const body = req.body;
    const cliSystem = body.messages.filter((m: any) => m.role === 'system');
    const envText = cliSystem
      .flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
      .map((b: any) => b.text)
      .join('');
    // Measured with 2.1.330: only CLAUDE_CODE_SIMPLE (--bare) removes it, and that refuses the subscription login.
    expect(envText).toContain('# Environment');
    expect(envText).toContain(`Primary working directory: ${proxy.dataDir}/workdir`);
    expect(Buffer.byteLength(envText)).toBeLessThan(1200);
    // Nothing else of Claude Code's: no agent prompt, no skills, CLAUDE.md or tool definitions.
    expect(body.tools).toEqual([]);
    expect(JSON.stringify(body)).not.toMatch(/CLAUDE\.md|skills|You are Claude Code/);
    console.log(`upstream bytes for a one-line prompt: ${req.rawBytes} (environment message text ${Buffer.byteLength(envText)})`);
  });
});

describe("the client's settings reach the upstream, in a first turn and in a continued live session", () => {
  const effortOf = (r: RecordedRequest) => r.body.output_config?.effort;

  it('Chat Completions reasoning_effort (minimal → low, xhigh, none → thinking off) and max_completion_tokens', async () => {
    const sys = { role: 'system' as const, content: 'settings chat' };
    const send = (h: Msg[], text: string, extra: object) =>
      post('/v1/chat/completions', { model: 'sonnet', messages: [sys, ...h, { role: 'user', content: text }], ...extra });
    let h: Msg[] = [];
    await send(h, 's1', { reasoning_effort: 'minimal', max_completion_tokens: 1000 });
    h = answered(h, 's1');
    await send(h, 's2', { reasoning_effort: 'xhigh' });
    h = answered(h, 's2');
    await send(h, 's3', { reasoning_effort: 'high', max_completion_tokens: 2000 });
    h = answered(h, 's3');
    await send(h, 's4', {});
    const up = upstream.messageRequests;
    expect(up).toHaveLength(4);
    expect(up.map(effortOf)).toEqual(['low', 'xhigh', 'high', 'medium']);
    expect(up.map((r) => r.body.max_tokens)).toEqual([1000, 128000, 2000, 128000]);
    // Each turn went to the same live process: the CLI's history grew by one exchange each time.
    expect(up.map((r) => conversationTurns(r.body).length)).toEqual([1, 3, 5, 7]);
  });

  it('Chat Completions reasoning_effort none turns thinking off where the model allows it', async () => {
    const sys = { role: 'system' as const, content: 'thinking chat' };
    const r1 = await post('/v1/chat/completions', { model: 'claude-sonnet-4-6', messages: [sys, { role: 'user', content: 't1' }], reasoning_effort: 'none' });
    expect(r1.status).toBe(200);
    const r2 = await post('/v1/chat/completions', { model: 'claude-sonnet-4-6', messages: [sys, ...answered([], 't1'), { role: 'user', content: 't2' }] });
    expect(r2.status).toBe(200);
    expect(upstream.messageRequests.map((r) => r.body.thinking?.type)).toEqual(['disabled', 'adaptive']);
    // Claude Sonnet 5.5 cannot turn thinking off (the CLI says so): reported, not silently dropped.
    const r3 = await post('/v1/chat/completions', { model: 'sonnet', messages: [{ role: 'user', content: 't3' }], reasoning_effort: 'none' });
    expect(r3.status).toBe(200);
    expect(r3.headers.get('x-maxproxy-ignored')).toBe('reasoning_effort');
  });

  it('Responses reasoning.effort and max_output_tokens', async () => {
    const input = (h: Msg[], text: string) => [...h, { role: 'user', content: text }];
    const send = (h: Msg[], text: string, extra: object) =>
      post('/v1/responses', { model: 'sonnet', instructions: 'settings responses', input: input(h, text), ...extra });
    let h: Msg[] = [];
    await send(h, 'x1', { reasoning: { effort: 'low' }, max_output_tokens: 1500 });
    h = answered(h, 'x1');
    await send(h, 'x2', { reasoning: { effort: 'medium' } });
    h = answered(h, 'x2');
    await send(h, 'x3', { reasoning: { effort: 'xhigh' } });
    const up = upstream.messageRequests;
    expect(up.map(effortOf)).toEqual(['low', 'medium', 'xhigh']);
    expect(up.map((r) => r.body.max_tokens)).toEqual([1500, 128000, 128000]);
    expect(up.map((r) => conversationTurns(r.body).length)).toEqual([1, 3, 5]);
  });

  it('Anthropic output_config.effort, thinking on/off/budget and max_tokens', async () => {
    const send = (h: Msg[], text: string, extra: object) =>
      post('/v1/messages', { model: 'claude-sonnet-4-6', system: 'settings messages', messages: [...h, { role: 'user', content: text }], ...extra });
    let h: Msg[] = [];
    expect((await send(h, 'm1', { max_tokens: 3000, output_config: { effort: 'low' }, thinking: { type: 'disabled' } })).status).toBe(200);
    h = answered(h, 'm1');
    expect((await send(h, 'm2', { max_tokens: 4000, output_config: { effort: 'max' } })).status).toBe(200);
    h = answered(h, 'm2');
    expect((await send(h, 'm3', { max_tokens: 4000, thinking: { type: 'disabled' } })).status).toBe(200);
    const up = upstream.messageRequests;
    expect(up.map(effortOf)).toEqual(['low', 'max', 'high']);
    expect(up.map((r) => r.body.thinking?.type)).toEqual(['disabled', 'adaptive', 'disabled']);
    expect(up.map((r) => r.body.max_tokens)).toEqual([3000, 4000, 4000]);
    expect(up.map((r) => conversationTurns(r.body).length)).toEqual([1, 3, 5]);
    // A thinking budget on a model with budgets (no adaptive thinking).
    upstream.reset();
    expect(
      (
        await post('/v1/messages', {
          model: 'claude-haiku-4-5',
          max_tokens: 8000,
          messages: [{ role: 'user', content: 'b1' }],
          thinking: { type: 'enabled', budget_tokens: 3000 },
        })
      ).status,
    ).toBe(200);
    expect(upstream.messageRequests[0].body.thinking).toMatchObject({ type: 'enabled', budget_tokens: 3000 });
  });
});

describe('what Claude Code cannot honour is reported', () => {
  it('in x-maxproxy-ignored on all three APIs', async () => {
    const chat = await post('/v1/chat/completions', { model: 'sonnet', messages: [{ role: 'user', content: 'i1' }], temperature: 0.2, top_p: 0.9 });
    expect(chat.status).toBe(200);
    expect(chat.headers.get('x-maxproxy-ignored')).toBe('temperature,top_p');
    const resp = await post('/v1/responses', { model: 'sonnet', input: 'i2', temperature: 0.2, top_p: 0.9 });
    expect(resp.status).toBe(200);
    expect(resp.headers.get('x-maxproxy-ignored')).toBe('temperature,top_p');
    const msgs = await post('/v1/messages', {
      model: 'sonnet',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'i3' }],
      temperature: 0.2,
      top_k: 5,
      stop_sequences: ['END'],
    });
    expect(msgs.status).toBe(200);
    expect(msgs.headers.get('x-maxproxy-ignored')).toBe('temperature,top_k,stop_sequences');
    const plain = await post('/v1/chat/completions', { model: 'sonnet', messages: [{ role: 'user', content: 'i4' }] });
    expect(plain.headers.get('x-maxproxy-ignored')).toBeNull();
    // And none of them reached the upstream as a sampling parameter.
    for (const r of upstream.messageRequests) expect(r.body).not.toHaveProperty('temperature');
    expect(proxy.output()).toMatch(/"ignored":\["temperature","top_p"\].*accepted but not honoured/);
  });
});

describe('models', () => {
  it('GET /v1/models offers what the pinned CLI reports, its aliases, and nothing past end of life; listing sent nothing upstream', async () => {
    const ids = (await openai.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['claude-opus-5-5', 'claude-sonnet-5-5', 'claude-haiku-5-5', 'opus', 'sonnet', 'haiku']));
    expect(ids).not.toContain('claude-sonnet-4-5');
    expect(startupRequests.filter((r) => r.path.startsWith('/v1/messages'))).toEqual([]);
  });

  it.each([
    ['claude-opus-4.6', 'claude-opus-4-6'],
    ['claude-sonnet-4.5', 'claude-sonnet-4-5'],
    ['claude-sonnet-5.5', 'claude-sonnet-5-5'],
  ])('dotted %s reaches the upstream as %s', async (name, id) => {
    const r = await openai.chat.completions.create({ model: name, messages: [{ role: 'user', content: 'dots' }] });
    expect(r.model).toBe(name);
    expect(upstream.messageRequests[0].body.model).toBe(id);
  });
});

describe('reasoning out', () => {
  it('Responses streams a reasoning item with its summary text in the documented order, before the message', async () => {
    upstream.enqueue({
      blocks: [
        { type: 'thinking', thinking: ['let ', 'me think'], signature: 'U0lH' },
        { type: 'text', text: 'done' },
      ],
    });
    const r = await post('/v1/responses', { model: 'sonnet', input: 'think', stream: true });
    const types = r.text
      .split('\n')
      .filter((l) => l.startsWith('event: '))
      .map((l) => l.slice(7));
    const reasoning = types.slice(types.indexOf('response.output_item.added'), types.indexOf('response.output_item.done') + 1);
    expect(reasoning).toEqual([
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
    ]);
    expect(r.text).toContain('"text":"let me think"');
    expect(types.at(-1)).toBe('response.completed');
  });
});
