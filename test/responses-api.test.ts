/**
 * OpenAI Responses API through the real Claude Code CLI, driven by the official `openai`
 * client (and raw fetch for the wire itself), against the recording mock upstream.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientTexts, MockUpstream, type RunningProxy, startProxy, systemText } from './harness.js';
import { conversationTurns, type MockReply, type RecordedRequest } from './mock-upstream.js';
import { expectVersionTooOld, NEWER_CLI_MODEL, refuseAsVersionTooOld } from './proxy-suite.js';

let upstream: MockUpstream;
let proxy: RunningProxy;
let client: OpenAI;

const MODEL = 'claude-sonnet-4-6';

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({ upstream, args: ['--idle-timeout-ms', '10000'] });
  client = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'unused', maxRetries: 0 });
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

/** Parses an SSE body into events (comments dropped). */
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

const postResponses = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${proxy.baseURL}/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer unused', ...headers },
    body: JSON.stringify(body),
  });

/** Every event has an `event:` line equal to its type and a strictly increasing sequence_number from 0. */
function expectWellFormed(events: SseEvent[]): void {
  expect(events.length).toBeGreaterThan(0);
  events.forEach((e, i) => {
    expect(e.event).toBeDefined();
    expect(e.data.type).toBe(e.event);
    expect(e.data.sequence_number).toBe(i);
  });
}

/** Event types without the repeated deltas, to compare orders. */
const collapse = (types: string[]): string[] => types.filter((t, i) => !(t.endsWith('.delta') && types[i - 1] === t));

describe('responses.create (non-streaming)', () => {
  it('answers with output_text, status completed and usage counting cached input', async () => {
    upstream.enqueue({
      blocks: [{ type: 'text', text: ['Hel', 'lo ', 'there'] }],
      usage: { input_tokens: 21, output_tokens: 9, cache_read_input_tokens: 5, cache_creation_input_tokens: 3 },
    });
    const r = await client.responses.create({ model: MODEL, input: 'Say hello' });
    expect(r.object).toBe('response');
    expect(r.id).toMatch(/^resp_/);
    expect(r.status).toBe('completed');
    expect(r.model).toBe(MODEL);
    expect(r.output_text).toBe('Hello there');
    expect(r.output).toHaveLength(1);
    expect(r.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello there' }] });
    expect(r.usage).toMatchObject({ input_tokens: 29, output_tokens: 9, total_tokens: 38, input_tokens_details: { cached_tokens: 5 } });
    expect(r.error).toBeNull();

    const up = upstream.messageRequests;
    expect(up).toHaveLength(1);
    expect(up[0].body.model).toBe(MODEL);
    expect(up[0].body.tools).toEqual([]);
    expect(clientTexts(conversationTurns(up[0].body)[0].content)).toEqual(['Say hello']);
  });

  it('sends instructions, system and developer messages upstream as the system prompt', async () => {
    const r = await client.responses.create({
      model: MODEL,
      instructions: 'You are a pirate.',
      input: [
        { role: 'developer', content: 'Answer briefly.' },
        { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Never use emoji.' }] },
        { role: 'user', content: [{ type: 'input_text', text: 'Ahoy?' }] },
      ],
    });
    expect(r.output_text).toBe('echo: Ahoy?');
    expect(r.instructions).toBe('You are a pirate.');
    const body = upstream.messageRequests[0].body;
    const sys = systemText(body);
    expect(sys).toContain('You are a pirate.');
    expect(sys).toContain('Answer briefly.');
    expect(sys).toContain('Never use emoji.');
    expect(sys.indexOf('You are a pirate.')).toBeLessThan(sys.indexOf('Answer briefly.'));
    const turns = conversationTurns(body);
    expect(turns).toHaveLength(1);
    expect(clientTexts(turns[0].content)).toEqual(['Ahoy?']);
  });
});

describe('input images', () => {
  it('input_image data: and https URLs reach upstream as image blocks', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const r = await client.responses.create({
      model: MODEL,
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'What are these?' },
            { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'auto' },
            { type: 'input_image', image_url: `data:image/png;base64,${png}`, detail: 'high' },
          ],
        },
      ],
    });
    expect(r.status).toBe('completed');
    const content = conversationTurns(upstream.messageRequests[0].body)[0].content as any[];
    const images = content.filter((b) => b.type === 'image');
    expect(images.map((b) => b.source.type)).toEqual(['url', 'base64']);
    expect(images[0].source.url).toBe('https://example.com/a.png');
    expect(images[1].source.media_type).toMatch(/^image\//);
    expect(clientTexts(content)).toContain('What are these?');
  });
});

describe('responses.stream()', () => {
  const expectedOrder = [
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.content_part.added',
    'response.output_text.delta',
    'response.output_text.done',
    'response.content_part.done',
    'response.output_item.done',
    'response.completed',
  ];

  it('emits the events in order with the SDK helper; finalResponse() is complete', async () => {
    upstream.enqueue({
      blocks: [{ type: 'text', text: ['one ', 'two ', 'three'] }],
      usage: { input_tokens: 12, output_tokens: 4, cache_read_input_tokens: 7 },
    });
    const stream = client.responses.stream({ model: MODEL, input: 'count' });
    const types: string[] = [];
    const deltas: string[] = [];
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.output_text.delta') deltas.push(ev.delta);
    }
    const final = await stream.finalResponse();
    expect(collapse(types)).toEqual(expectedOrder);
    expect(deltas.join('')).toBe('one two three');
    expect(deltas.length).toBeGreaterThan(1);
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('one two three');
    expect(final.usage).toMatchObject({ input_tokens: 19, output_tokens: 4, input_tokens_details: { cached_tokens: 7 } });
  });

  it('raw SSE: event: lines, monotonic sequence_number, response.created first and response.completed last', async () => {
    upstream.enqueue({ blocks: [{ type: 'text', text: ['a', 'b', 'c'] }], usage: { input_tokens: 3, output_tokens: 2 } });
    const res = await postResponses({ model: MODEL, stream: true, input: [{ role: 'user', content: 'abc' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = parseSse(await res.text());
    expectWellFormed(events);
    expect(collapse(events.map((e) => e.event!))).toEqual(expectedOrder);
    const created = events[0].data.response;
    expect(created).toMatchObject({ object: 'response', status: 'in_progress', model: MODEL, output: [] });
    const done = events.at(-1)!.data.response;
    expect(done.id).toBe(created.id);
    expect(done.status).toBe('completed');
    expect(done.output[0].content[0].text).toBe('abc');
    expect(done.usage).toMatchObject({ input_tokens: 3, output_tokens: 2, total_tokens: 5 });
    // Item ids agree across the events of one item.
    const itemId = events.find((e) => e.event === 'response.output_item.added')!.data.item.id;
    for (const e of events.filter((x) => 'item_id' in x.data)) expect(e.data.item_id).toBe(itemId);
    expect(done.output[0].id).toBe(itemId);
  });
});

describe('previous_response_id', () => {
  it('continues the stored conversation: only the new input is sent, same CLI session, role-alternating upstream', async () => {
    const r1 = await client.responses.create({ model: MODEL, instructions: 'You remember things.', input: 'My name is Ada.' });
    expect(r1.output_text).toBe('echo: My name is Ada.');
    const stream = client.responses.stream({
      model: MODEL,
      instructions: 'You remember things.',
      previous_response_id: r1.id,
      input: [{ role: 'user', content: 'What is my name?' }],
    });
    const r2 = await stream.finalResponse();
    expect(r2.output_text).toBe('echo: What is my name?');
    expect(r2.previous_response_id).toBe(r1.id);

    const [u1, u2] = upstream.messageRequests;
    expect(u2.headers['x-claude-code-session-id']).toBe(u1.headers['x-claude-code-session-id']);
    const turns = conversationTurns(u2.body);
    expect(turns.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(turns.flatMap((m: any) => clientTexts(m.content))).toEqual(['My name is Ada.', 'echo: My name is Ada.', 'What is my name?']);
    expect(systemText(u2.body)).toContain('You remember things.');

    // A third turn chains on the second.
    const r3 = await client.responses.create({ model: MODEL, instructions: 'You remember things.', previous_response_id: r2.id, input: 'Thanks.' });
    expect(r3.output_text).toBe('echo: Thanks.');
    const u3 = upstream.messageRequests[2];
    expect(u3.headers['x-claude-code-session-id']).toBe(u1.headers['x-claude-code-session-id']);
    expect(conversationTurns(u3.body).map((m: any) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
  });

  it('a function_call_output sent with only previous_response_id finishes the waiting CLI turn', async () => {
    upstream.setResponder(codexResponder);
    const tools: OpenAI.Responses.Tool[] = [
      { type: 'function', name: 'shell', parameters: { type: 'object', properties: { command: { type: 'array', items: { type: 'string' } } } }, strict: false },
    ];
    upstream.enqueue({
      blocks: [
        { type: 'text', text: 'Running it.' },
        { type: 'tool_use', id: 'toolu_01_prev', name: 'mcp__client__shell', input: { command: ['date'] } },
      ],
    });
    const r1 = await client.responses.create({ model: MODEL, input: 'what time is it?', tools });
    const fc = r1.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(fc).toMatchObject({ name: 'shell', call_id: 'toolu_01_prev' });
    const r2 = await client.responses.create({
      model: MODEL,
      previous_response_id: r1.id,
      tools,
      input: [{ type: 'function_call_output', call_id: fc.call_id, output: 'Sat Nov 21' }],
    });
    expect(r2.output_text).toBe('done: Sat Nov 21');
    expect(r2.status).toBe('completed');
    const [u1, u2] = upstream.messageRequests;
    expect(u2.headers['x-claude-code-session-id']).toBe(u1.headers['x-claude-code-session-id']);
    const results = conversationTurns(u2.body)
      .at(-1)
      .content.filter((b: any) => b.type === 'tool_result');
    expect(results.map((r: any) => r.tool_use_id)).toEqual(['toolu_01_prev']);
  });

  it('an unknown previous_response_id is a 404 and nothing goes upstream', async () => {
    const e = await client.responses.create({ model: MODEL, previous_response_id: 'resp_doesnotexist', input: 'hi' }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect(e.param).toBe('previous_response_id');
    expect(e.code).toBe('previous_response_not_found');
    expect(upstream.requests).toHaveLength(0);
  });

  it('store:false responses are not kept', async () => {
    const r1 = await client.responses.create({ model: MODEL, input: 'ephemeral', store: false });
    const e = await client.responses.create({ model: MODEL, previous_response_id: r1.id, input: 'again' }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

/** Codex-style tool calls: "call:shell,search" → a shell call and a namespaced GitHub search. */
const codexResponder = (req: RecordedRequest): MockReply => {
  const last = conversationTurns(req.body).at(-1);
  const results = Array.isArray(last.content) ? last.content.filter((b: any) => b.type === 'tool_result') : [];
  if (results.length) {
    const texts = results.map((r: any) =>
      (typeof r.content === 'string' ? r.content : r.content.map((c: any) => c.text ?? '').join(''))
        .replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '')
        .trim(),
    );
    return { blocks: [{ type: 'text', text: ['done: ', texts.join(' | ')] }], usage: { input_tokens: 40, output_tokens: 5, cache_read_input_tokens: 200 } };
  }
  if (!clientTexts(last.content).join(' ').includes('fix the bug')) return { blocks: [{ type: 'text', text: 'nothing to do' }] };
  return {
    blocks: [
      { type: 'thinking', thinking: 'Look at the repo first.' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_01_shell', name: 'mcp__client__shell', input: { command: ['ls', '-la'] } },
      { type: 'tool_use', id: 'toolu_02_search', name: 'mcp__client__mcp__github__search_issues', input: { query: 'bug' } },
    ],
    usage: { input_tokens: 30, output_tokens: 20 },
  };
};

describe('Codex CLI style', () => {
  const codexHeaders = {
    'session-id': '0199a0b1-1111-7000-8000-000000000001',
    'thread-id': '0199a0b1-1111-7000-8000-000000000001',
    'user-agent': 'codex_cli_rs/0.169.0 (Debian 12; x86_64) xterm',
    originator: 'codex_cli_rs',
    version: '0.169.0',
  };
  const shellSchema = {
    type: 'object',
    properties: { command: { type: 'array', items: { type: 'string' } }, workdir: { type: 'string' }, timeout_ms: { type: 'number' } },
    required: ['command'],
    additionalProperties: false,
  };
  const searchSchema = { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] };
  const tools = [
    { type: 'function', name: 'shell', description: 'Runs a shell command and returns its output.', strict: false, parameters: shellSchema },
    {
      type: 'function',
      name: 'update_plan',
      description: 'Updates the task plan.',
      strict: false,
      parameters: {
        type: 'object',
        properties: { plan: { type: 'array', items: { type: 'object', properties: { step: { type: 'string' }, status: { type: 'string' } } } } },
        required: ['plan'],
      },
    },
    {
      type: 'namespace',
      name: 'mcp__github',
      description: 'GitHub MCP server',
      tools: [{ type: 'function', name: 'search_issues', description: 'Search issues', strict: false, parameters: searchSchema }],
    },
    { type: 'web_search', external_web_access: false },
  ];
  const prefix = [
    {
      type: 'message',
      role: 'developer',
      content: [{ type: 'input_text', text: '<permissions instructions>Sandbox: workspace-write.</permissions instructions>' }],
    },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/home/u/proj</cwd>\n</environment_context>' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Please fix the bug in main.rs' }] },
  ];
  const base = {
    model: MODEL,
    instructions: 'You are Codex, a coding agent based on GPT-5. You and the user share the same workspace.',
    tools,
    tool_choice: 'auto',
    parallel_tool_calls: true,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: '0199a0b1-1111-7000-8000-000000000001',
    text: { verbosity: 'medium' },
  };

  it('tool round trip: function + namespace calls out, outputs back in (full history re-sent), ends with response.completed', async () => {
    upstream.setResponder(codexResponder);
    const res1 = await postResponses({ ...base, input: prefix }, codexHeaders);
    expect(res1.status).toBe(200);
    const ev1 = parseSse(await res1.text());
    expectWellFormed(ev1);
    expect(ev1[0].event).toBe('response.created');
    expect(ev1.at(-1)!.event).toBe('response.completed');
    const out1 = ev1.at(-1)!.data.response.output as any[];
    expect(out1.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call']);
    expect(out1[0].summary).toEqual([{ type: 'summary_text', text: 'Look at the repo first.' }]);
    const [shell, search] = out1.filter((o) => o.type === 'function_call');
    expect(shell).toMatchObject({ name: 'shell', status: 'completed' });
    expect(shell).not.toHaveProperty('namespace');
    expect(JSON.parse(shell.arguments)).toEqual({ command: ['ls', '-la'] });
    expect(search).toMatchObject({ name: 'search_issues', namespace: 'mcp__github' });
    expect(JSON.parse(search.arguments)).toEqual({ query: 'bug' });
    // Streamed: arguments deltas and .done per call, with the client's names.
    const argsDone = ev1.filter((e) => e.event === 'response.function_call_arguments.done').map((e) => e.data.name);
    expect(argsDone).toEqual(['shell', 'search_issues']);
    expect(ev1.some((e) => e.event === 'response.function_call_arguments.delta')).toBe(true);
    // The reasoning summary streams as Codex expects.
    expect(ev1.some((e) => e.event === 'response.reasoning_summary_text.delta')).toBe(true);

    // Upstream: the function tools (namespace flattened), no hosted tool, no built-ins; system has instructions + developer text.
    const u1 = upstream.messageRequests[0];
    expect(u1.body.tools.map((t: any) => t.name).sort()).toEqual(['mcp__client__mcp__github__search_issues', 'mcp__client__shell', 'mcp__client__update_plan']);
    expect(u1.body.tools.find((t: any) => t.name === 'mcp__client__shell').input_schema).toEqual(shellSchema);
    expect(systemText(u1.body)).toContain('You are Codex');
    expect(systemText(u1.body)).toContain('Sandbox: workspace-write.');
    const turns1 = conversationTurns(u1.body);
    expect(turns1).toHaveLength(1);
    expect(clientTexts(turns1[0].content)).toEqual([
      '<environment_context>\n  <cwd>/home/u/proj</cwd>\n</environment_context>',
      'Please fix the bug in main.rs',
    ]);

    // Codex (store:false) re-sends everything: its prefix, the output items with their ids, and the outputs.
    const res2 = await postResponses(
      {
        ...base,
        input: [
          ...prefix,
          { type: 'reasoning', id: out1[0].id, summary: out1[0].summary, encrypted_content: 'gAAAAB-opaque' },
          ...out1.slice(1),
          { type: 'function_call_output', call_id: shell.call_id, output: 'main.rs\nCargo.toml' },
          { type: 'function_call_output', call_id: search.call_id, output: '#12 crash on start' },
        ],
      },
      codexHeaders,
    );
    expect(res2.status).toBe(200);
    const ev2 = parseSse(await res2.text());
    expectWellFormed(ev2);
    expect(ev2[0].event).toBe('response.created');
    const completed = ev2.at(-1)!;
    expect(completed.event).toBe('response.completed');
    // Both outputs went upstream in one message. The two calls run in parallel (read-only
    // tools) and the CLI sends their results in the order they finished, which is not fixed.
    const [a, b] = upstream.messageRequests;
    const results = conversationTurns(b.body)
      .at(-1)
      .content.filter((x: any) => x.type === 'tool_result');
    expect(results.map((r: any) => r.tool_use_id).sort()).toEqual([shell.call_id, search.call_id].sort());
    const outputOf: Record<string, string> = { [shell.call_id]: 'main.rs\nCargo.toml', [search.call_id]: '#12 crash on start' };
    expect(completed.data.response.output.filter((o: any) => o.type === 'message').map((o: any) => o.content[0].text)).toEqual([
      `done: ${results.map((r: any) => outputOf[r.tool_use_id]).join(' | ')}`,
    ]);
    expect(completed.data.response.usage).toMatchObject({ input_tokens: 240, input_tokens_details: { cached_tokens: 200 } });

    expect(b.headers['x-claude-code-session-id']).toBe(a.headers['x-claude-code-session-id']);
  });

  it('a plain Codex turn (no tool calls) also ends with response.completed', async () => {
    const res = await postResponses(
      { ...base, input: [...prefix.slice(0, 2), { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello codex' }] }] },
      codexHeaders,
    );
    const ev = parseSse(await res.text());
    expectWellFormed(ev);
    expect(ev.at(-1)!.event).toBe('response.completed');
    expect(ev.at(-1)!.data.response.output.at(-1).content[0].text).toContain('hello codex');
  });
});

describe('errors', () => {
  it('non-streaming: upstream 429 → OpenAI error JSON with 429 and retry-after', async () => {
    upstream.setResponder(() => ({
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      message: 'Number of requests has exceeded your rate limit',
      headers: { 'retry-after': '40' },
    }));
    const e = await client.responses.create({ model: MODEL, input: 'hi' }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e.type).toBe('rate_limit_error');
    expect(typeof e.error.message).toBe('string');
    expect(e.error).toHaveProperty('param');
    expect(e.error).toHaveProperty('code');
    expect(Number(e.headers.get('retry-after'))).toBeGreaterThanOrEqual(30);
  });

  it('non-streaming: unknown model → 404 model_not_found, malformed input → 400 naming the field', async () => {
    const e = await client.responses.create({ model: 'gpt-5', input: 'hi' }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect(e.code).toBe('model_not_found');
    const bad = await client.responses.create({ model: MODEL, input: [{ role: 'tool', content: 'x' }] as never }).catch((x) => x);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.param).toBe('input.0.role');
    expect(upstream.requests).toHaveLength(0);
  });

  it('streaming: a failure after output started → response.failed last, never response.completed', async () => {
    upstream.setResponder(() => ({ kind: 'stall', afterText: 'partial answer' }));
    const res = await postResponses({ model: MODEL, stream: true, input: 'hi' });
    expect(res.status).toBe(200);
    const events = parseSse(await res.text());
    expectWellFormed(events);
    expect(events[0].event).toBe('response.created');
    expect(
      events
        .filter((e) => e.event === 'response.output_text.delta')
        .map((e) => e.data.delta)
        .join(''),
    ).toBe('partial answer');
    const last = events.at(-1)!;
    expect(last.event).toBe('response.failed');
    expect(last.data.response.status).toBe('failed');
    expect(last.data.response.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect(events.some((e) => e.event === 'response.completed')).toBe(false);
  });

  it('a model that needs a newer Claude Code: 400 invalid_request_error naming the model, the CLI version and how to upgrade', async () => {
    refuseAsVersionTooOld(upstream);
    const e = await client.responses.create({ model: NEWER_CLI_MODEL, input: 'hi' }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect(e.error).toMatchObject({ type: 'invalid_request_error', code: 'claude_code_version_too_old', param: 'model' });
    expectVersionTooOld(e.error.message, upstream);
  });

  it('streaming: a failure before any output is an HTTP error in OpenAI format', async () => {
    upstream.setResponder(() => ({ kind: 'error', status: 429, type: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '40' } }));
    const res = await postResponses({ model: MODEL, stream: true, input: 'hi' });
    expect(res.status).toBe(429);
    const body = await res.json();
    expect(body.error).toMatchObject({ type: 'rate_limit_error', message: expect.any(String) });
    expect(body.error).toHaveProperty('param');
    expect(body.error).toHaveProperty('code');
  });
});

describe('structured output (text.format json_schema)', () => {
  const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'], additionalProperties: false };

  it('output_text is JSON matching the schema', async () => {
    // The model answers through the CLI's StructuredOutput tool when it is offered; plain prose otherwise.
    upstream.setResponder((req) => {
      const last = conversationTurns(req.body).at(-1);
      if (Array.isArray(last.content) && last.content.some((b: any) => b.type === 'tool_result')) return { blocks: [{ type: 'text', text: 'Done.' }] };
      const names = (req.body.tools ?? []).map((t: any) => t.name);
      if (names.includes('StructuredOutput'))
        return {
          blocks: [
            { type: 'text', text: 'Here it is.' },
            { type: 'tool_use', name: 'StructuredOutput', input: { name: 'Ada', age: 36 } },
          ],
        };
      return { blocks: [{ type: 'text', text: 'Ada is 36 years old.' }] };
    });
    const r = await client.responses.create({
      model: MODEL,
      input: 'Who is Ada? Answer as JSON.',
      text: { format: { type: 'json_schema', name: 'person', schema, strict: true } },
    });
    expect(r.status).toBe('completed');
    const parsed = JSON.parse(r.output_text);
    expect(parsed).toEqual({ name: 'Ada', age: 36 });
    expect(typeof parsed.name).toBe('string');
    expect(Number.isInteger(parsed.age)).toBe(true);
    expect(r.text?.format).toMatchObject({ type: 'json_schema', name: 'person' });
    // The schema reached the model.
    const up = upstream.messageRequests[0].body;
    expect(up.tools.find((t: any) => t.name === 'StructuredOutput')?.input_schema).toMatchObject(schema);

    // Streaming gives the same JSON as the text.
    const s = client.responses.stream({
      model: MODEL,
      input: 'Again, as JSON.',
      text: { format: { type: 'json_schema', name: 'person', schema, strict: true } },
    });
    const final = await s.finalResponse();
    expect(JSON.parse(final.output_text)).toEqual({ name: 'Ada', age: 36 });
  });
});
