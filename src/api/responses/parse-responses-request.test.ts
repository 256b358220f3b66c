import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TurnMessage } from '../../turn/types.js';
import { errorOf } from '../testing/turn-failure.js';
import type { StoredConversation } from './history.js';
import { parseResponsesRequest } from './parse-responses-request.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`testdata/${name}`, import.meta.url), 'utf8'));
const noHeaders = { headers: {} };
const minimal = { model: 'gpt-5', input: 'hi' };
const parse = (extra: object, history?: (id: string) => StoredConversation | undefined) => parseResponsesRequest({ ...minimal, ...extra }, noHeaders, history);

describe('parseResponsesRequest', () => {
  it('translates a Codex-style request exactly (fixture)', () => {
    const parsed = parseResponsesRequest(fixture('codex-responses.request.json'), {
      headers: { 'user-agent': 'codex_cli_rs/0.169.0', 'session-id': 'ignored-because-prompt_cache_key-wins' },
    });
    expect({ request: parsed.request, ignored: parsed.ignored }).toEqual(fixture('codex-responses.expected.json'));
    expect([...parsed.namespacedTools]).toEqual([['mcp__github__search', { namespace: 'mcp__github', name: 'search' }]]);
    // instructions are not part of what is stored; developer messages are.
    expect(parsed.conversation).toEqual({
      system: '<permissions>sandbox: workspace-write</permissions>',
      messages: parsed.request.messages,
    });
  });

  it('accepts a minimal request, setting nothing optional', () => {
    expect(parseResponsesRequest(minimal, noHeaders)).toEqual({
      request: {
        model: 'gpt-5',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
        tools: [],
        conversation: { api: 'openai-responses' },
        stream: false,
      },
      ignored: [],
      conversation: { messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] },
      echo: {
        instructions: null,
        max_output_tokens: null,
        parallel_tool_calls: true,
        previous_response_id: null,
        reasoning: { effort: null, summary: null },
        store: true,
        temperature: 1,
        text: { format: { type: 'text' } },
        tool_choice: 'auto',
        tools: [],
        top_p: 1,
        truncation: 'disabled',
        user: null,
        metadata: {},
      },
      namespacedTools: new Map(),
      customTools: new Set(),
    });
  });

  it('echoes the request fields a response repeats', () => {
    const echo = parse({
      instructions: 'be terse',
      max_output_tokens: 50,
      parallel_tool_calls: false,
      reasoning: { effort: 'high', summary: 'auto' },
      store: false,
      temperature: 0.3,
      top_p: 0.5,
      text: { format: { type: 'json_object' } },
      tool_choice: 'none',
      truncation: 'auto',
      user: 'u1',
      metadata: { k: 'v' },
    }).echo;
    expect(echo).toEqual({
      instructions: 'be terse',
      max_output_tokens: 50,
      parallel_tool_calls: false,
      previous_response_id: null,
      reasoning: { effort: 'high', summary: 'auto' },
      store: false,
      temperature: 0.3,
      text: { format: { type: 'json_object' } },
      tool_choice: 'none',
      tools: [],
      top_p: 0.5,
      truncation: 'auto',
      user: 'u1',
      metadata: { k: 'v' },
    });
  });

  it('maps options: max_output_tokens, sampling, reasoning effort, text format, parallel calls', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const { request } = parse({
      max_output_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      parallel_tool_calls: false,
      reasoning: { effort: 'xhigh' },
      text: { format: { type: 'json_schema', name: 'out', schema, strict: true } },
    });
    expect(request).toMatchObject({
      maxTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      parallelToolCalls: false,
      effort: 'xhigh',
      responseFormat: { type: 'json_schema', name: 'out', schema, strict: true },
    });
    expect(parse({ reasoning: { effort: 'minimal' } }).request.effort).toBe('low');
    expect(parse({ reasoning: { effort: 'none' } }).request).toMatchObject({ thinking: { type: 'disabled' } });
    expect(parse({ reasoning: { effort: 'none' } }).request.effort).toBeUndefined();
    expect(parse({ reasoning: { effort: null } }).request.effort).toBeUndefined();
    expect(parse({ text: { format: { type: 'text' } } }).request.responseFormat).toEqual({ type: 'text' });
  });

  it('puts instructions first, then system/developer messages', () => {
    const { request } = parse({
      instructions: 'I',
      input: [
        { role: 'developer', content: 'D' },
        { role: 'user', content: 'u' },
        { role: 'system', content: 'S' },
      ],
    });
    expect(request.system).toBe('I\n\nD\n\nS');
  });

  it('takes the session id from x-session-id, then prompt_cache_key, then session-id', () => {
    const id = (headers: Record<string, string>, extra: object = {}) =>
      parseResponsesRequest({ ...minimal, ...extra }, { headers }).request.conversation.explicitId;
    expect(id({ 'x-session-id': 'h', 'session-id': 's' }, { prompt_cache_key: 'k' })).toBe('h');
    expect(id({ 'session-id': 's' }, { prompt_cache_key: 'k' })).toBe('k');
    expect(id({ 'session-id': 's' })).toBe('s');
    expect(id({}, { user: 'someone' })).toBeUndefined();
  });

  describe('previous_response_id', () => {
    const history: StoredConversation = {
      system: 'stored system',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'first' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
      ],
    };

    it('prepends the stored conversation and merges across the boundary without touching the store', () => {
      const before = structuredClone(history);
      const seen: string[] = [];
      const parsed = parse(
        {
          previous_response_id: 'resp_1',
          instructions: 'new instructions',
          input: [
            { type: 'function_call', call_id: 'toolu_2', name: 'g', arguments: '{}' },
            { type: 'function_call_output', call_id: 'toolu_1', output: 'r1' },
            { type: 'function_call_output', call_id: 'toolu_2', output: 'r2' },
          ],
        },
        (id) => {
          seen.push(id);
          return history;
        },
      );
      expect(seen).toEqual(['resp_1']);
      expect(parsed.request.system).toBe('new instructions\n\nstored system');
      expect(parsed.request.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: 'first' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} },
            { type: 'tool_use', id: 'toolu_2', name: 'g', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'r1' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: 'r2' },
          ],
        },
      ]);
      expect(parsed.request.messages[0]).toBe(history.messages[0]); // shared, not copied
      expect(history).toEqual(before);
      expect(parsed.conversation.system).toBe('stored system');
      expect(parsed.echo.previous_response_id).toBe('resp_1');
    });

    it('answers an unknown id (or no store) with 404 previous_response_not_found', () => {
      const expected = {
        kind: 'not_found',
        message: "Previous response with id 'resp_x' not found.",
        param: 'previous_response_id',
        code: 'previous_response_not_found',
      };
      expect(errorOf(() => parse({ previous_response_id: 'resp_x' }, () => undefined))).toEqual(expected);
      expect(errorOf(() => parse({ previous_response_id: 'resp_x' }))).toEqual(expected);
    });
  });

  it('accepts store, include, metadata, user, truncation, service_tier and unknown fields', () => {
    expect(parse({ store: false, include: ['reasoning.encrypted_content'], service_tier: 'auto', safety_identifier: 'x', extra: 1 }).request).toEqual(
      parseResponsesRequest(minimal, noHeaders).request,
    );
  });

  it('refuses what it cannot honour, and names the offending field', () => {
    const cases: [unknown, string | undefined, string][] = [
      ['nope', undefined, 'request body: expected a JSON object, got a string'],
      [{ input: 'x' }, 'model', 'model: field required'],
      [{ model: 'm' }, 'input', 'input: field required'],
      [{ model: 'm', input: [] }, 'input', 'input: at least one user or assistant item is required'],
      [{ model: 'm', input: [{ role: 'system', content: 's' }] }, 'input', 'input: at least one user or assistant item is required'],
      [{ ...minimal, background: true }, 'background', 'background: background responses are not supported; stream instead'],
      [
        { ...minimal, conversation: 'conv_1' },
        'conversation',
        'conversation: the Conversations API is not supported; use previous_response_id or send the history',
      ],
      [{ ...minimal, prompt: { id: 'pmpt_1' } }, 'prompt', 'prompt: stored prompt templates are not supported; send instructions and input'],
      [
        { ...minimal, reasoning: { effort: 'extreme' } },
        'reasoning.effort',
        "reasoning.effort: must be one of 'none', 'minimal', 'low', 'medium', 'high', 'xhigh', got 'extreme'",
      ],
      [
        { ...minimal, reasoning: { effort: 'constructor' } },
        'reasoning.effort',
        "reasoning.effort: must be one of 'none', 'minimal', 'low', 'medium', 'high', 'xhigh', got 'constructor'",
      ],
      [{ ...minimal, text: { format: { type: 'json_schema' } } }, 'text.format.schema', 'text.format.schema: field required'],
      [
        { ...minimal, text: { format: { type: 'xml' } } },
        'text.format.type',
        "text.format.type: must be one of 'text', 'json_object', 'json_schema', got 'xml'",
      ],
      [{ ...minimal, max_output_tokens: 0 }, 'max_output_tokens', 'max_output_tokens: must be at least 1, got 0'],
      [{ ...minimal, previous_response_id: 5 }, 'previous_response_id', 'previous_response_id: expected a string, got a number'],
      [{ ...minimal, truncation: 'sometimes' }, 'truncation', "truncation: must be one of 'auto', 'disabled', got 'sometimes'"],
      [{ ...minimal, include: 'all' }, 'include', 'include: expected an array, got a string'],
      [{ ...minimal, input: [{ role: 'user', content: [{ type: 'input_text' }] }] }, 'input.0.content.0.text', 'input.0.content.0.text: field required'],
    ];
    for (const [body, param, message] of cases) {
      expect(errorOf(() => parseResponsesRequest(body, noHeaders))).toEqual(
        param === undefined ? { kind: 'invalid_request', message } : { kind: 'invalid_request', param, message },
      );
    }
  });

  it('keeps history messages out of the parsed input when there is none', () => {
    const messages: TurnMessage[] = parse({ input: [{ role: 'assistant', content: 'prefill' }] }).request.messages;
    expect(messages).toEqual([{ role: 'assistant', content: [{ type: 'text', text: 'prefill' }] }]);
  });
});
