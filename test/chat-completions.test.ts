/**
 * OpenAI Chat Completions through the real Claude Code CLI, driven by the official
 * `openai` client, against the recording mock upstream.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readModelFloors } from '../src/engine/model-floors.js';
import { clientTexts, MockUpstream, type RunningProxy, startProxy, systemText } from './harness.js';
import { expectVersionTooOld, NEWER_CLI_MODEL, refuseAsVersionTooOld } from './proxy-suite.js';

let upstream: MockUpstream;
let proxy: RunningProxy;
let client: OpenAI;

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({ upstream, args: ['--idle-timeout-ms', '4000'] });
  client = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

beforeEach(() => upstream.reset());

describe('chat completions (non-streaming)', () => {
  it('answers with the upstream text and real usage, and sends the client system prompt without tools', async () => {
    upstream.enqueue({
      blocks: [{ type: 'text', text: ['Hel', 'lo ', 'there'] }],
      usage: { input_tokens: 21, output_tokens: 9, cache_read_input_tokens: 5, cache_creation_input_tokens: 3 },
    });
    const r = await client.chat.completions.create({
      model: 'claude-sonnet-4-6',
      messages: [
        { role: 'system', content: 'You are a pirate.' },
        { role: 'developer', content: 'Answer briefly.' },
        { role: 'user', content: 'Say hello' },
      ],
    });
    expect(r.choices[0].message.content).toBe('Hello there');
    expect(r.choices[0].finish_reason).toBe('stop');
    expect(r.model).toBe('claude-sonnet-4-6');
    expect(r.usage).toMatchObject({ prompt_tokens: 29, completion_tokens: 9, total_tokens: 38, prompt_tokens_details: { cached_tokens: 5 } });

    const up = upstream.messageRequests;
    expect(up).toHaveLength(1);
    const body = up[0].body;
    expect(body.model).toBe('claude-sonnet-4-6');
    expect(body.tools).toEqual([]);
    expect(systemText(body)).toContain('You are a pirate.\n\nAnswer briefly.');
    expect(body.messages).toHaveLength(1);
    expect(body.messages[0].role).toBe('user');
    expect(clientTexts(body.messages[0].content)).toEqual(['Say hello']);
    // The CLI's own attribution stays as it is.
    expect(systemText(body)).toContain('x-anthropic-billing-header');
    expect(up[0].headers['user-agent']).toMatch(/^claude-cli\//);
  });

  it('sends image_url parts upstream as image blocks', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    await client.chat.completions.create({
      model: 'sonnet',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${png}`, detail: 'high' } },
          ],
        },
      ],
    });
    const content = upstream.messageRequests[0].body.messages[0].content as any[];
    const img = content.find((b) => b.type === 'image');
    expect(img).toBeDefined();
    expect(img.source.type).toBe('base64');
    expect(img.source.media_type).toMatch(/^image\//);
    expect(clientTexts(content)).toContain('What is this?');
  });

  it('carries a 300 KB prompt on stdin, not the command line', async () => {
    const big = 'x'.repeat(300 * 1024);
    const r = await client.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: big }] });
    expect(r.choices[0].message.content).toContain('echo: xxx');
    expect(clientTexts(upstream.messageRequests[0].body.messages[0].content).join('').length).toBe(big.length);
  });

  it('refuses an unknown model with 404 model_not_found and never calls upstream', async () => {
    const e = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect(e.code).toBe('model_not_found');
    expect(upstream.requests).toHaveLength(0);
  });

  it('names the offending field of a malformed request', async () => {
    const e = await client.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'wizard', content: 'hi' } as never] }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect(String(e.param ?? e.message)).toMatch(/messages/);
  });
});

describe('chat completions (streaming)', () => {
  it('streams deltas with role first, index on every chunk, usage chunk and one [DONE]', async () => {
    upstream.enqueue({ blocks: [{ type: 'text', text: ['one ', 'two ', 'three'] }], usage: { input_tokens: 12, output_tokens: 4 } });
    const res = await fetch(`${proxy.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-6',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'count' }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const raw = await res.text();
    const datas = raw
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6));
    expect(datas.filter((d) => d === '[DONE]')).toHaveLength(1);
    expect(datas[datas.length - 1]).toBe('[DONE]');
    const chunks = datas.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    for (const c of chunks) {
      expect(c.object).toBe('chat.completion.chunk');
      expect(c.id).toBe(chunks[0].id);
      expect(typeof c.created).toBe('number');
      expect(c.model).toBe('claude-sonnet-4-6');
      for (const ch of c.choices) expect(ch.index).toBe(0);
    }
    const text = chunks.flatMap((c) => c.choices.map((ch: any) => ch.delta?.content ?? '')).join('');
    expect(text).toBe('one two three');
    const finish = chunks.flatMap((c) => c.choices.map((ch: any) => ch.finish_reason)).filter(Boolean);
    expect(finish).toEqual(['stop']);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 });
  });

  it('works with the SDK stream helper and puts thinking in reasoning_content', async () => {
    upstream.enqueue({
      blocks: [
        { type: 'thinking', thinking: ['let me ', 'think'] },
        { type: 'text', text: ['4', '2'] },
      ],
    });
    const stream = client.chat.completions.stream({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'answer' }],
      stream_options: { include_usage: true },
    });
    let reasoning = '';
    stream.on('chunk', (c) => {
      reasoning += (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0].message.content).toBe('42');
    expect(reasoning).toBe('let me think');
  });
});

describe('conversations', () => {
  it('continues a live session: the new message goes to the same CLI process, which keeps the history', async () => {
    const sys = { role: 'system' as const, content: 'You remember things.' };
    const first = await client.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [sys, { role: 'user', content: 'My name is Ada.' }] });
    const answer1 = first.choices[0].message.content!;
    const second = await client.chat.completions.create({
      model: 'claude-sonnet-4-6',
      messages: [sys, { role: 'user', content: 'My name is Ada.' }, { role: 'assistant', content: answer1 }, { role: 'user', content: 'What is my name?' }],
    });
    expect(second.choices[0].message.content).toBe('echo: What is my name?');
    const [u1, u2] = upstream.messageRequests;
    // Same CLI session (one process kept the conversation).
    expect(u2.headers['x-claude-code-session-id']).toBe(u1.headers['x-claude-code-session-id']);
    const roles = u2.body.messages.map((m: any) => m.role);
    expect(roles).toEqual(['user', 'assistant', 'user']);
    expect(clientTexts(u2.body.messages[0].content)).toEqual(['My name is Ada.']);
    expect(clientTexts(u2.body.messages[1].content)).toEqual([answer1]);
    expect(clientTexts(u2.body.messages[2].content)).toEqual(['What is my name?']);
    expect(systemText(u2.body)).toContain('You remember things.');
  });

  it('rebuilds an unknown history as real role-alternating messages', async () => {
    const r = await client.chat.completions.create({
      model: 'claude-sonnet-4-6',
      messages: [
        { role: 'system', content: 'Be kind.' },
        { role: 'user', content: 'I like tea.' },
        { role: 'assistant', content: 'Tea is lovely.' },
        { role: 'user', content: 'And coffee?' },
        { role: 'user', content: 'Also cake.' },
        { role: 'assistant', content: 'Both fine.' },
        { role: 'user', content: 'Summarise.' },
      ],
    });
    expect(r.choices[0].message.content).toBe('echo: Summarise.');
    const body = upstream.messageRequests[0].body;
    expect(body.messages.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(clientTexts(body.messages[0].content)).toEqual(['I like tea.']);
    expect(clientTexts(body.messages[1].content)).toEqual(['Tea is lovely.']);
    expect(clientTexts(body.messages[2].content)).toEqual(['And coffee?', 'Also cake.']);
    expect(clientTexts(body.messages[3].content)).toEqual(['Both fine.']);
    expect(clientTexts(body.messages[4].content)).toEqual(['Summarise.']);
    expect(systemText(body)).toContain('Be kind.');
  });

  it('sends a 2-turn follow-up with only the new message added (no flattened transcript)', async () => {
    const h1 = [{ role: 'user' as const, content: 'alpha' }];
    const a1 = (await client.chat.completions.create({ model: 'claude-sonnet-4-6', messages: h1 })).choices[0].message.content!;
    const h2 = [...h1, { role: 'assistant' as const, content: a1 }, { role: 'user' as const, content: 'beta' }];
    const a2 = (await client.chat.completions.create({ model: 'claude-sonnet-4-6', messages: h2 })).choices[0].message.content!;
    await client.chat.completions.create({
      model: 'claude-sonnet-4-6',
      messages: [...h2, { role: 'assistant', content: a2 }, { role: 'user', content: 'gamma' }],
    });
    const last = upstream.messageRequests[2].body.messages;
    expect(last.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(last.flatMap((m: any) => clientTexts(m.content))).toEqual(['alpha', a1, 'beta', a2, 'gamma']);
    const ids = new Set(upstream.messageRequests.map((r) => r.headers['x-claude-code-session-id']));
    expect(ids.size).toBe(1);
  });
});

describe('errors', () => {
  it('maps an upstream 401 to 401 within seconds', async () => {
    upstream.setResponder(() => ({ kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' }));
    const t0 = Date.now();
    const e = await client.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('maps a 429 with a long retry-after to 429 with retry-after, without holding the client', async () => {
    upstream.setResponder(() => ({
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      message: 'Number of requests has exceeded your rate limit',
      headers: { 'retry-after': '40' },
    }));
    const res = await fetch(`${proxy.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(30);
    const body = await res.json();
    expect(body.error.type).toBe('rate_limit_error');
  });

  it('maps upstream overload (529) to 503', async () => {
    upstream.setResponder(() => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }));
    const e = await client.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] }).catch((x) => x);
    expect(e.status).toBe(503);
  });

  it('maps a model the upstream does not know to 404', async () => {
    upstream.setResponder(() => ({ kind: 'error', status: 404, type: 'not_found_error', message: 'model: claude-opus-9-9' }));
    const e = await client.chat.completions.create({ model: NEWER_CLI_MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect(upstream.messageRequests[0].body.model).toBe('claude-opus-9-9');
  });

  it('a model that needs a newer Claude Code: 400 invalid_request_error naming the model, the CLI version and how to upgrade', async () => {
    refuseAsVersionTooOld(upstream);
    const e = await client.chat.completions.create({ model: NEWER_CLI_MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect(e.error).toMatchObject({ type: 'invalid_request_error', code: 'claude_code_version_too_old', param: 'model' });
    expectVersionTooOld(e.error.message, upstream);
    // The tray and /health warn about it, and the floor is kept for doctor and for after a restart.
    const health = (await (await fetch(`${proxy.url}/health`)).json()) as { warnings: Array<{ id: string; message: string }> };
    expect(health.warnings).toContainEqual(
      expect.objectContaining({
        id: `model-floor:${NEWER_CLI_MODEL}`,
        message: expect.stringContaining('needs Claude Code 2.2.0 or newer (maxproxy runs 2.1.330)'),
      }),
    );
    expect(readModelFloors(proxy.dataDir)).toEqual([expect.objectContaining({ model: NEWER_CLI_MODEL, required: '2.2.0', cliVersion: '2.1.330' })]);
  });

  it('maps billing ("credit balance") to 402', async () => {
    upstream.setResponder(() => ({
      kind: 'error',
      status: 400,
      type: 'invalid_request_error',
      message: 'Your credit balance is too low to access the Anthropic API.',
    }));
    const e = await client.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] }).catch((x) => x);
    expect(e.status).toBe(402);
  });

  it('stops a stalled turn with the inactivity watchdog: 504 before output, error chunk mid-stream', async () => {
    upstream.setResponder(() => ({ kind: 'stall' }));
    const e = await client.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] }).catch((x) => x);
    expect(e.status).toBe(504);

    upstream.setResponder(() => ({ kind: 'stall', afterText: 'partial answer' }));
    const res = await fetch(`${proxy.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', stream: true, messages: [{ role: 'user', content: 'hi again' }] }),
    });
    expect(res.status).toBe(200);
    const raw = await res.text();
    expect(raw).toContain('partial answer');
    expect(raw).toMatch(/"error":\{/);
    expect(raw).not.toContain('[DONE]');
  });
});
