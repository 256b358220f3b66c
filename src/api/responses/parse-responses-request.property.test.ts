/**
 * Property: whatever JSON a client sends, the parser returns a request or throws a
 * TurnFailure of kind invalid_request (or not_found for an unknown
 * previous_response_id); never a TypeError or the like.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptedOrRefused, countAccepted, looseJson, usuallyOr } from '../testing/parser-properties.js';
import type { StoredConversation } from './history.js';
import { parseResponsesRequest } from './parse-responses-request.js';

const ctx = { headers: { 'user-agent': 'prop-test' } };
const stored: StoredConversation = {
  system: 'sys',
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'a' }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'f', input: {} }] },
  ],
};
const history = (id: string): StoredConversation | undefined => (id === 'resp_known' ? stored : undefined);

/** True when the body was accepted; asserts that a refusal is canonical. */
function accepted(body: unknown): boolean {
  const before = JSON.stringify(stored);
  try {
    return acceptedOrRefused((b) => parseResponsesRequest(b, ctx, history), body, ['invalid_request', 'not_found']);
  } finally {
    expect(JSON.stringify(stored)).toBe(before); // history is never mutated
  }
}

/** Strings the parser looks for, to bias generated values towards. */
const words = [
  'message',
  'function_call',
  'function_call_output',
  'reasoning',
  'item_reference',
  'web_search_call',
  'input_text',
  'output_text',
  'input_image',
  'input_file',
  'refusal',
  'user',
  'assistant',
  'system',
  'developer',
  'function',
  'namespace',
  'web_search',
  'custom',
  'auto',
  'none',
  'required',
  'json_schema',
  'json_object',
  'text',
  'xhigh',
  'data:image/png;base64,AAAA',
  'data:image/png,AA',
  'https://x.test/a.png',
  '{"a":1}',
  '[1]',
  '{',
  '__proto__',
  'constructor',
  'resp_known',
  'resp_unknown',
  '',
];
/** Object keys the parser reads. */
const keys = [
  'type',
  'role',
  'content',
  'text',
  'image_url',
  'file_id',
  'url',
  'call_id',
  'name',
  'namespace',
  'arguments',
  'output',
  'refusal',
  'tools',
  'parameters',
  'mode',
  'effort',
  'summary',
  'format',
  'schema',
  'id',
  '__proto__',
];
const usually = usuallyOr(looseJson(words, keys), 8);

const textPart = fc.record({ type: fc.constantFrom('input_text', 'output_text'), text: fc.string() });
const part = fc.oneof(
  textPart,
  fc.record({ type: fc.constant('input_image'), image_url: fc.constantFrom('data:image/png;base64,AAAA', 'https://x.test/a.png', 'data:x') }),
);
const item = fc.oneof(
  fc.record({
    type: fc.constant('message'),
    role: usually(fc.constantFrom('user', 'assistant', 'system', 'developer')),
    content: usually(fc.oneof(fc.string(), fc.array(usually(part), { maxLength: 3 }))),
  }),
  fc.record({ role: fc.constantFrom('user', 'assistant'), content: fc.string() }),
  fc.record({
    type: fc.constant('function_call'),
    call_id: usually(fc.string({ minLength: 1 })),
    name: usually(fc.constantFrom('f', 'g')),
    arguments: usually(fc.oneof(fc.constantFrom('{}', '{"a":1}', '', '[]', '{'), fc.json())),
  }),
  fc.record({
    type: fc.constant('function_call_output'),
    call_id: usually(fc.string({ minLength: 1 })),
    output: usually(fc.oneof(fc.string(), fc.array(usually(textPart), { maxLength: 2 }))),
  }),
  fc.record({ type: fc.constant('reasoning'), id: fc.string(), summary: fc.constant([]) }),
);
const tool = fc.oneof(
  fc.record(
    { type: fc.constant('function'), name: usually(fc.constantFrom('f', 'g', 'h')), parameters: usually(fc.object()), strict: usually(fc.boolean()) },
    { requiredKeys: ['type', 'name'] },
  ),
  fc.record({
    type: fc.constant('namespace'),
    name: usually(fc.constantFrom('ns', 'mcp__x')),
    tools: usually(fc.array(fc.record({ type: fc.constantFrom('function', 'custom'), name: fc.constantFrom('a', 'b') }), { maxLength: 2 })),
  }),
  fc.record({ type: fc.constantFrom('web_search', 'file_search', 'custom', 'local_shell') }),
);

const requestLike = fc.record(
  {
    model: usually(fc.constant('gpt-5')),
    input: usually(fc.oneof(fc.string(), fc.array(usually(item), { minLength: 1, maxLength: 5 }))),
    instructions: usually(fc.string()),
    previous_response_id: usually(fc.constantFrom('resp_known', 'resp_unknown')),
    tools: usually(fc.array(tool, { maxLength: 3 })),
    tool_choice: usually(
      fc.oneof(
        fc.constantFrom('auto', 'none', 'required'),
        fc.record({
          type: fc.constantFrom('function', 'allowed_tools', 'web_search_preview'),
          name: fc.constantFrom('f', 'zz'),
          mode: fc.constantFrom('auto', 'required'),
        }),
      ),
    ),
    reasoning: usually(
      fc.record({
        effort: usually(fc.constantFrom('none', 'minimal', 'low', 'medium', 'high', 'xhigh')),
        summary: fc.constantFrom('auto', 'detailed'),
      }),
    ),
    text: usually(
      fc.record({
        format: usually(fc.record({ type: fc.constantFrom('text', 'json_object', 'json_schema'), schema: fc.object(), name: fc.string() })),
      }),
    ),
    max_output_tokens: usually(fc.integer({ min: 1, max: 100000 })),
    temperature: usually(fc.double({ min: 0, max: 2, noNaN: true })),
    parallel_tool_calls: usually(fc.boolean()),
    store: usually(fc.boolean()),
    include: usually(fc.array(fc.string(), { maxLength: 2 })),
    metadata: usually(fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 })),
    prompt_cache_key: usually(fc.string()),
    truncation: usually(fc.constantFrom('auto', 'disabled')),
    stream: usually(fc.boolean()),
  },
  { requiredKeys: ['model', 'input'] },
);

describe('parseResponsesRequest on arbitrary input', () => {
  it('throws nothing but canonical failures for any JSON value', () => {
    countAccepted(fc.jsonValue(), accepted, 500);
  });

  it('throws nothing but canonical failures for request-shaped bodies, and accepts many', () => {
    expect(countAccepted(requestLike, accepted, 3000)).toBeGreaterThan(100);
  });
});
