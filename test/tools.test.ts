/**
 * Client tool calling through the real CLI: the client's tools reach upstream as real
 * tools (schemas intact, no built-ins), calls come back to the client, results go
 * back into the same waiting CLI turn.
 */

import fs from 'node:fs';
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { childClaudePids, clientTexts, systemText, waitFor } from './harness.js';
import type { MockReply, RecordedRequest } from './mock-upstream.js';
import { proxySuite } from './proxy-suite.js';

const weatherSchema = {
  type: 'object',
  properties: {
    city: { type: 'string', description: 'City name' },
    unit: { type: 'string', enum: ['c', 'f'] },
    when: { anyOf: [{ type: 'string', format: 'date' }, { type: 'null' }] },
    opts: { $ref: '#/$defs/opts' },
  },
  required: ['city'],
  additionalProperties: false,
  $defs: { opts: { type: 'object', properties: { verbose: { type: 'boolean', default: false } } } },
};

/** Last message's tool results, if the CLI is sending them back. */
const toolResults = (req: RecordedRequest): any[] => {
  const last = req.body.messages.at(-1);
  return Array.isArray(last.content) ? last.content.filter((b: any) => b.type === 'tool_result') : [];
};

/** Calls the tools named in the prompt ("call:get_weather,get_time"), then summarises the results it gets back. */
const toolResponder = (req: RecordedRequest): MockReply => {
  const results = toolResults(req);
  if (results.length) {
    // The CLI may add its own <system-reminder> text to the last tool result.
    const texts = results.map((r: any) =>
      (typeof r.content === 'string' ? [r.content] : r.content.map((c: any) => String(c.text ?? '')))
        .join('\n')
        .replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '')
        .trim(),
    );
    return { blocks: [{ type: 'text', text: [`results: `, texts.join(' | ')] }], usage: { input_tokens: 30, output_tokens: 6 } };
  }
  const prompt = clientTexts(req.body.messages.at(-1).content).join(' ');
  const m = /call:([\w,]+)/.exec(prompt);
  if (!m) return { blocks: [{ type: 'text', text: 'no tools needed' }] };
  return {
    blocks: [
      { type: 'text', text: 'Let me check.' },
      ...m[1]
        .split(',')
        .map((name, i) => ({ type: 'tool_use' as const, id: `toolu_01_${name}_${i}`, name: `mcp__client__${name}`, input: { city: `C${i}`, unit: 'c' } })),
    ],
    usage: { input_tokens: 20, output_tokens: 15 },
  };
};

// No warm spares: one test counts the CLI processes this proxy runs.
// The idle timeout must outlast a cold CLI start on a loaded machine (20 concurrent starts below).
const suite = proxySuite({ args: ['--idle-timeout-ms', '60000', '--warm-spares', '0', '--max-concurrent', '8'], responder: toolResponder });

const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: weatherSchema } },
  {
    type: 'function',
    function: { name: 'get_time', description: 'Local time', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
];

describe('OpenAI chat tool calls', () => {
  it('round trip (non-streaming): schemas intact upstream, calls to the client, results into the same CLI turn', async () => {
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'call:get_weather' }];
    const r1 = await suite.openai.chat.completions.create({ model: 'claude-sonnet-4-6', messages, tools });
    expect(r1.choices[0].finish_reason).toBe('tool_calls');
    const calls = r1.choices[0].message.tool_calls!;
    expect(calls).toHaveLength(1);
    expect(calls[0].type === 'function' && calls[0].function.name).toBe('get_weather');
    expect(calls[0].type === 'function' && JSON.parse(calls[0].function.arguments)).toEqual({ city: 'C0', unit: 'c' });
    expect(r1.choices[0].message.content).toBe('Let me check.');

    const up1 = suite.upstream.messageRequests[0].body;
    const upTools = up1.tools.map((t: any) => t.name).sort();
    expect(upTools).toEqual(['mcp__client__get_time', 'mcp__client__get_weather']);
    expect(up1.tools.find((t: any) => t.name === 'mcp__client__get_weather').input_schema).toEqual(weatherSchema);

    messages.push(r1.choices[0].message, { role: 'tool', tool_call_id: calls[0].id, content: 'sunny, 21C' });
    const r2 = await suite.openai.chat.completions.create({ model: 'claude-sonnet-4-6', messages, tools });
    expect(r2.choices[0].message.content).toBe('results: sunny, 21C');
    expect(r2.choices[0].finish_reason).toBe('stop');
    const [u1, u2] = suite.upstream.messageRequests;
    expect(u2.headers['x-claude-code-session-id']).toBe(u1.headers['x-claude-code-session-id']);
    const tr = toolResults(u2);
    expect(tr).toHaveLength(1);
    expect(tr[0].tool_use_id).toBe(calls[0].id);
    expect(JSON.stringify(tr[0].content)).toContain('sunny, 21C');
    expect(r2.usage?.prompt_tokens).toBe(30);
  });

  it("keeps the tool server's token off the CLI's command line (a 0600 file holds it)", async () => {
    const r1 = await suite.openai.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'call:get_time' }], tools });
    expect(r1.choices[0].finish_reason).toBe('tool_calls');
    // The process waits for the tool result: it is alive, its command line is readable.
    const pids = childClaudePids(suite.proxy.child.pid!);
    expect(pids.length).toBeGreaterThan(0);
    let files = 0;
    for (const pid of pids) {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(argv.join(' ')).not.toMatch(/\/mcp\/[0-9a-f]{32}/);
      const i = argv.indexOf('--mcp-config');
      if (i < 0) continue;
      const file = argv[i + 1];
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(file, 'utf8')).toMatch(/"url":"http:\/\/127\.0\.0\.1:\d+\/mcp\/[0-9a-f]{32}"/);
      files++;
    }
    expect(files).toBeGreaterThan(0);
    const calls = r1.choices[0].message.tool_calls!;
    const r2 = await suite.openai.chat.completions.create({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'call:get_time' }, r1.choices[0].message, { role: 'tool', tool_call_id: calls[0].id, content: '12:00' }],
      tools,
    });
    expect(r2.choices[0].message.content).toBe('results: 12:00');
  });

  it('streams parallel tool calls with ids and names first, then argument fragments', async () => {
    const stream = await suite.openai.chat.completions.create({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'call:get_weather,get_time' }],
      tools,
      stream: true,
    });
    const calls: Record<number, { id?: string; name?: string; args: string }> = {};
    let finish: string | null = null;
    for await (const c of stream) {
      for (const tc of c.choices[0]?.delta?.tool_calls ?? []) {
        calls[tc.index] ??= { args: '' };
        if (tc.id) {
          expect(calls[tc.index].args).toBe('');
          calls[tc.index].id = tc.id;
          calls[tc.index].name = tc.function?.name;
        }
        calls[tc.index].args += tc.function?.arguments ?? '';
      }
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(Object.values(calls).map((c) => c.name)).toEqual(['get_weather', 'get_time']);
    expect(Object.values(calls).map((c) => JSON.parse(c.args).city)).toEqual(['C0', 'C1']);
  });

  it('runTools helper completes the loop with both results in one upstream message', async () => {
    const runner = suite.openai.chat.completions.runTools({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'call:get_weather,get_time' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather in a city',
            parameters: weatherSchema as never,
            parse: JSON.parse,
            function: (a: { city: string }) => `weather in ${a.city}: rain`,
          },
        },
        {
          type: 'function',
          function: {
            name: 'get_time',
            description: 'Time in a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
            parse: JSON.parse,
            function: (a: { city: string }) => `time in ${a.city}: noon`,
          },
        },
      ],
    });
    const text = await runner.finalContent();
    const last = suite.upstream.messageRequests.at(-1)!;
    expect(toolResults(last)).toHaveLength(2);
    // Both results in one upstream message; the parallel (read-only) calls finish in any
    // order and the CLI sends their results in that order.
    const byName: Record<string, string> = { get_weather: 'weather in C0: rain', get_time: 'time in C1: noon' };
    const names = Object.fromEntries(
      last.body.messages
        .flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
        .filter((b: any) => b.type === 'tool_use')
        .map((b: any) => [b.id, b.name.replace('mcp__client__', '')]),
    );
    expect(text).toBe(
      `results: ${toolResults(last)
        .map((r: any) => byName[names[r.tool_use_id]])
        .join(' | ')}`,
    );
    expect(suite.upstream.messageRequests).toHaveLength(2);
  });

  it('matches tool-call ids that a client rewrote (OpenClaw strips "_")', async () => {
    const r1 = await suite.openai.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'call:get_time' }], tools });
    const call = r1.choices[0].message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
    const rewritten = call.id.replace(/_/g, '');
    expect(rewritten).not.toBe(call.id);
    const r2 = await suite.openai.chat.completions.create({
      model: 'claude-sonnet-4-6',
      tools,
      messages: [
        { role: 'user', content: 'call:get_time' },
        { role: 'assistant', content: r1.choices[0].message.content, tool_calls: [{ ...call, id: rewritten }] },
        { role: 'tool', tool_call_id: rewritten, content: '12:00' },
        { role: 'user', content: 'internal context: none' },
      ],
    });
    expect(r2.choices[0].message.content).toBe('results: 12:00\ninternal context: none');
    const [u1, u2] = suite.upstream.messageRequests;
    expect(u2.headers['x-claude-code-session-id']).toBe(u1.headers['x-claude-code-session-id']);
  });

  it('continues the waiting turn when the client drops the assistant text of the tool-call turn (content:null)', async () => {
    const r1 = await suite.openai.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'call:get_time' }], tools });
    expect(r1.choices[0].message.content).toBe('Let me check.');
    const call = r1.choices[0].message.tool_calls![0];
    const r2 = await suite.openai.chat.completions.create({
      model: 'claude-sonnet-4-6',
      tools,
      messages: [
        { role: 'user', content: 'call:get_time' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '07:15' },
      ],
    });
    expect(r2.choices[0].message.content).toBe('results: 07:15');
    const [u1, u2] = suite.upstream.messageRequests;
    expect(u2.headers['x-claude-code-session-id']).toBe(u1.headers['x-claude-code-session-id']);
  });

  it('rebuilds a tool-call history the proxy never saw as structured tool_use/tool_result', async () => {
    const r = await suite.openai.chat.completions.create({
      model: 'claude-sonnet-4-6',
      tools,
      messages: [
        { role: 'system', content: 'You are the rebuild test.' },
        { role: 'user', content: 'call:get_time' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_time', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_abc', content: '09:30' },
      ],
    });
    expect(r.choices[0].message.content).toBe('results: 09:30');
    const body = suite.upstream.messageRequests[0].body;
    expect(body.messages.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user']);
    const use = body.messages[1].content.find((b: any) => b.type === 'tool_use');
    expect(use).toMatchObject({ id: 'call_abc', name: 'mcp__client__get_time', input: { city: 'Oslo' } });
    expect(toolResults(suite.upstream.messageRequests[0])[0].tool_use_id).toBe('call_abc');
    // The client's system prompt (not Claude Code's default agent prompt) even though the CLI
    // starts this turn by itself before the SDK's initialize request is applied.
    expect(systemText(body)).toContain('You are the rebuild test.');
    expect(systemText(body)).not.toContain('# Doing tasks');
  });

  it('20 concurrent rebuilt tool-result turns all answer, and every upstream request carries the client tools', async () => {
    // The CLI starts such a turn by itself; the tools come from an MCP server on its command
    // line, connected before that turn, so no request without them may reach the upstream.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        suite.openai.chat.completions.create({
          model: 'claude-sonnet-4-6',
          tools,
          messages: [
            { role: 'system', content: `race ${i}` },
            { role: 'user', content: `call:get_time ${i}` },
            { role: 'assistant', content: null, tool_calls: [{ id: `call_race_${i}`, type: 'function', function: { name: 'get_time', arguments: '{}' } }] },
            { role: 'tool', tool_call_id: `call_race_${i}`, content: `r${i}` },
          ],
        }),
      ),
    );
    for (const [i, a] of answers.entries()) expect(a.choices[0].message.content).toBe(`results: r${i}`);
    const up = suite.upstream.messageRequests;
    expect(up).toHaveLength(20);
    for (const r of up) expect(r.body.tools.map((t: any) => t.name).sort()).toEqual(['mcp__client__get_time', 'mcp__client__get_weather']);
    for (let i = 0; i < 20; i++) expect(up.filter((r) => systemText(r.body).endsWith(`race ${i}`))).toHaveLength(1);
    // No turn had to be started again for want of its tools.
    expect(suite.proxy.output()).not.toContain('client tools were not ready');
  }, 600_000);

  it('tool_choice none hides the tools for that turn', async () => {
    await suite.openai.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'just chat' }], tools, tool_choice: 'none' });
    expect(suite.upstream.messageRequests[0].body.tools ?? []).toEqual([]);
    // Hiding them is per turn and per process: the next conversation has its tools.
    await suite.openai.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'chat with tools' }], tools });
    expect(suite.upstream.messageRequests[1].body.tools.map((t: any) => t.name)).toContain('mcp__client__get_time');
  });

  it('ends the waiting turn and its process when the client never returns results', async () => {
    const pid = suite.proxy.child.pid!;
    const before = new Set(childClaudePids(pid));
    await suite.openai.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'call:get_time' }], tools });
    const waiting = childClaudePids(pid).filter((p) => !before.has(p));
    expect(waiting).toHaveLength(1);
    // --idle-timeout-ms 60000: the suspended turn is given up and its process ends.
    await waitFor(() => !childClaudePids(pid).includes(waiting[0]), 120_000, 500);
  }, 180_000);
});

describe('Anthropic messages tool calls', () => {
  it('tool_use round trip with .stream() and finalMessage()', async () => {
    const atools: Anthropic.Tool[] = [{ name: 'get_weather', description: 'Weather', input_schema: weatherSchema as never }];
    const s = suite.anthropic.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 1024,
      tools: atools,
      messages: [{ role: 'user', content: 'call:get_weather' }],
    });
    const m1 = await s.finalMessage();
    expect(m1.stop_reason).toBe('tool_use');
    const use = m1.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(use.name).toBe('get_weather');
    expect(use.input).toEqual({ city: 'C0', unit: 'c' });
    const m2 = await suite.anthropic.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 1024,
      tools: atools,
      messages: [
        { role: 'user', content: 'call:get_weather' },
        { role: 'assistant', content: m1.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: [{ type: 'text', text: 'hail' }], is_error: true }] },
      ],
    });
    expect(m2.content).toEqual([{ type: 'text', text: 'results: hail' }]);
    const tr = toolResults(suite.upstream.messageRequests[1]);
    expect(tr[0].is_error).toBe(true);
    expect(suite.upstream.messageRequests[1].headers['x-claude-code-session-id']).toBe(suite.upstream.messageRequests[0].headers['x-claude-code-session-id']);
  });
});

describe('Responses API tool calls', () => {
  it('function_call items out, function_call_output back in, via responses.stream()', async () => {
    const rtools: OpenAI.Responses.Tool[] = [
      { type: 'function', name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false },
    ];
    const s1 = suite.openai.responses.stream({ model: 'claude-sonnet-4-6', input: 'call:get_time', tools: rtools });
    const r1 = await s1.finalResponse();
    const fc = r1.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(fc.name).toBe('get_time');
    const s2 = suite.openai.responses.stream({
      model: 'claude-sonnet-4-6',
      tools: rtools,
      input: [
        { role: 'user', content: 'call:get_time' },
        ...r1.output.filter((o) => o.type !== 'reasoning'),
        { type: 'function_call_output', call_id: fc.call_id, output: '23:59' },
      ] as never,
    });
    const r2 = await s2.finalResponse();
    expect(r2.output_text).toBe('results: 23:59');
    expect(r2.status).toBe('completed');
    expect(suite.upstream.messageRequests[1].headers['x-claude-code-session-id']).toBe(suite.upstream.messageRequests[0].headers['x-claude-code-session-id']);
  });
});
