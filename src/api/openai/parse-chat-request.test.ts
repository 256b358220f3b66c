import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type TurnError, TurnFailure } from '../../turn/types.js';
import { parseChatRequest } from './parse-chat-request.js';

const ctx = { headers: {} };
const user = (content: unknown = 'hi') => ({ role: 'user', content });
const parse = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  parseChatRequest({ model: 'gpt-4o', messages: [user()], ...body }, { headers });

function failure(body: unknown): TurnError {
  try {
    parseChatRequest(body, ctx);
  } catch (e) {
    expect(e).toBeInstanceOf(TurnFailure);
    return (e as TurnFailure).error;
  }
  throw new Error('expected a failure');
}
const failWith = (body: Record<string, unknown>) => failure({ model: 'gpt-4o', messages: [user()], ...body });

describe('parseChatRequest', () => {
  it('turns the OpenClaw request into the expected canonical request', () => {
    const read = (n: string): unknown => JSON.parse(readFileSync(new URL(`testdata/${n}`, import.meta.url), 'utf8'));
    expect(parseChatRequest(read('openclaw-chat.request.json'), { headers: { 'user-agent': 'OpenClaw/2026.9' } })).toEqual(read('openclaw-chat.expected.json'));
  });

  it('reads a minimal request with defaults', () => {
    expect(parseChatRequest({ model: 'my-model', messages: [user('Hello!')] }, ctx)).toEqual({
      request: {
        model: 'my-model',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello!' }] }],
        tools: [],
        conversation: { api: 'openai-chat' },
        stream: false,
      },
      ignored: [],
      includeUsage: false,
    });
  });

  it('joins system and developer messages in order, wherever they appear', () => {
    const { request } = parse({
      messages: [
        { role: 'system', content: 'A' },
        user(),
        {
          role: 'developer',
          content: [
            { type: 'text', text: 'B1' },
            { type: 'text', text: 'B2' },
          ],
        },
        { role: 'system', content: '' },
      ],
    });
    expect(request.system).toBe('A\n\nB1\n\nB2');
    expect(request.messages).toHaveLength(1);
  });

  it('maps sampling and length options', () => {
    const { request } = parse({
      max_tokens: 100,
      max_completion_tokens: 200,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END', ''],
      parallel_tool_calls: false,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(request).toMatchObject({ maxTokens: 200, temperature: 0.2, topP: 0.9, stopSequences: ['END'], parallelToolCalls: false, stream: true });
    expect(parse({ max_tokens: 50, stop: 'X' }).request).toMatchObject({ maxTokens: 50, stopSequences: ['X'] });
    expect(parse({ stream: true, stream_options: { include_usage: true } }).includeUsage).toBe(true);
    expect(parse({ stream: true }).includeUsage).toBe(false);
  });

  it('treats null optional fields as absent', () => {
    const { request } = parse({ temperature: null, max_tokens: null, stop: null, tools: null, tool_choice: null, user: null });
    expect(request).not.toHaveProperty('temperature');
    expect(request).not.toHaveProperty('toolChoice');
    expect(request.tools).toEqual([]);
  });

  it.each([
    ['minimal', { effort: 'low' }],
    ['low', { effort: 'low' }],
    ['medium', { effort: 'medium' }],
    ['high', { effort: 'high' }],
    ['xhigh', { effort: 'xhigh' }],
    ['none', { thinking: { type: 'disabled' } }],
  ])('maps reasoning_effort %s', (effort, expected) => {
    expect(parse({ reasoning_effort: effort }).request).toMatchObject(expected);
  });

  it('maps response_format', () => {
    expect(parse({ response_format: { type: 'text' } }).request.responseFormat).toEqual({ type: 'text' });
    expect(parse({ response_format: { type: 'json_object' } }).request.responseFormat).toEqual({ type: 'json_object' });
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
    expect(parse({ response_format: { type: 'json_schema', json_schema: { name: 'thing', schema, strict: true } } }).request.responseFormat).toEqual({
      type: 'json_schema',
      name: 'thing',
      schema,
      strict: true,
    });
    expect(failWith({ response_format: { type: 'json_schema', json_schema: { name: 'x' } } })).toMatchObject({
      param: 'response_format.json_schema.schema',
    });
    expect(failWith({ response_format: { type: 'yaml' } })).toMatchObject({ param: 'response_format.type' });
  });

  it('takes the conversation id from x-session-id, then prompt_cache_key, then user', () => {
    const body = { user: 'u-1', prompt_cache_key: 'pck-1' };
    expect(parse(body, { 'x-session-id': 'hdr-1', 'user-agent': 'opencode/1.18' }).request.conversation).toEqual({
      api: 'openai-chat',
      explicitId: 'hdr-1',
      userAgent: 'opencode/1.18',
    });
    expect(parse(body).request.conversation.explicitId).toBe('pck-1');
    expect(parse({ user: 'u-1' }).request.conversation.explicitId).toBe('u-1');
    expect(parse({ user: '  ' }).request.conversation).toEqual({ api: 'openai-chat' });
  });

  it('lists accepted fields without effect', () => {
    const { ignored } = parse({
      n: 1,
      seed: 7,
      logprobs: true,
      top_logprobs: 2,
      frequency_penalty: 0.5,
      presence_penalty: -0.5,
      logit_bias: { '50256': -100 },
      store: false,
      metadata: { a: 'b' },
      service_tier: 'auto',
      modalities: ['text'],
      unknown_field: 1,
    });
    expect(ignored).toEqual([
      'n',
      'seed',
      'logprobs',
      'top_logprobs',
      'frequency_penalty',
      'presence_penalty',
      'logit_bias',
      'store',
      'metadata',
      'service_tier',
      'modalities',
    ]);
  });

  it('refuses n > 1 and audio output clearly', () => {
    expect(failWith({ n: 2 })).toMatchObject({ kind: 'invalid_request', param: 'n', message: expect.stringContaining('n = 1') });
    expect(failWith({ modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'mp3' } })).toMatchObject({
      param: 'modalities',
      message: expect.stringContaining('audio output is not supported'),
    });
  });

  it('passes the model through unchanged', () => {
    expect(parse({ model: 'openai/gpt-4o:beta' }).request.model).toBe('openai/gpt-4o:beta');
  });

  it('names the offending field', () => {
    expect(failure(null)).toMatchObject({ kind: 'invalid_request', message: 'request body: expected a JSON object, got null' });
    expect(failure({ messages: [user()] })).toMatchObject({ param: 'model', message: 'model: field required' });
    expect(failure({ model: 'm' })).toMatchObject({ param: 'messages' });
    expect(failure({ model: 'm', messages: [] })).toMatchObject({ param: 'messages' });
    expect(failure({ model: 'm', messages: [{ role: 'system', content: 'only system' }] })).toMatchObject({ param: 'messages' });
    expect(failWith({ temperature: 'hot' })).toMatchObject({ param: 'temperature', message: 'temperature: expected a number, got a string' });
    expect(failWith({ max_tokens: 0 })).toMatchObject({ param: 'max_tokens' });
    expect(failWith({ stop: 5 })).toMatchObject({ param: 'stop' });
    expect(failWith({ stop: ['a', 1] })).toMatchObject({ param: 'stop.1' });
    expect(failWith({ reasoning_effort: 'extreme' })).toMatchObject({ param: 'reasoning_effort' });
    expect(failWith({ seed: 'x' })).toMatchObject({ param: 'seed' });
    expect(failWith({ stream: 'yes' })).toMatchObject({ param: 'stream' });
  });
});
