/**
 * Property: whatever JSON a client sends, the parser returns a request or throws a
 * TurnFailure of kind invalid_request with a message; never a TypeError or the like.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptedOrRefused, countAccepted, looseJson, usuallyOr } from '../testing/parser-properties.js';
import { parseChatRequest } from './parse-chat-request.js';

const ctx = { headers: { 'user-agent': 'prop-test' } };

/** True when the body was accepted; asserts that a refusal is canonical. */
const accepted = (body: unknown): boolean => acceptedOrRefused((b) => parseChatRequest(b, ctx), body);

/** Strings the parser looks for, to bias generated values towards. */
const words = [
  'system',
  'developer',
  'user',
  'assistant',
  'tool',
  'function',
  'text',
  'image_url',
  'input_audio',
  'file',
  'refusal',
  'auto',
  'none',
  'required',
  'json_schema',
  'json_object',
  'allowed_tools',
  'custom',
  'minimal',
  'xhigh',
  'data:image/png;base64,AAAA',
  'data:image/png,AA',
  'https://x.test/a.png',
  '{"a":1}',
  '[1]',
  '{',
  '__proto__',
  'constructor',
  '',
];
/** Object keys the parser reads. */
const keys = [
  'type',
  'role',
  'content',
  'text',
  'image_url',
  'url',
  'detail',
  'tool_calls',
  'tool_call_id',
  'id',
  'function',
  'name',
  'arguments',
  'function_call',
  'refusal',
  'parameters',
  'json_schema',
  'schema',
  '__proto__',
];
const usually = usuallyOr(looseJson(words, keys), 15);

const textPart = fc.record({ type: fc.constant('text'), text: fc.string() });
const part = fc.oneof(
  { arbitrary: textPart, weight: 4 },
  fc.record({
    type: fc.constant('image_url'),
    image_url: fc.record({ url: fc.constantFrom('data:image/png;base64,AAAA', 'https://x.test/a.png', 'data:x'), detail: fc.constantFrom('auto', 'low') }),
  }),
  fc.record({ type: fc.constantFrom('input_audio', 'file', 'refusal'), refusal: fc.string() }),
);
const content = usually(fc.oneof(fc.string(), fc.array(usually(part), { maxLength: 3 })));
const toolCall = fc.record({
  id: usually(fc.constantFrom('call_1', 'call_2')),
  type: usually(fc.constant('function')),
  function: usually(
    fc.record({
      name: usually(fc.constantFrom('f', 'g')),
      arguments: usually(
        fc.oneof(
          { arbitrary: fc.constantFrom('{}', '{"a":1}', ''), weight: 6 },
          { arbitrary: fc.constantFrom('[]', '{'), weight: 1 },
          { arbitrary: fc.json(), weight: 1 },
        ),
      ),
    }),
  ),
});
const message = fc.oneof(
  { arbitrary: fc.record({ role: usually(fc.constantFrom('system', 'developer', 'user')), content }), weight: 6 },
  {
    arbitrary: fc.record(
      { role: fc.constant('assistant'), content: fc.oneof(content, fc.constant(null)), tool_calls: usually(fc.array(toolCall, { maxLength: 2 })) },
      { requiredKeys: ['role'] },
    ),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      role: fc.constant('assistant'),
      function_call: usually(fc.record({ name: fc.constantFrom('f', 'g'), arguments: fc.constantFrom('{}', '{"x":[1]}', '{') })),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ role: fc.constant('tool'), tool_call_id: usually(fc.constantFrom('call_1', 'call_2')), content }), weight: 2 },
  { arbitrary: fc.record({ role: fc.constant('function'), name: usually(fc.constantFrom('f', 'g')), content }), weight: 1 },
);
const tool = fc.oneof(
  fc.record({
    type: usually(fc.constant('function')),
    function: usually(
      fc.record({ name: usually(fc.constantFrom('f', 'g', 'h')), parameters: usually(fc.object()), strict: usually(fc.boolean()) }, { requiredKeys: ['name'] }),
    ),
  }),
  fc.record({ type: fc.constant('custom'), custom: fc.record({ name: fc.constant('c') }) }),
);

const requestLike = fc.record(
  {
    model: usually(fc.constant('gpt-4o')),
    messages: usually(fc.array(usually(message), { minLength: 1, maxLength: 5 })),
    tools: usually(fc.array(tool, { maxLength: 3 })),
    functions: usually(fc.array(fc.record({ name: fc.constantFrom('f', 'k') }), { maxLength: 2 })),
    tool_choice: usually(
      fc.oneof(
        fc.constantFrom('auto', 'none', 'required'),
        fc.record({
          type: fc.constantFrom('function', 'allowed_tools', 'custom'),
          function: fc.record({ name: fc.constantFrom('f', 'zz') }),
          allowed_tools: fc.record({ mode: fc.constantFrom('auto', 'required') }),
        }),
      ),
    ),
    function_call: usually(fc.oneof(fc.constantFrom('auto', 'none'), fc.record({ name: fc.constantFrom('f', 'zz') }))),
    reasoning_effort: usually(fc.constantFrom('none', 'minimal', 'low', 'medium', 'high', 'xhigh')),
    response_format: usually(
      fc.record({
        type: fc.constantFrom('text', 'json_object', 'json_schema'),
        json_schema: usually(fc.record({ name: fc.string(), schema: fc.object(), strict: fc.boolean() })),
      }),
    ),
    max_tokens: usually(fc.integer({ min: 1, max: 100000 })),
    max_completion_tokens: usually(fc.integer({ min: 1, max: 100000 })),
    temperature: usually(fc.double({ min: 0, max: 2, noNaN: true })),
    stop: usually(fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 4 }))),
    n: usually(fc.oneof({ arbitrary: fc.constant(1), weight: 10 }, { arbitrary: fc.constant(2), weight: 1 })),
    modalities: usually(fc.oneof({ arbitrary: fc.constant(['text']), weight: 10 }, { arbitrary: fc.constant(['text', 'audio']), weight: 1 })),
    stream: usually(fc.boolean()),
    stream_options: usually(fc.record({ include_usage: fc.boolean() })),
    user: usually(fc.string()),
    prompt_cache_key: usually(fc.string()),
    seed: usually(fc.integer()),
    logit_bias: usually(fc.dictionary(fc.string(), fc.integer())),
  },
  { requiredKeys: ['model', 'messages'] },
);

describe('parseChatRequest on arbitrary input', () => {
  it('throws nothing but canonical failures for any JSON value', () => {
    countAccepted(fc.jsonValue(), accepted, 500);
  });

  it('throws nothing but canonical failures for request-shaped bodies, and accepts many', () => {
    // About 120 of 3000 are accepted on average (97 seen): the bound only guards against a degenerate generator.
    expect(countAccepted(requestLike, accepted, 3000)).toBeGreaterThan(50);
  });
});
