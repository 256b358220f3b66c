/**
 * Anthropic Messages through the real Claude Code CLI, driven by the official
 * `@anthropic-ai/sdk` (and raw fetch for the wire itself), against the recording mock.
 *
 * Auth styles: SDK 1.x sends `Authorization: Bearer` for both `apiKey` and `authToken`
 * (1.12, measured), so the 0.x/OpenClaw style (`x-api-key` + `anthropic-version:
 * 2023-06-01`) is produced with explicit default headers.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientTexts, MockUpstream, type RunningProxy, startProxy, systemText } from './harness.js';
import { conversationTurns, type MockReply, type RecordedRequest } from './mock-upstream.js';
import { expectVersionTooOld, NEWER_CLI_MODEL, refuseAsVersionTooOld } from './proxy-suite.js';

let upstream: MockUpstream;
let proxy: RunningProxy;
/** 0.x / OpenClaw style: x-api-key and the old anthropic-version. */
let xApiKey: Anthropic;
/** 1.x style: Authorization: Bearer, the SDK's own anthropic-version, plus betas. */
let bearer: Anthropic;

const MODEL = 'claude-sonnet-5-5';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({ upstream, args: ['--idle-timeout-ms', '10000'] });
  xApiKey = new Anthropic({
    baseURL: proxy.url,
    apiKey: null,
    maxRetries: 0,
    defaultHeaders: { 'x-api-key': 'sk-ant-openclaw', 'anthropic-version': '2023-06-01' },
  });
  bearer = new Anthropic({
    baseURL: proxy.url,
    authToken: 'sk-ant-oat-token',
    maxRetries: 0,
    defaultHeaders: { 'anthropic-beta': 'interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14' },
  });
});

afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

beforeEach(() => upstream.reset());

interface SseEvent {
  event?: string;
  data: any;
}

/** Parses an SSE body into events (comments dropped); `event` is the `event:` line, if any. */
function parseSse(raw: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const chunk of raw.split('\n\n')) {
    const lines = chunk.split('\n').filter((l) => l !== '' && !l.startsWith(':'));
    if (!lines.length) continue;
    const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
    const data = lines
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6))
      .join('\n');
    out.push({ event, data: data ? JSON.parse(data) : undefined });
  }
  return out;
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${proxy.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(body),
  });

describe('messages.create (non-streaming)', () => {
  for (const style of ['x-api-key', 'bearer'] as const) {
    it(`answers with content, stop_reason and the upstream's usage (${style} auth)`, async () => {
      const client = style === 'x-api-key' ? xApiKey : bearer;
      upstream.enqueue({
        blocks: [{ type: 'text', text: ['Hel', 'lo ', 'there'] }],
        usage: { input_tokens: 21, output_tokens: 9, cache_read_input_tokens: 5, cache_creation_input_tokens: 3 },
      });
      const m = await client.messages.create({ model: MODEL, max_tokens: 1024, messages: [{ role: 'user', content: 'Say hello' }] });
      expect(m.type).toBe('message');
      expect(m.role).toBe('assistant');
      expect(m.id).toMatch(/^msg_/);
      expect(m.model).toBe(MODEL);
      expect(m.content).toEqual([{ type: 'text', text: 'Hello there' }]);
      expect(m.stop_reason).toBe('end_turn');
      expect(m.stop_sequence).toBeNull();
      expect(m.usage).toMatchObject({ input_tokens: 21, output_tokens: 9, cache_read_input_tokens: 5, cache_creation_input_tokens: 3 });

      const up = upstream.messageRequests;
      expect(up).toHaveLength(1);
      expect(up[0].body.model).toBe(MODEL);
      expect(up[0].body.tools).toEqual([]);
      expect(clientTexts(conversationTurns(up[0].body)[0].content)).toEqual(['Say hello']);
      // The client's credentials never reach upstream: the CLI uses its own.
      expect(JSON.stringify(up[0].headers)).not.toContain('sk-ant-openclaw');
      expect(JSON.stringify(up[0].headers)).not.toContain('sk-ant-oat-token');
    });
  }

  it('accepts any anthropic-version and anthropic-beta', async () => {
    const res = await post(
      '/v1/messages',
      { model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'v' }] },
      { 'anthropic-version': '2099-12-31', 'anthropic-beta': 'some-future-beta-2099-01-01' },
    );
    expect(res.status).toBe(200);
    expect((await res.json()).content[0].text).toBe('echo: v');
  });

  it('sends a system block array (with cache_control) upstream as system text', async () => {
    await xApiKey.messages.create({
      model: MODEL,
      max_tokens: 1024,
      system: [
        { type: 'text', text: 'You are a careful assistant.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Workspace rules: be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } },
      ],
      messages: [{ role: 'user', content: 'hi' }],
    });
    const sys = systemText(upstream.messageRequests[0].body);
    expect(sys).toContain('You are a careful assistant.');
    expect(sys).toContain('Workspace rules: be brief.');
    // The CLI's own attribution stays.
    expect(sys).toContain('x-anthropic-billing-header');
  });

  it('sends base64 and url images upstream as image blocks', async () => {
    await bearer.messages.create({
      model: MODEL,
      max_tokens: 1024,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these.' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
          ],
        },
      ],
    });
    const content = conversationTurns(upstream.messageRequests[0].body)[0].content as any[];
    const images = content.filter((b) => b.type === 'image');
    expect(images).toHaveLength(2);
    expect(images[0].source.type).toBe('base64');
    expect(images[0].source.media_type).toMatch(/^image\//);
    expect(images[1].source).toEqual({ type: 'url', url: 'https://example.com/cat.png' });
    expect(clientTexts(content)).toContain('Compare these.');
  });

  it('accepts thinking blocks in history and the thinking parameter', async () => {
    const m = await bearer.messages.create({
      model: MODEL,
      max_tokens: 16000,
      thinking: { type: 'enabled', budget_tokens: 4000 },
      messages: [
        { role: 'user', content: 'What is 6*7?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'six times seven', signature: 'c2lnbmF0dXJl' },
            { type: 'redacted_thinking', data: 'cmVkYWN0ZWQ=' },
            { type: 'text', text: '42' },
          ],
        },
        { role: 'user', content: 'And 7*8?' },
      ],
    });
    expect(m.content).toEqual([{ type: 'text', text: 'echo: And 7*8?' }]);
    const turns = conversationTurns(upstream.messageRequests[0].body);
    expect(turns.map((x: any) => x.role)).toEqual(['user', 'assistant', 'user']);
    expect(clientTexts(turns[1].content)).toEqual(['42']);
    expect(clientTexts(turns[2].content)).toEqual(['And 7*8?']);
  });

  it('returns thinking blocks with their signature', async () => {
    upstream.enqueue({
      blocks: [
        { type: 'thinking', thinking: ['hmm ', 'let me see'], signature: 'U0lH' },
        { type: 'text', text: 'done' },
      ],
    });
    const m = await xApiKey.messages.create({
      model: MODEL,
      max_tokens: 16000,
      thinking: { type: 'enabled', budget_tokens: 2000 },
      messages: [{ role: 'user', content: 'think' }],
    });
    expect(m.content).toEqual([
      { type: 'thinking', thinking: 'hmm let me see', signature: 'U0lH' },
      { type: 'text', text: 'done' },
    ]);
  });
});

describe('structured output (output_config.format json_schema)', () => {
  it('the answer text is JSON matching the schema, which reached upstream as the StructuredOutput tool', async () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, temp: { type: 'integer' } },
      required: ['city', 'temp'],
      additionalProperties: false,
    };
    upstream.setResponder((req) => {
      const last = conversationTurns(req.body).at(-1);
      if (Array.isArray(last.content) && last.content.some((b: any) => b.type === 'tool_result')) return { blocks: [{ type: 'text', text: 'Done.' }] };
      const names = (req.body.tools ?? []).map((t: any) => t.name);
      if (names.includes('StructuredOutput'))
        return {
          blocks: [
            { type: 'text', text: 'Sure:' },
            { type: 'tool_use', name: 'StructuredOutput', input: { city: 'Oslo', temp: 4 } },
          ],
        };
      return { blocks: [{ type: 'text', text: 'It is 4 degrees in Oslo.' }] };
    });
    const res = await post('/v1/messages', {
      model: MODEL,
      max_tokens: 1000,
      output_config: { format: { type: 'json_schema', schema } },
      messages: [{ role: 'user', content: 'Weather in Oslo as JSON' }],
    });
    expect(res.status).toBe(200);
    const m = await res.json();
    expect(m.stop_reason).toBe('end_turn');
    expect(m.content).toHaveLength(1);
    expect(JSON.parse(m.content[0].text)).toEqual({ city: 'Oslo', temp: 4 });
    expect(upstream.messageRequests[0].body.tools.find((t: any) => t.name === 'StructuredOutput')?.input_schema).toMatchObject(schema);
  });
});

describe('messages.stream()', () => {
  it('streams text with the SDK helper and finalMessage() carries content and usage', async () => {
    upstream.enqueue({
      blocks: [{ type: 'text', text: ['one ', 'two ', 'three'] }],
      usage: { input_tokens: 12, output_tokens: 4, cache_read_input_tokens: 7, cache_creation_input_tokens: 2 },
    });
    const stream = bearer.messages.stream({ model: MODEL, max_tokens: 1024, messages: [{ role: 'user', content: 'count' }] });
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const m = await stream.finalMessage();
    expect(deltas.join('')).toBe('one two three');
    expect(deltas.length).toBeGreaterThan(1);
    expect(m.content).toEqual([{ type: 'text', text: 'one two three' }]);
    expect(m.stop_reason).toBe('end_turn');
    expect(m.model).toBe(MODEL);
    expect(m.usage).toMatchObject({ input_tokens: 12, output_tokens: 4, cache_read_input_tokens: 7, cache_creation_input_tokens: 2 });
  });

  it('sends SSE exactly as Anthropic does: an event: line on every event, in order', async () => {
    upstream.enqueue({
      blocks: [
        { type: 'thinking', thinking: ['a', 'b'], signature: 'U0lH' },
        { type: 'text', text: ['x', 'y', 'z'] },
      ],
      usage: { input_tokens: 9, output_tokens: 3, cache_read_input_tokens: 4, cache_creation_input_tokens: 1 },
    });
    const res = await post('/v1/messages', { model: MODEL, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'go' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = parseSse(await res.text()).filter((e) => e.event !== 'ping');
    for (const e of events) {
      expect(e.event).toBeDefined();
      expect(e.data.type).toBe(e.event);
    }
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('message_start');
    expect(names.at(-2)).toBe('message_delta');
    expect(names.at(-1)).toBe('message_stop');
    // Each block: start, deltas, stop; blocks numbered 0, 1.
    const blocks = names.slice(1, -2);
    expect(blocks[0]).toBe('content_block_start');
    expect(blocks.at(-1)).toBe('content_block_stop');
    expect(blocks.every((n) => n?.startsWith('content_block_'))).toBe(true);
    const starts = events.filter((e) => e.event === 'content_block_start');
    expect(starts.map((e) => [e.data.index, e.data.content_block.type])).toEqual([
      [0, 'thinking'],
      [1, 'text'],
    ]);
    for (const s of starts) {
      const idx = s.data.index;
      const mine = events.filter((e) => e.data.index === idx).map((e) => e.event);
      expect(mine[0]).toBe('content_block_start');
      expect(mine.at(-1)).toBe('content_block_stop');
      expect(mine.slice(1, -1).every((n) => n === 'content_block_delta')).toBe(true);
    }
    const deltas = events.filter((e) => e.event === 'content_block_delta').map((e) => e.data.delta);
    expect(
      deltas
        .filter((d) => d.type === 'thinking_delta')
        .map((d) => d.thinking)
        .join(''),
    ).toBe('ab');
    expect(deltas.find((d) => d.type === 'signature_delta')?.signature).toBe('U0lH');
    expect(
      deltas
        .filter((d) => d.type === 'text_delta')
        .map((d) => d.text)
        .join(''),
    ).toBe('xyz');
    const start = events[0].data.message;
    expect(start).toMatchObject({ type: 'message', role: 'assistant', model: MODEL, content: [] });
    expect(start.id).toMatch(/^msg_/);
    const md = events.at(-2)!.data;
    expect(md.delta.stop_reason).toBe('end_turn');
    expect(md.usage).toMatchObject({ output_tokens: 3, input_tokens: 9, cache_read_input_tokens: 4, cache_creation_input_tokens: 1 });
  });
});

describe('upstream retries', () => {
  it('a stream the CLI had to retry still opens with message_start (no event before it)', async () => {
    upstream.enqueue(
      { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
      { blocks: [{ type: 'text', text: ['after ', 'retry'] }] },
    );
    const res = await post('/v1/messages', { model: MODEL, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'retry me' }] });
    expect(res.status).toBe(200);
    const events = parseSse(await res.text());
    expect(events[0].event).toBe('message_start');
    expect(events.at(-1)!.event).toBe('message_stop');
    expect(
      events
        .filter((e) => e.event === 'content_block_delta')
        .map((e) => e.data.delta.text)
        .join(''),
    ).toBe('after retry');
    expect(upstream.messageRequests).toHaveLength(2);

    // The SDK helper gets the answer too.
    upstream.enqueue({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }, { blocks: [{ type: 'text', text: 'fine' }] });
    const m = await bearer.messages.stream({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'again' }] }).finalMessage();
    expect(m.content).toEqual([{ type: 'text', text: 'fine' }]);
  });
});

describe('errors in Anthropic format', () => {
  const expectAnthropicError = (e: any, status: number, type: string) => {
    expect(e).toBeInstanceOf(Anthropic.APIError);
    expect(e.status).toBe(status);
    expect(e.error).toMatchObject({ type: 'error', error: { type } });
    expect(typeof e.error.error.message).toBe('string');
  };

  it('unknown model: 404 not_found_error, nothing sent upstream', async () => {
    const e = await xApiKey.messages.create({ model: 'gpt-4o', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((x) => x);
    expect(e).toBeInstanceOf(Anthropic.NotFoundError);
    expectAnthropicError(e, 404, 'not_found_error');
    expect(e.error.error.message).toContain('gpt-4o');
    expect(upstream.requests).toHaveLength(0);
  });

  it('a server tool other than web search is not served: named in x-maxproxy-ignored, and no such tool reaches the upstream', async () => {
    const { data, response } = await xApiKey.messages
      .create({
        model: MODEL,
        max_tokens: 50,
        tools: [{ type: 'bash_20250124', name: 'bash' }],
        messages: [{ role: 'user', content: 'search for maxproxy' }],
      })
      .withResponse();
    expect(response.headers.get('x-maxproxy-ignored')).toBe('tools.0');
    expect(data.content[0]).toMatchObject({ type: 'text' });
    const tools = (upstream.messageRequests.at(-1)?.body.tools ?? []) as Array<{ name?: string; type?: string }>;
    expect(tools.some((t) => /bash/i.test(`${t.name} ${t.type}`))).toBe(false);
  });

  it('hosted web_fetch with allowWebFetch off (the default): named in x-maxproxy-ignored, no fetch tool reaches the upstream', async () => {
    const { data, response } = await xApiKey.messages
      .create({
        model: MODEL,
        max_tokens: 50,
        tools: [{ type: 'web_fetch_20250910', name: 'web_fetch', max_uses: 2, allowed_domains: ['example.com'], citations: { enabled: true } } as never],
        messages: [{ role: 'user', content: 'fetch https://example.com/' }],
      })
      .withResponse();
    expect(response.headers.get('x-maxproxy-ignored')).toBe('tools.0');
    expect(data.content[0]).toMatchObject({ type: 'text' });
    const tools = (upstream.messageRequests.at(-1)?.body.tools ?? []) as Array<{ name?: string; type?: string }>;
    expect(tools.some((t) => /fetch/i.test(`${t.name} ${t.type}`))).toBe(false);
  });

  it('a model that needs a newer Claude Code: 400 invalid_request_error naming the model, the CLI version and how to upgrade', async () => {
    refuseAsVersionTooOld(upstream);
    const e = await xApiKey.messages.create({ model: NEWER_CLI_MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((x) => x);
    expect(e).toBeInstanceOf(Anthropic.BadRequestError);
    expectAnthropicError(e, 400, 'invalid_request_error');
    expectVersionTooOld(e.error.error.message, upstream);
  });

  it('malformed request: 400 invalid_request_error naming the field', async () => {
    const e = await bearer.messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: 'user' } as never] }).catch((x) => x);
    expect(e).toBeInstanceOf(Anthropic.BadRequestError);
    expectAnthropicError(e, 400, 'invalid_request_error');
    expect(e.error.error.message).toMatch(/messages\.0\.content/);

    const res = await post('/v1/messages', {
      model: MODEL,
      max_tokens: 10,
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/tiff', data: 'AAAA' } }] }],
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(body.error.message).toMatch(/messages\.0\.content\.0\.source\.media_type/);

    const bad = await fetch(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: '{"model":',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).type).toBe('error');
    expect(upstream.requests).toHaveLength(0);
  });

  it('upstream 401 → 401 authentication_error', async () => {
    upstream.setResponder(() => ({ kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' }));
    const e = await xApiKey.messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((x) => x);
    expect(e).toBeInstanceOf(Anthropic.AuthenticationError);
    expectAnthropicError(e, 401, 'authentication_error');
  });

  it('upstream 429 → 429 rate_limit_error with retry-after', async () => {
    upstream.setResponder(() => ({
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      message: 'Number of requests has exceeded your rate limit',
      headers: { 'retry-after': '40' },
    }));
    const e = await bearer.messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((x) => x);
    expect(e).toBeInstanceOf(Anthropic.RateLimitError);
    expectAnthropicError(e, 429, 'rate_limit_error');
    expect(Number(e.headers.get('retry-after'))).toBeGreaterThanOrEqual(30);
  });

  it('upstream 529 → 529 overloaded_error', async () => {
    upstream.setResponder(() => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }));
    const res = await post('/v1/messages', { model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(529);
    const body = await res.json();
    expect(body).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    const e = await xApiKey.messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi again' }] }).catch((x) => x);
    expectAnthropicError(e, 529, 'overloaded_error');
  });

  it('a failure after the stream started → event: error, and no message_stop', async () => {
    upstream.setResponder(() => ({ kind: 'stall', afterText: 'partial answer' }));
    const res = await post('/v1/messages', { model: MODEL, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    const events = parseSse(await res.text()).filter((e) => e.event !== 'ping');
    expect(events[0].event).toBe('message_start');
    const text = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => e.data.delta.text)
      .join('');
    expect(text).toBe('partial answer');
    const last = events.at(-1)!;
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
    expect(events.some((e) => e.event === 'message_stop')).toBe(false);

    // The SDK surfaces it as an error too.
    const s = bearer.messages.stream({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'hi once more' }] });
    const err = await s.finalMessage().catch((x) => x);
    expect(err).toBeInstanceOf(Error);
  });
});

describe('GET /v1/models', () => {
  it('answers in Anthropic list format when called with Anthropic headers', async () => {
    const res = await fetch(`${proxy.baseURL}/models`, { headers: { 'anthropic-version': '2023-06-01', 'x-api-key': 'k' } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.has_more).toBe(false);
    expect(body.object).toBeUndefined();
    expect(body.data.length).toBeGreaterThan(0);
    for (const m of body.data) {
      expect(m.type).toBe('model');
      expect(typeof m.id).toBe('string');
      expect(typeof m.display_name).toBe('string');
      expect(typeof m.created_at).toBe('string');
    }
    expect(body.first_id).toBe(body.data[0].id);
    expect(body.last_id).toBe(body.data.at(-1).id);
    expect(body.data.map((m: any) => m.id)).toContain(MODEL);

    const ids: string[] = [];
    for await (const m of bearer.models.list()) ids.push(m.id);
    expect(ids).toContain(MODEL);
  });
});

/** Calls the tools named in the prompt ("call:read,exec") and summarises results it gets back. */
const toolResponder = (req: RecordedRequest): MockReply => {
  const last = conversationTurns(req.body).at(-1);
  const results = Array.isArray(last.content) ? last.content.filter((b: any) => b.type === 'tool_result') : [];
  if (results.length) {
    const texts = results.map((r: any) =>
      (typeof r.content === 'string' ? r.content : r.content.map((c: any) => c.text ?? '').join(''))
        .replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '')
        .trim(),
    );
    return { blocks: [{ type: 'text', text: ['results: ', texts.join(' | ')] }], usage: { input_tokens: 30, output_tokens: 6, cache_read_input_tokens: 100 } };
  }
  const m = /call:([\w,]+)/.exec(clientTexts(last.content).join(' '));
  if (!m) return { blocks: [{ type: 'text', text: 'no tools needed' }] };
  return {
    blocks: [
      { type: 'thinking', thinking: 'I should look.' },
      ...m[1]
        .split(',')
        .map((name, i) => ({ type: 'tool_use' as const, id: `toolu_01_${name}_${i}`, name: `mcp__client__${name}`, input: { path: `/tmp/f${i}` } })),
    ],
    usage: { input_tokens: 20, output_tokens: 15 },
  };
};

describe('OpenClaw anthropic-messages style', () => {
  const openclawTools = ['read', 'write', 'edit', 'exec', 'process', 'web_search', 'web_fetch', 'browser', 'message', 'cron', 'sessions_list'].map((name) => ({
    name,
    description: `OpenClaw ${name} tool. ${'Detailed usage notes. '.repeat(20)}`,
    input_schema: {
      type: 'object',
      properties: { path: { type: 'string', description: 'target' }, mode: { type: 'string', enum: ['a', 'b'] } },
      required: ['path'],
    },
  }));
  const system = [
    {
      type: 'text',
      text: `You are a personal assistant running inside OpenClaw.\n${'## Tooling\nUse tools carefully.\n'.repeat(400)}`,
      cache_control: { type: 'ephemeral' },
    },
    { type: 'text', text: '## Workspace\nAGENTS.md: keep answers short.', cache_control: { type: 'ephemeral' } },
  ];
  const headers = {
    'x-api-key': 'sk-ant-openclaw',
    'anthropic-version': '2023-06-01',
    'anthropic-beta': 'fine-grained-tool-streaming-2025-05-14,interleaved-thinking-2025-05-14',
    'user-agent': 'openclaw/2026.9',
  };

  it('streams a tool_use turn and completes it with the tool_result in the same CLI session', async () => {
    upstream.setResponder(toolResponder);
    const first = { role: 'user', content: [{ type: 'text', text: 'call:read' }] };
    const base = { model: MODEL, max_tokens: 16000, stream: true, system, tools: openclawTools, thinking: { type: 'enabled', budget_tokens: 10000 } };
    const res1 = await post('/v1/messages', { ...base, messages: [first] }, headers);
    expect(res1.status).toBe(200);
    const ev1 = parseSse(await res1.text()).filter((e) => e.event !== 'ping');
    expect(ev1.every((e) => e.event === e.data.type)).toBe(true);
    const use = ev1.find((e) => e.event === 'content_block_start' && e.data.content_block.type === 'tool_use')!.data.content_block;
    expect(use.name).toBe('read');
    const json = ev1
      .filter((e) => e.event === 'content_block_delta' && e.data.delta.type === 'input_json_delta')
      .map((e) => e.data.delta.partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ path: '/tmp/f0' });
    expect(ev1.find((e) => e.event === 'message_delta')!.data.delta.stop_reason).toBe('tool_use');
    expect(ev1.at(-1)!.event).toBe('message_stop');
    const thinking = ev1
      .filter((e) => e.event === 'content_block_delta' && e.data.delta.type === 'thinking_delta')
      .map((e) => e.data.delta.thinking)
      .join('');
    expect(thinking).toBe('I should look.');
    const sig = ev1.find((e) => e.event === 'content_block_delta' && e.data.delta.type === 'signature_delta')?.data.delta.signature;

    // Upstream: the client's tools as real tools (no built-ins), both system blocks.
    const u1 = upstream.messageRequests[0];
    expect(u1.body.tools.map((t: any) => t.name).sort()).toEqual(openclawTools.map((t) => `mcp__client__${t.name}`).sort());
    expect(u1.body.tools.find((t: any) => t.name === 'mcp__client__read').input_schema).toEqual(openclawTools[0].input_schema);
    expect(systemText(u1.body)).toContain('You are a personal assistant running inside OpenClaw.');
    expect(systemText(u1.body)).toContain('AGENTS.md: keep answers short.');

    const res2 = await post(
      '/v1/messages',
      {
        ...base,
        messages: [
          first,
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'I should look.', signature: sig },
              { type: 'tool_use', id: use.id, name: 'read', input: { path: '/tmp/f0' } },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: [{ type: 'text', text: 'file contents: hello' }] }] },
        ],
      },
      headers,
    );
    expect(res2.status).toBe(200);
    const ev2 = parseSse(await res2.text()).filter((e) => e.event !== 'ping');
    const text = ev2
      .filter((e) => e.event === 'content_block_delta' && e.data.delta.type === 'text_delta')
      .map((e) => e.data.delta.text)
      .join('');
    expect(text).toBe('results: file contents: hello');
    const md = ev2.find((e) => e.event === 'message_delta')!.data;
    expect(md.delta.stop_reason).toBe('end_turn');
    expect(md.usage.cache_read_input_tokens).toBe(100);
    const [a, b] = upstream.messageRequests;
    expect(b.headers['x-claude-code-session-id']).toBe(a.headers['x-claude-code-session-id']);
    const tr = conversationTurns(b.body)
      .at(-1)
      .content.filter((x: any) => x.type === 'tool_result');
    expect(tr).toHaveLength(1);
    expect(tr[0].tool_use_id).toBe(use.id);
  });
});

describe('conversations', () => {
  it('continues in the same CLI session and sends role-alternating history', async () => {
    const system = 'You remember things.';
    const m1 = await xApiKey.messages.create({ model: MODEL, max_tokens: 1024, system, messages: [{ role: 'user', content: 'My name is Ada.' }] });
    const answer = (m1.content[0] as Anthropic.TextBlock).text;
    const m2 = await xApiKey.messages.create({
      model: MODEL,
      max_tokens: 1024,
      system,
      messages: [
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: m1.content },
        { role: 'user', content: [{ type: 'text', text: 'What is my name?' }] },
      ],
    });
    expect(m2.content).toEqual([{ type: 'text', text: 'echo: What is my name?' }]);
    const [u1, u2] = upstream.messageRequests;
    expect(u2.headers['x-claude-code-session-id']).toBe(u1.headers['x-claude-code-session-id']);
    const turns = conversationTurns(u2.body);
    expect(turns.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(clientTexts(turns[0].content)).toEqual(['My name is Ada.']);
    expect(clientTexts(turns[1].content)).toEqual([answer]);
    expect(clientTexts(turns[2].content)).toEqual(['What is my name?']);
    expect(systemText(u2.body)).toContain(system);
  });
});
