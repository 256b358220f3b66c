/**
 * Freeform (`custom`) tools on the Responses API, through the real Claude Code CLI against
 * the recording mock upstream, driven by the official `openai` client: the tool reaches the
 * upstream as one string input with its grammar in the description, the model's call comes
 * back as a `custom_tool_call` with the raw text, and `custom_tool_call_output` continues
 * the same turn (streamed and not). Also the answer of POST /v1/responses/compact.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MockUpstream, type RunningProxy, startProxy } from './harness.js';

let upstream: MockUpstream;
let proxy: RunningProxy;
let client: OpenAI;

const MODEL = 'claude-sonnet-4-6';
const GRAMMAR = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\nend_patch: "*** End Patch" LF?';
const PATCH = '*** Begin Patch\n*** Update File: hello.txt\n@@\n-hello\n+hello, "patched"\n*** End Patch';
const applyPatch = {
  type: 'custom' as const,
  name: 'apply_patch',
  description: 'Use the `apply_patch` tool to edit files.',
  format: { type: 'grammar' as const, syntax: 'lark' as const, definition: GRAMMAR },
};

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({ upstream, args: ['--idle-timeout-ms', '20000'] });
  client = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'unused', maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

beforeEach(() => upstream.reset());

const callReply = (id: string) => ({ blocks: [{ type: 'tool_use' as const, id, name: 'mcp__client__apply_patch', input: { input: PATCH } }] });

/** What the upstream got as tool_result content for `id` (all requests, last first). */
function upstreamToolResult(id: string): string | undefined {
  for (const req of [...upstream.messageRequests].reverse()) {
    for (const m of req.body.messages ?? []) {
      for (const b of Array.isArray(m.content) ? m.content : []) {
        if (b.type === 'tool_result' && b.tool_use_id === id) {
          return typeof b.content === 'string' ? b.content : b.content.map((c: any) => c.text ?? '').join('');
        }
      }
    }
  }
  return undefined;
}

describe('custom (freeform) tools', () => {
  it('offers one string input with the grammar, answers custom_tool_call, continues with custom_tool_call_output', async () => {
    upstream.enqueue(callReply('toolu_ff_1'), { blocks: [{ type: 'text', text: 'Patched.' }] });
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Change hello.txt' }];
    const raw = await client.responses.create({ model: MODEL, input, tools: [applyPatch], store: false }).withResponse();
    const first = raw.data;
    expect(raw.response.headers.get('x-maxproxy-ignored')).toContain('tools.0.format');

    const up = upstream.messageRequests[0].body;
    const offered = up.tools.find((t: any) => t.name === 'mcp__client__apply_patch');
    expect(offered.input_schema).toMatchObject({ type: 'object', properties: { input: { type: 'string' } }, required: ['input'] });
    expect(offered.description).toContain('Use the `apply_patch` tool to edit files.');
    expect(offered.description).toContain(GRAMMAR);

    expect(first.output).toEqual([
      expect.objectContaining({ type: 'custom_tool_call', call_id: 'toolu_ff_1', name: 'apply_patch', input: PATCH, status: 'completed' }),
    ]);
    expect(first.output.some((o) => o.type === 'function_call')).toBe(false);

    const call = first.output[0] as OpenAI.Responses.ResponseCustomToolCall;
    const second = await client.responses.create({
      model: MODEL,
      store: false,
      tools: [applyPatch],
      input: [
        ...input,
        { type: 'custom_tool_call', call_id: call.call_id, name: call.name, input: call.input },
        { type: 'custom_tool_call_output', call_id: call.call_id, output: 'Success. Updated the following files:\nM hello.txt' },
      ],
    });
    expect(second.output_text).toBe('Patched.');
    expect(upstreamToolResult('toolu_ff_1')).toContain('Success. Updated the following files:\nM hello.txt');
    // The same CLI turn went on (the result answered the suspended call): two model requests in all.
    expect(upstream.messageRequests).toHaveLength(2);
  }, 120_000);

  it('streams custom_tool_call_input deltas whose concatenation is the raw patch', async () => {
    upstream.enqueue(callReply('toolu_ff_2'), { blocks: [{ type: 'text', text: 'Done.' }] });
    const stream = await client.responses.create({ model: MODEL, input: 'Change hello.txt', tools: [applyPatch], store: false, stream: true });
    const types: string[] = [];
    let deltas = '';
    let done: any;
    let completed: OpenAI.Responses.Response | undefined;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.custom_tool_call_input.delta') deltas += ev.delta;
      if (ev.type === 'response.output_item.done') done = ev.item;
      if (ev.type === 'response.completed') completed = ev.response;
    }
    expect(deltas).toBe(PATCH);
    expect(done).toMatchObject({ type: 'custom_tool_call', call_id: 'toolu_ff_2', name: 'apply_patch', input: PATCH });
    const order = [
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ];
    const at = order.map((t) => types.indexOf(t));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(completed?.output).toEqual([done]);

    // A history rebuilt from scratch (another conversation id, so no live process matches).
    const rebuilt = await client.responses.create({
      model: MODEL,
      store: false,
      tools: [applyPatch],
      prompt_cache_key: 'freeform-rebuilt',
      input: [
        { role: 'user', content: 'Change hello.txt (again)' },
        { type: 'custom_tool_call', call_id: 'call_old', name: 'apply_patch', input: PATCH },
        { type: 'custom_tool_call_output', call_id: 'call_old', output: 'Success. M hello.txt' },
        { role: 'user', content: 'Thanks, now say ok' },
      ],
    });
    expect(rebuilt.status).toBe('completed');
    const last = upstream.messageRequests.at(-1)!.body;
    const uses = last.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [])).filter((b: any) => b.type === 'tool_use');
    expect(uses).toEqual([expect.objectContaining({ name: 'mcp__client__apply_patch', input: { input: PATCH } })]);
    expect(upstreamToolResult(uses[0].id)).toContain('Success. M hello.txt');
  }, 120_000);
});

describe('POST /v1/responses/compact', () => {
  it('answers a clear 404 in the OpenAI error format, reaching no model', async () => {
    const r = await fetch(`${proxy.baseURL}/responses/compact`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, input: [{ role: 'user', content: 'hi' }], instructions: 'x' }),
    });
    expect(r.status).toBe(404);
    const body = (await r.json()) as { error: { code: string; message: string; type: string } };
    expect(body.error.code).toBe('compaction_not_supported');
    expect(body.error.message).toContain('Codex compacts locally');
    expect(upstream.messageRequests).toHaveLength(0);
  });
});
