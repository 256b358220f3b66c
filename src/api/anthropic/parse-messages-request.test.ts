import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/turn-failure.js';
import { parseCountTokensRequest, parseMessagesRequest } from './parse-messages-request.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`testdata/${name}`, import.meta.url), 'utf8'));
const noHeaders = { headers: {} };
const minimal = { model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'hi' }] };

describe('parseMessagesRequest', () => {
  it('translates an OpenClaw-style request exactly (fixture)', () => {
    const req = parseMessagesRequest(fixture('openclaw-messages.request.json'), {
      headers: { 'user-agent': 'openclaw/2026.9', 'x-api-key': 'sk-ignored' },
    });
    expect(req).toEqual(fixture('openclaw-messages.expected.json'));
  });

  it('accepts a minimal request: no max_tokens, no stream, nothing optional set', () => {
    expect(parseMessagesRequest(minimal, noHeaders)).toEqual({
      model: 'claude-sonnet-5-5',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      tools: [],
      conversation: { api: 'anthropic-messages' },
      stream: false,
    });
  });

  it('passes any model string through unchanged', () => {
    expect(parseMessagesRequest({ ...minimal, model: 'my-alias[1m]' }, noHeaders).model).toBe('my-alias[1m]');
  });

  it('reads sampling fields, stop sequences and stream', () => {
    const req = parseMessagesRequest({ ...minimal, max_tokens: 10, temperature: 0.2, top_p: 0.9, top_k: 40, stop_sequences: ['END'], stream: true }, noHeaders);
    expect(req).toMatchObject({ maxTokens: 10, temperature: 0.2, topP: 0.9, topK: 40, stopSequences: ['END'], stream: true });
  });

  it('joins system blocks and drops an empty system', () => {
    expect(parseMessagesRequest({ ...minimal, system: 'be brief' }, noHeaders).system).toBe('be brief');
    expect(parseMessagesRequest({ ...minimal, system: '' }, noHeaders).system).toBeUndefined();
    expect(parseMessagesRequest({ ...minimal, system: [] }, noHeaders).system).toBeUndefined();
    expect(
      parseMessagesRequest(
        {
          ...minimal,
          system: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        noHeaders,
      ).system,
    ).toBe('a\n\nb');
    expect(errorOf(() => parseMessagesRequest({ ...minimal, system: [{ type: 'image' }] }, noHeaders)).param).toBe('system.0.type');
    expect(errorOf(() => parseMessagesRequest({ ...minimal, system: 3 }, noHeaders)).param).toBe('system');
  });

  it('takes the session id from headers first, then metadata.user_id', () => {
    const withMeta = { ...minimal, metadata: { user_id: 'u-1' } };
    expect(parseMessagesRequest(withMeta, noHeaders).conversation.explicitId).toBe('u-1');
    expect(parseMessagesRequest(withMeta, { headers: { 'x-claude-code-session-id': ' s-2 ' } }).conversation.explicitId).toBe('s-2');
    expect(parseMessagesRequest(withMeta, { headers: { 'x-session-id': 's-1', 'x-claude-code-session-id': 's-2' } }).conversation.explicitId).toBe('s-1');
    expect(parseMessagesRequest({ ...minimal, metadata: { user_id: null } }, noHeaders).conversation).toEqual({
      api: 'anthropic-messages',
    });
  });

  it('reads thinking, effort and structured output', () => {
    const parse = (extra: object) => parseMessagesRequest({ ...minimal, ...extra }, noHeaders);
    expect(parse({ thinking: { type: 'enabled', budget_tokens: 2048 } }).thinking).toEqual({
      type: 'enabled',
      budgetTokens: 2048,
    });
    expect(parse({ thinking: { type: 'disabled' } }).thinking).toEqual({ type: 'disabled' });
    expect(parse({ thinking: { type: 'adaptive', display: 'omitted' } }).thinking).toEqual({ type: 'adaptive' });
    expect(parse({ output_config: { effort: 'xhigh' } }).effort).toBe('xhigh');
    expect(parse({ output_config: { effort: 'low' } }).effort).toBe('low');
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    expect(parse({ output_config: { format: { type: 'json_schema', schema } } }).responseFormat).toEqual({
      type: 'json_schema',
      schema,
    });
    expect(errorOf(() => parse({ thinking: { type: 'on' } })).param).toBe('thinking.type');
    expect(errorOf(() => parse({ thinking: { type: 'enabled', budget_tokens: 'lots' } })).param).toBe('thinking.budget_tokens');
    expect(errorOf(() => parse({ output_config: { effort: 'huge' } })).param).toBe('output_config.effort');
  });

  it('ignores unknown top-level fields', () => {
    expect(parseMessagesRequest({ ...minimal, container: 'c', service_tier: 'auto', mcp_servers: [] }, noHeaders)).toEqual(
      parseMessagesRequest(minimal, noHeaders),
    );
  });

  it('names the offending field in every error', () => {
    const cases: [unknown, string | undefined, string][] = [
      [null, undefined, 'request body: expected a JSON object, got null'],
      [{ messages: [] }, 'model', 'model: field required'],
      [{ model: '', messages: [] }, 'model', 'model: must not be empty'],
      [{ model: 'm' }, 'messages', 'messages: field required'],
      [{ model: 'm', messages: [] }, 'messages', 'messages: at least one message is required'],
      [{ model: 'm', messages: {} }, 'messages', 'messages: expected an array, got an object'],
      [
        { model: 'm', messages: [{ role: 'system', content: 'x' }] },
        'messages.0.role',
        "messages.0.role: 'system' is not a message role here; use the top-level system field",
      ],
      [{ model: 'm', messages: [{ role: 'bot', content: 'x' }] }, 'messages.0.role', "messages.0.role: must be 'user' or 'assistant', got 'bot'"],
      [{ model: 'm', messages: [{ role: 'user' }] }, 'messages.0.content', 'messages.0.content: field required'],
      [
        {
          model: 'm',
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: [{ type: 'text', text: 1 }] },
          ],
        },
        'messages.1.content.0.text',
        'messages.1.content.0.text: expected a string, got a number',
      ],
      [{ ...minimal, max_tokens: 0 }, 'max_tokens', 'max_tokens: must be at least 1, got 0'],
      [{ ...minimal, max_tokens: 1.5 }, 'max_tokens', 'max_tokens: expected an integer, got a number'],
      [{ ...minimal, temperature: '0.5' }, 'temperature', 'temperature: expected a number, got a string'],
      [{ ...minimal, stop_sequences: ['a', 1] }, 'stop_sequences.1', 'stop_sequences.1: expected a string, got a number'],
      [{ ...minimal, stream: 'yes' }, 'stream', 'stream: expected a boolean, got a string'],
      [{ ...minimal, metadata: { user_id: 5 } }, 'metadata.user_id', 'metadata.user_id: expected a string, got a number'],
      [{ ...minimal, tools: {} }, 'tools', 'tools: expected an array, got an object'],
    ];
    for (const [body, param, message] of cases) {
      expect(errorOf(() => parseMessagesRequest(body, noHeaders))).toEqual(
        param === undefined ? { kind: 'invalid_request', message } : { kind: 'invalid_request', param, message },
      );
    }
  });
});

describe('parseCountTokensRequest', () => {
  it('translates like messages and never streams', () => {
    const body = { ...minimal, stream: true, tools: [{ name: 't', input_schema: { type: 'object' } }] };
    expect(parseCountTokensRequest(body, noHeaders)).toEqual({ ...parseMessagesRequest(body, noHeaders), stream: false });
  });
});
