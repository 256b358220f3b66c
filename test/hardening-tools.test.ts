/**
 * Only the client's own, currently offered tools ever reach the client (issue 13, defect 6):
 * a CLI built-in (`Bash`), a never-registered `mcp__client__x`, a bare tool name, and a
 * client tool hidden by tool_choice "none" are held back on all three APIs, streamed or
 * not; the CLI refuses them itself and the turn ends with the model's next answer.
 */
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { clientTexts } from './harness.js';
import type { MockReply, RecordedRequest } from './mock-upstream.js';
import { proxySuite } from './proxy-suite.js';

const FOREIGN: Record<string, string> = { bash: 'Bash', ghost: 'mcp__client__ghost', bare: 'get_time', hidden: 'mcp__client__get_time' };

/** The last user message (the CLI may append a system message of its own after it). */
const lastUser = (r: RecordedRequest): any => [...r.body.messages].reverse().find((m: any) => m.role === 'user');
const lastContent = (r: RecordedRequest): any[] => {
  const c = lastUser(r)?.content;
  return Array.isArray(c) ? c : [];
};

/** Calls the foreign tool the prompt names; once the CLI has answered the call, says what it got. */
const responder = (r: RecordedRequest): MockReply => {
  const result = lastContent(r).find((b) => b.type === 'tool_result');
  if (result) return { blocks: [{ type: 'text', text: `after refusal (${result.is_error ? 'error' : 'ok'})` }] };
  const prompt = clientTexts(lastUser(r).content).join(' ');
  const kind = Object.keys(FOREIGN).find((k) => prompt.includes(`use:${k}`));
  if (!kind) return { blocks: [{ type: 'text', text: 'plain' }] };
  return {
    blocks: [
      { type: 'text', text: 'Running it. ' },
      { type: 'tool_use', id: `toolu_foreign_${kind}_${Math.random().toString(36).slice(2, 8)}`, name: FOREIGN[kind], input: { command: 'rm -rf ~' } },
    ],
    stopReason: 'tool_use',
  };
};

const suite = proxySuite({ args: ['--warm-spares', '0'], responder });

const chatTools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_time', description: 'Local time', parameters: { type: 'object', properties: {} } } },
];
const cases = Object.keys(FOREIGN).map((k) => [k, k === 'hidden' ? 'none' : 'auto'] as const);

/** The CLI refused the call itself: its next upstream request carries an error result for it. */
function expectRefusedUpstream(kind: string): void {
  const reqs = suite.upstream.messageRequests;
  const call = reqs.findIndex((r) => clientTexts(lastUser(r).content).join(' ').includes(`use:${kind}`));
  expect(call).toBeGreaterThanOrEqual(0);
  const next = reqs[call + 1];
  expect(next).toBeDefined();
  const result = lastContent(next).find((b) => b.type === 'tool_result');
  expect(result?.is_error).toBe(true);
}

describe.each(cases)('%s (tool_choice %s)', (kind, choice) => {
  it('chat completions, non-streaming and streaming: no tool_calls, finish_reason stop', async () => {
    const r = await suite.openai.chat.completions.create({
      model: 'sonnet',
      tools: chatTools,
      tool_choice: choice,
      messages: [{ role: 'user', content: `use:${kind}` }],
    });
    expect(r.choices[0].message.tool_calls ?? []).toEqual([]);
    expect(r.choices[0].finish_reason).toBe('stop');
    expect(r.choices[0].message.content).toContain('after refusal (error)');
    expectRefusedUpstream(kind);

    suite.upstream.reset();
    suite.upstream.setResponder(responder);
    const s = await suite.openai.chat.completions.create({
      model: 'sonnet',
      stream: true,
      tools: chatTools,
      tool_choice: choice,
      messages: [{ role: 'user', content: `use:${kind} (stream)` }],
    });
    let text = '';
    const finish: string[] = [];
    for await (const c of s) {
      expect(c.choices[0]?.delta?.tool_calls ?? []).toEqual([]);
      text += c.choices[0]?.delta?.content ?? '';
      if (c.choices[0]?.finish_reason) finish.push(c.choices[0].finish_reason);
    }
    expect(finish).toEqual(['stop']);
    expect(text).toContain('after refusal (error)');
  }, 120_000);

  it('messages: no tool_use block, stop_reason end_turn', async () => {
    const m = await suite.anthropic.messages.create({
      model: 'sonnet',
      max_tokens: 256,
      tools: [{ name: 'get_time', description: 'Local time', input_schema: { type: 'object', properties: {} } }],
      tool_choice: { type: choice === 'none' ? 'none' : 'auto' },
      messages: [{ role: 'user', content: `use:${kind}` }],
    });
    expect(m.content.filter((b) => b.type === 'tool_use')).toEqual([]);
    expect(m.stop_reason).toBe('end_turn');
    expect(JSON.stringify(m.content)).toContain('after refusal (error)');
    expectRefusedUpstream(kind);
  }, 120_000);

  it('responses: no function_call item', async () => {
    const r = await suite.openai.responses.create({
      model: 'sonnet',
      tools: [{ type: 'function', name: 'get_time', description: 'Local time', parameters: { type: 'object', properties: {} }, strict: false }],
      tool_choice: choice,
      input: `use:${kind}`,
    });
    expect(r.output.filter((o) => o.type === 'function_call')).toEqual([]);
    expect(r.output_text).toContain('after refusal (error)');
    expectRefusedUpstream(kind);
  }, 120_000);
});
