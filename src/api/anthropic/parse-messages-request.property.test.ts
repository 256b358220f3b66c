/**
 * Property: whatever JSON a client sends, the parser either returns a request or throws
 * a TurnFailure of kind invalid_request with a message; never a TypeError or the like.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptedOrRefused, countAccepted, looseJson, usuallyOr } from '../testing/parser-properties.js';
import { parseCountTokensRequest, parseMessagesRequest } from './parse-messages-request.js';

const ctx = { headers: { 'user-agent': 'prop-test' } };

/** True when the body was accepted; asserts that a refusal is canonical. */
const accepted = (body: unknown): boolean => acceptedOrRefused((b) => parseMessagesRequest(b, ctx), body);

/** Strings the parser looks for, to bias generated values towards. */
const words = [
  'text',
  'image',
  'tool_use',
  'tool_result',
  'thinking',
  'redacted_thinking',
  'document',
  'user',
  'assistant',
  'system',
  'base64',
  'url',
  'file',
  'image/png',
  'https://x.test/i.png',
  'auto',
  'any',
  'tool',
  'none',
  'enabled',
  'disabled',
  'adaptive',
  'custom',
  'json_schema',
  'xhigh',
  '__proto__',
  'constructor',
  '',
];
/** Object keys the parser reads. */
const keys = [
  'type',
  'text',
  'source',
  'media_type',
  'data',
  'url',
  'id',
  'name',
  'input',
  'tool_use_id',
  'content',
  'is_error',
  'thinking',
  'signature',
  'role',
  'budget_tokens',
  'schema',
  'format',
  'effort',
  'input_schema',
  '__proto__',
];
const usually = usuallyOr(looseJson(words, keys), 8);

const textBlock = fc.record({ type: fc.constant('text'), text: fc.string() });
const userBlock = fc.oneof(
  textBlock,
  fc.record({
    type: fc.constant('image'),
    source: usually(fc.record({ type: fc.constant('base64'), media_type: fc.constantFrom('image/png', 'image/bmp'), data: fc.string() })),
  }),
  fc.record({
    type: fc.constant('tool_result'),
    tool_use_id: usually(fc.string()),
    content: usually(fc.oneof(fc.string(), fc.array(usually(textBlock), { maxLength: 2 }))),
    is_error: usually(fc.boolean()),
  }),
);
const assistantBlock = fc.oneof(
  textBlock,
  fc.record({ type: fc.constant('tool_use'), id: usually(fc.string()), name: usually(fc.string()), input: usually(fc.object()) }),
  fc.record({ type: fc.constant('thinking'), thinking: usually(fc.string()), signature: usually(fc.string()) }),
);
const message = fc.oneof(
  fc.record({ role: usually(fc.constant('user')), content: usually(fc.oneof(fc.string(), fc.array(usually(userBlock), { maxLength: 3 }))) }),
  fc.record({
    role: usually(fc.constant('assistant')),
    content: usually(fc.oneof(fc.string(), fc.array(usually(assistantBlock), { maxLength: 3 }))),
  }),
);
const tool = fc.oneof(
  fc.record(
    { name: usually(fc.stringMatching(/^[a-z_]{1,10}$/)), description: usually(fc.string()), input_schema: usually(fc.object()), type: fc.constant('custom') },
    { requiredKeys: ['name', 'input_schema'] },
  ),
  fc.record({ type: fc.constant('web_search_20250305'), name: fc.constant('web_search') }),
);

/** Bodies shaped like requests, with any field possibly wrong. */
const requestLike = fc.record(
  {
    model: usually(fc.constant('claude-sonnet-5-5')),
    messages: usually(fc.array(message, { minLength: 1, maxLength: 4 })),
    system: usually(fc.oneof(fc.string(), fc.array(usually(textBlock), { maxLength: 3 }))),
    tools: usually(fc.array(tool, { maxLength: 3 })),
    tool_choice: usually(fc.record({ type: fc.constantFrom('auto', 'any', 'none', 'tool'), name: fc.constantFrom('a', 'web_search') })),
    thinking: usually(fc.record({ type: fc.constantFrom('enabled', 'disabled', 'adaptive'), budget_tokens: usually(fc.nat()) })),
    output_config: usually(
      fc.record(
        {
          effort: fc.constantFrom('low', 'xhigh', 'max'),
          format: usually(fc.record({ type: fc.constant('json_schema'), schema: fc.object() })),
        },
        { requiredKeys: [] },
      ),
    ),
    metadata: usually(fc.record({ user_id: usually(fc.string()) })),
    max_tokens: usually(fc.integer({ min: 1, max: 100000 })),
    temperature: usually(fc.double({ min: 0, max: 1, noNaN: true })),
    top_k: usually(fc.nat()),
    stop_sequences: usually(fc.array(fc.string(), { maxLength: 2 })),
    stream: usually(fc.boolean()),
  },
  { requiredKeys: ['model', 'messages'] },
);

describe('parseMessagesRequest on arbitrary input', () => {
  it('throws nothing but invalid_request TurnFailures for any JSON value', () => {
    countAccepted(fc.jsonValue(), accepted, 500);
  });

  it('throws nothing but invalid_request TurnFailures for request-shaped bodies', () => {
    // count_tokens reads the same body and must refuse it the same way; what is counted is messages accepting it.
    const withCountTokens = (body: unknown): boolean => {
      const ok = accepted(body);
      acceptedOrRefused((b) => parseCountTokensRequest(b, ctx), body);
      return ok;
    };
    // The generator must also reach the success paths, not only the first check.
    expect(countAccepted(requestLike, withCountTokens, 3000)).toBeGreaterThan(100);
  });

  it('survives JSON text with __proto__ keys', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (inner) => {
        const body: unknown = JSON.parse(`{"__proto__": ${JSON.stringify(inner)}, "model": "m", "messages": [{"role": "user", "content": "x"}]}`);
        accepted(body);
      }),
      { numRuns: 200 },
    );
  });
});
