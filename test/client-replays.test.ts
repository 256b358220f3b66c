/**
 * Replays of what real clients send (docs/facts/clients.md: OpenClaw openai-completions,
 * opencode, Vercel AI SDK openai-compatible), as raw HTTP in their shapes and headers,
 * through the real CLI against the recording mock. Asserts both sides: what the client
 * reads back and what the upstream received.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientTexts, MockUpstream, ROOT, type RunningProxy, startProxy, systemText } from './harness.js';
import { conversationTurns, type MockReply, type RecordedRequest } from './mock-upstream.js';

let upstream: MockUpstream;
let proxy: RunningProxy;

const MODEL = 'claude-sonnet-4-6';

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({ upstream, args: ['--idle-timeout-ms', '15000'] });
});

afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

beforeEach(() => {
  upstream.reset();
  upstream.setResponder(replayResponder);
});

const toolResultsOf = (req: RecordedRequest): any[] => {
  const last = conversationTurns(req.body).at(-1);
  return Array.isArray(last?.content) ? last.content.filter((b: any) => b.type === 'tool_result') : [];
};

const resultText = (r: any): string =>
  (typeof r.content === 'string' ? r.content : r.content.map((c: any) => String(c.text ?? '')).join('\n'))
    .replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '')
    .trim();

/**
 * "call:read,exec" → some text and a call of each named tool; "quietcall:…" → the calls
 * alone (no text); tool results → "results: …"; a title request → a short title; else echo.
 */
const replayResponder = (req: RecordedRequest): MockReply => {
  const results = toolResultsOf(req);
  if (results.length)
    return {
      blocks: [{ type: 'text', text: ['results: ', results.map(resultText).join(' | ')] }],
      usage: { input_tokens: 30, output_tokens: 6, cache_read_input_tokens: 500 },
    };
  const last = conversationTurns(req.body).at(-1);
  const prompt = clientTexts(last.content).join('\n');
  if (systemText(req.body).includes('You are a title generator'))
    return { blocks: [{ type: 'text', text: 'Fixing the parser' }], usage: { input_tokens: 50, output_tokens: 4 } };
  const m = /(quiet)?call:([\w,]+)/.exec(prompt);
  if (!m) return { blocks: [{ type: 'text', text: ['echo: ', prompt.slice(0, 200)] }], usage: { input_tokens: 11, output_tokens: 7 } };
  const calls = m[2]
    .split(',')
    .map((name, i) => ({ type: 'tool_use' as const, id: `toolu_01_${name}_${i}`, name: `mcp__client__${name}`, input: { path: `src/file_${i}.ts` } }));
  return { blocks: [...(m[1] ? [] : [{ type: 'text' as const, text: 'Let me look.' }]), ...calls], usage: { input_tokens: 20, output_tokens: 15 } };
};

interface ChatStream {
  status: number;
  chunks: any[];
  doneCount: number;
  text: string;
  finish: string[];
  toolCalls: Array<{ id: string; name: string; args: string }>;
  usage?: any;
}

async function chat(body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(`${proxy.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Reads an OpenAI chat SSE stream the way strict clients do (index on every choice, ids first). */
async function readChatStream(res: Response): Promise<ChatStream> {
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const raw = await res.text();
  const datas = raw
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6));
  const doneCount = datas.filter((d) => d === '[DONE]').length;
  expect(datas.at(-1)).toBe('[DONE]');
  const chunks = datas.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d));
  const calls: Record<number, { id: string; name: string; args: string }> = {};
  let text = '';
  const finish: string[] = [];
  let usage: any;
  for (const c of chunks) {
    expect(c.object).toBe('chat.completion.chunk');
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      expect(ch.index).toBe(0);
      text += ch.delta?.content ?? '';
      if (ch.finish_reason) finish.push(ch.finish_reason);
      for (const tc of ch.delta?.tool_calls ?? []) {
        expect(typeof tc.index).toBe('number');
        if (!calls[tc.index]) {
          // The first fragment of a call carries its id and name.
          expect(tc.id).toBeTruthy();
          expect(tc.function?.name).toBeTruthy();
          calls[tc.index] = { id: tc.id, name: tc.function.name, args: '' };
        }
        calls[tc.index].args += tc.function?.arguments ?? '';
      }
    }
  }
  return { status: res.status, chunks, doneCount, text, finish, toolCalls: Object.values(calls), usage };
}

describe('OpenClaw (api: "openai-completions")', () => {
  const headers = { authorization: 'Bearer maxproxy', 'user-agent': 'OpenAI/JS 6.10.0', 'x-stainless-lang': 'js', accept: 'application/json' };
  const toolNames = ['read', 'write', 'edit', 'exec', 'process', 'web_search', 'web_fetch', 'browser', 'message', 'cron', 'sessions_spawn'];
  const tools = toolNames.map((name) => ({
    type: 'function',
    function: {
      name,
      description: `${name}: ${'Use this tool when the task needs it; read the notes. '.repeat(12)}`,
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'Path relative to the workspace' },
          limit: { type: 'integer', minimum: 1 },
          mode: { type: 'string', enum: ['text', 'json'] },
        },
        required: ['path'],
        additionalProperties: false,
      },
    },
  }));
  const bigSystem = `You are a personal assistant running inside OpenClaw.\n\n${Array.from({ length: 260 }, (_, i) => `## Section ${i}\nFollow the workspace rules carefully (${i}).`).join('\n')}`;
  const internal = (n: number) => `<internal-context>\nturn ${n}: channel=webchat, no pending reminders\n</internal-context>`;

  it('tool round trip: streamed calls, then results under rewritten ids ("_" stripped) continue the same CLI turn', async () => {
    expect(JSON.stringify(tools).length).toBeGreaterThan(8_000);
    expect(bigSystem.length).toBeGreaterThan(12_000);
    const first = [
      { role: 'system', content: bigSystem },
      { role: 'user', content: [{ type: 'text', text: 'Please call:read the file for me.' }] },
      { role: 'user', content: internal(1) },
    ];
    const common = { model: MODEL, stream: true, stream_options: { include_usage: true }, tool_choice: 'auto', max_completion_tokens: 8192, tools };
    const s1 = await readChatStream(await chat({ ...common, messages: first }, headers));
    expect(s1.status).toBe(200);
    expect(s1.doneCount).toBe(1);
    expect(s1.chunks[0].choices[0].delta.role).toBe('assistant');
    expect(s1.text).toBe('Let me look.');
    expect(s1.finish).toEqual(['tool_calls']);
    expect(s1.toolCalls).toHaveLength(1);
    expect(s1.toolCalls[0].name).toBe('read');
    expect(JSON.parse(s1.toolCalls[0].args)).toEqual({ path: 'src/file_0.ts' });
    expect(s1.chunks.at(-1).choices).toEqual([]);
    expect(s1.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 15 });

    // Upstream: 11 client tools as real tools with schemas intact, the big system prompt, consecutive users merged.
    const u1 = upstream.messageRequests[0];
    expect(u1.body.tools.map((t: any) => t.name).sort()).toEqual(toolNames.map((n) => `mcp__client__${n}`).sort());
    expect(u1.body.tools.find((t: any) => t.name === 'mcp__client__exec').input_schema).toEqual(tools[3].function.parameters);
    expect(systemText(u1.body)).toContain(bigSystem);
    const turns1 = conversationTurns(u1.body);
    expect(turns1).toHaveLength(1);
    expect(clientTexts(turns1[0].content)).toEqual(['Please call:read the file for me.', internal(1)]);

    // OpenClaw rewrites the call id (strips "_") and appends its internal context after the result.
    const original = s1.toolCalls[0].id;
    const rewritten = original.replace(/_/g, '');
    expect(rewritten).not.toBe(original);
    const second = [
      ...first,
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [{ id: rewritten, type: 'function', function: { name: 'read', arguments: s1.toolCalls[0].args } }],
      },
      { role: 'tool', tool_call_id: rewritten, content: [{ type: 'text', text: 'export const x = 1;' }] },
      { role: 'user', content: internal(2) },
    ];
    const s2 = await readChatStream(await chat({ ...common, messages: second }, headers));
    expect(s2.status).toBe(200);
    expect(s2.doneCount).toBe(1);
    expect(s2.text.startsWith('results: export const x = 1;')).toBe(true);
    expect(s2.finish).toEqual(['stop']);
    expect(s2.toolCalls).toEqual([]);
    expect(s2.usage.prompt_tokens_details?.cached_tokens).toBe(500);

    const [a, b] = upstream.messageRequests;
    expect(b.headers['x-claude-code-session-id']).toBe(a.headers['x-claude-code-session-id']);
    const tr = toolResultsOf(b);
    expect(tr).toHaveLength(1);
    // Upstream sees the id the model issued, not the client's rewrite.
    expect(tr[0].tool_use_id).toBe('toolu_01_read_0');
    expect(resultText(tr[0])).toContain('export const x = 1;');
  });

  it('system prompt as a developer message; string and array content mixed; a plain reply streams with usage', async () => {
    const s = await readChatStream(
      await chat(
        {
          model: MODEL,
          stream: true,
          stream_options: { include_usage: true },
          tool_choice: 'auto',
          max_completion_tokens: 8192,
          tools,
          messages: [
            { role: 'developer', content: bigSystem },
            { role: 'user', content: 'hello' },
            { role: 'user', content: [{ type: 'text', text: internal(1) }] },
          ],
        },
        headers,
      ),
    );
    expect(s.status).toBe(200);
    expect(s.text).toBe(`echo: hello\n${internal(1)}`);
    expect(s.finish).toEqual(['stop']);
    expect(s.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    const body = upstream.messageRequests[0].body;
    expect(systemText(body)).toContain(bigSystem);
    expect(conversationTurns(body)).toHaveLength(1);
  });
});

describe('opencode', () => {
  const session = 'ses_5f1c2a9e8ffeV0aZ1kq2Jc3xYt';
  const headers = {
    authorization: 'Bearer maxproxy',
    'user-agent': 'opencode/1.18.0 ai-sdk/provider-utils/4.0.1 runtime/bun/1.3.0',
    'x-session-id': session,
    'accept-encoding': 'gzip, deflate, br, zstd',
  };
  const tools = ['bash', 'read', 'edit', 'glob', 'grep', 'list', 'todowrite', 'webfetch'].map((name) => ({
    type: 'function',
    function: {
      name,
      description: `opencode ${name}`,
      parameters: {
        type: 'object',
        properties: { path: { type: 'string' } },
        required: ['path'],
        additionalProperties: false,
        $schema: 'http://json-schema.org/draft-07/schema#',
      },
    },
  }));
  const system = [
    { role: 'system', content: 'You are opencode, an interactive CLI tool that helps users with software engineering tasks.' },
    { role: 'system', content: 'Here is some useful information about the environment you are running in:\n<env>\n  Working directory: /home/u/proj\n</env>' },
  ];

  it('streams with include_usage, keeps the conversation apart from its title request, and continues after content:"" + tool_calls', async () => {
    const prompt = { role: 'user', content: [{ type: 'text', text: 'quietcall:read and fix the parser' }] };
    const common = { model: MODEL, stream: true, stream_options: { include_usage: true }, tools, tool_choice: 'auto', max_tokens: 32000 };
    const s1 = await readChatStream(await chat({ ...common, messages: [...system, prompt] }, headers));
    expect(s1.status).toBe(200);
    expect(s1.doneCount).toBe(1);
    expect(s1.text).toBe('');
    expect(s1.finish).toEqual(['tool_calls']);
    expect(s1.toolCalls.map((c) => c.name)).toEqual(['read']);
    expect(s1.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 15 });

    // opencode's separate title request: small model, its own system prompt, no tools, same x-session-id.
    const title = await readChatStream(
      await chat(
        {
          model: 'claude-haiku-4-5',
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: 1500,
          messages: [
            { role: 'system', content: 'You are a title generator. You output ONLY a thread title. Nothing else.' },
            { role: 'user', content: 'Generate a title for this conversation:\n' },
            { role: 'user', content: 'quietcall:read and fix the parser' },
          ],
        },
        headers,
      ),
    );
    expect(title.text).toBe('Fixing the parser');
    expect(title.finish).toEqual(['stop']);

    const call = s1.toolCalls[0];
    const s2 = await readChatStream(
      await chat(
        {
          ...common,
          messages: [
            ...system,
            prompt,
            { role: 'assistant', content: '', tool_calls: [{ id: call.id, type: 'function', function: { name: 'read', arguments: call.args } }] },
            { role: 'tool', tool_call_id: call.id, content: 'function parse() {}' },
          ],
        },
        headers,
      ),
    );
    expect(s2.status).toBe(200);
    expect(s2.text).toBe('results: function parse() {}');
    expect(s2.finish).toEqual(['stop']);
    expect(s2.usage).toBeDefined();

    const [u1, uTitle, u2] = upstream.messageRequests;
    expect(uTitle.body.model).toBe('claude-haiku-4-5');
    expect(uTitle.body.tools).toEqual([]);
    expect(systemText(uTitle.body)).toContain('You are a title generator');
    expect(uTitle.headers['x-claude-code-session-id']).not.toBe(u1.headers['x-claude-code-session-id']);
    expect(u2.headers['x-claude-code-session-id']).toBe(u1.headers['x-claude-code-session-id']);
    expect(systemText(u1.body)).toContain('You are opencode');
    expect(systemText(u1.body)).toContain('Working directory: /home/u/proj');
    const tr = toolResultsOf(u2);
    expect(tr.map((r) => r.tool_use_id)).toEqual([call.id]);
    expect(resultText(tr[0])).toBe('function parse() {}');
    // The upstream history has the call as a real tool_use, not text.
    const turns = conversationTurns(u2.body);
    expect(turns.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(turns[1].content.find((b: any) => b.type === 'tool_use')).toMatchObject({ id: call.id, name: 'mcp__client__read' });
  });
});

describe('Vercel AI SDK (openai-compatible)', () => {
  const headers = { authorization: 'Bearer maxproxy', 'user-agent': 'ai-sdk/openai-compatible/2.0.0 ai-sdk/provider-utils/4.0.0 runtime/node.js/20' };
  const tools = [
    {
      type: 'function',
      function: {
        name: 'weather',
        description: 'Get the weather in a location',
        parameters: {
          type: 'object',
          properties: { location: { type: 'string' } },
          required: ['location'],
          additionalProperties: false,
          $schema: 'http://json-schema.org/draft-07/schema#',
        },
      },
    },
    {
      type: 'function',
      function: { name: 'read', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
    },
  ];

  it('generateText with tools: content:null on the tool-call turn, results continue the same CLI session', async () => {
    const messages: any[] = [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'quietcall:read,weather please' },
    ];
    const r1 = await chat({ model: MODEL, messages, tools, tool_choice: 'auto' }, headers);
    expect(r1.status).toBe(200);
    const j1 = await r1.json();
    expect(j1.choices[0].finish_reason).toBe('tool_calls');
    expect(j1.choices[0].message.content).toBeNull();
    const calls = j1.choices[0].message.tool_calls;
    expect(calls.map((c: any) => c.function.name)).toEqual(['read', 'weather']);
    for (const c of calls) expect(c.type).toBe('function');
    const up1 = upstream.messageRequests[0].body;
    expect(up1.tools.find((t: any) => t.name === 'mcp__client__weather').input_schema).toEqual(tools[0].function.parameters);

    // The AI SDK re-sends the step with content:null and one tool message per result.
    messages.push(
      {
        role: 'assistant',
        content: null,
        tool_calls: calls.map((c: any) => ({ id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } })),
      },
      { role: 'tool', tool_call_id: calls[0].id, content: '{"text":"hello"}' },
      { role: 'tool', tool_call_id: calls[1].id, content: '{"temperature":21}' },
    );
    const r2 = await chat({ model: MODEL, messages, tools, tool_choice: 'auto' }, headers);
    expect(r2.status).toBe(200);
    const j2 = await r2.json();
    const [a, b] = upstream.messageRequests;
    // Both results in one upstream message; the parallel (read-only) calls finish in any
    // order and the CLI sends their results in that order.
    const sent = toolResultsOf(b);
    expect(sent.map((r) => r.tool_use_id).sort()).toEqual(calls.map((c: any) => c.id).sort());
    const outputOf: Record<string, string> = { [calls[0].id]: '{"text":"hello"}', [calls[1].id]: '{"temperature":21}' };
    expect(j2.choices[0].message.content).toBe(`results: ${sent.map((r) => outputOf[r.tool_use_id]).join(' | ')}`);
    expect(j2.choices[0].finish_reason).toBe('stop');
    expect(j2.usage).toMatchObject({ prompt_tokens: 530, completion_tokens: 6 });
    expect(b.headers['x-claude-code-session-id']).toBe(a.headers['x-claude-code-session-id']);
  });

  it('streamText without stream_options: no usage chunk, one [DONE]', async () => {
    const s = await readChatStream(await chat({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'stream please' }] }, headers));
    expect(s.status).toBe(200);
    expect(s.doneCount).toBe(1);
    expect(s.text).toBe('echo: stream please');
    expect(s.finish).toEqual(['stop']);
    expect(s.chunks.every((c) => c.choices.length === 1)).toBe(true);
  });

  it('rebuilds a tool history with content:null it never saw as structured tool_use/tool_result', async () => {
    const r = await chat(
      {
        model: MODEL,
        tools,
        messages: [
          { role: 'user', content: 'What is the weather in Oslo?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_vercel_1', type: 'function', function: { name: 'weather', arguments: '{"location":"Oslo"}' } }],
          },
          { role: 'tool', tool_call_id: 'call_vercel_1', content: '{"temperature":4}' },
        ],
      },
      headers,
    );
    expect(r.status).toBe(200);
    expect((await r.json()).choices[0].message.content).toBe('results: {"temperature":4}');
    const turns = conversationTurns(upstream.messageRequests[0].body);
    expect(turns.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(turns[1].content.find((b: any) => b.type === 'tool_use')).toMatchObject({
      id: 'call_vercel_1',
      name: 'mcp__client__weather',
      input: { location: 'Oslo' },
    });
    expect(toolResultsOf(upstream.messageRequests[0])[0].tool_use_id).toBe('call_vercel_1');
  });
});

/** The recorded-shape requests kept beside the translators (src/api/<format>/testdata), replayed end to end. */
describe('recorded request fixtures, end to end', () => {
  const fixture = (rel: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'src/api', rel), 'utf8'));
  const sse = async (res: Response) =>
    (await res.text())
      .split('\n\n')
      .map((c) => c.split('\n').filter((l) => l && !l.startsWith(':')))
      .filter((ls) => ls.length)
      .map((ls) => ({
        event: ls.find((l) => l.startsWith('event: '))?.slice(7),
        data: JSON.parse(
          ls
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n'),
        ),
      }));

  it('OpenClaw anthropic-messages (tool result in history it never saw, server tool, thinking, metadata)', async () => {
    const body = fixture('anthropic/testdata/openclaw-messages.request.json');
    const res = await fetch(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-openclaw', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const events = await sse(res);
    expect(events[0].event).toBe('message_start');
    expect(events.at(-1)!.event).toBe('message_stop');
    const text = events
      .filter((e) => e.event === 'content_block_delta' && e.data.delta.type === 'text_delta')
      .map((e) => e.data.delta.text)
      .join('');
    expect(text.startsWith('results: - buy milk')).toBe(true);
    const up = upstream.messageRequests[0].body;
    // OpenClaw offers the hosted web_search tool: the CLI's WebSearch serves it (decision 091).
    expect(up.tools.map((t: any) => t.name).sort()).toEqual(['WebSearch', 'mcp__client__read_file']);
    const turns = conversationTurns(up);
    expect(turns.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(turns[1].content.find((b: any) => b.type === 'tool_use')).toMatchObject({
      id: 'toolu_01A',
      name: 'mcp__client__read_file',
      input: { path: 'todo.md' },
    });
    expect(toolResultsOf(upstream.messageRequests[0]).map((r) => r.tool_use_id)).toEqual(['toolu_01A']);
  });

  it('OpenClaw openai-completions (developer prompt, rewritten id, trailing internal context)', async () => {
    const body = fixture('openai/testdata/openclaw-chat.request.json');
    const s = await readChatStream(
      await fetch(`${proxy.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        body: JSON.stringify(body),
      }),
    );
    expect(s.status).toBe(200);
    expect(s.doneCount).toBe(1);
    expect(s.text.startsWith('results: Paris: 18°C, sunny')).toBe(true);
    expect(s.finish).toEqual(['stop']);
    expect(s.usage).toBeDefined();
    const up = upstream.messageRequests[0].body;
    expect(up.tools.map((t: any) => t.name).sort()).toEqual(['mcp__client__read', 'mcp__client__web_fetch']);
    const turns = conversationTurns(up);
    expect(turns.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(clientTexts(turns[0].content)).toEqual(["What's the weather in Paris?", '<internal-context>time: 09:00</internal-context>']);
    expect(turns[1].content.find((b: any) => b.type === 'tool_use')).toMatchObject({ id: 'call01ab', name: 'mcp__client__web_fetch' });
  });

  it('Codex responses (namespace + hosted + custom tools, reasoning item, function calls with ids, store:false)', async () => {
    // Codex users point it at a Claude model; the fixture's own model name is OpenAI's.
    const body = { ...fixture('responses/testdata/codex-responses.request.json'), model: MODEL };
    const res = await fetch(`${proxy.baseURL}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x', 'session-id': '0199c0de-thread' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const events = await sse(res);
    expect(events[0].event).toBe('response.created');
    expect(events.at(-1)!.event).toBe('response.completed');
    for (const [i, e] of events.entries()) expect(e.data.sequence_number).toBe(i);
    const out = events.at(-1)!.data.response.output;
    expect(out.at(-1).content[0].text.startsWith('echo: Thanks')).toBe(true);
    const up = upstream.messageRequests[0].body;
    // The freeform apply_patch is offered too, as a tool of one string (decision 092).
    // Codex offers the hosted web_search tool too: served by the CLI's WebSearch (decision 091).
    expect(up.tools.map((t: any) => t.name).sort()).toEqual([
      'WebSearch',
      'mcp__client__apply_patch',
      'mcp__client__mcp__github__search',
      'mcp__client__shell',
    ]);
    expect(up.tools.find((t: any) => t.name === 'mcp__client__apply_patch').input_schema.required).toEqual(['input']);
    const turns = conversationTurns(up);
    expect(turns.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant', 'user']);
    const uses = turns.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [])).filter((b: any) => b.type === 'tool_use');
    expect(uses.map((b: any) => [b.id, b.name])).toEqual([
      ['toolu_01', 'mcp__client__shell'],
      ['toolu_02', 'mcp__client__mcp__github__search'],
    ]);
    expect(systemText(up)).toContain('You are Codex, a coding agent.');
    expect(systemText(up)).toContain('<permissions>sandbox: workspace-write</permissions>');
  });
});
