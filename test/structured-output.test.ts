/**
 * Structured output: response_format json_schema is enforced by the CLI's own
 * StructuredOutput tool; the client gets the validated JSON as the answer text.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MockUpstream, type RunningProxy, startProxy } from './harness.js';

let upstream: MockUpstream;
let proxy: RunningProxy;
let client: OpenAI;

const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'integer' } }, required: ['city', 'temp'], additionalProperties: false };

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({ upstream });
  client = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'x', maxRetries: 0 });
});
afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});
beforeEach(() => {
  upstream.reset();
  // Prose first (which must not reach the client), then the StructuredOutput call.
  upstream.setResponder((req) => {
    const names = (req.body.tools ?? []).map((t: any) => t.name);
    if (!names.includes('StructuredOutput')) return { blocks: [{ type: 'text', text: 'plain' }] };
    return {
      blocks: [
        { type: 'text', text: 'Here you go:' },
        { type: 'tool_use', name: 'StructuredOutput', input: { city: 'Oslo', temp: 4 } },
      ],
    };
  });
});

describe('structured output', () => {
  it('json_schema: upstream gets the schema as the StructuredOutput tool; the client gets only the JSON', async () => {
    const r = await client.chat.completions.create({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'weather as json' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } },
    });
    expect(JSON.parse(r.choices[0].message.content!)).toEqual({ city: 'Oslo', temp: 4 });
    expect(r.choices[0].finish_reason).toBe('stop');
    const up = upstream.messageRequests[0].body;
    expect(up.tools.map((t: any) => t.name)).toEqual(['StructuredOutput']);
    expect(up.tools[0].input_schema).toMatchObject(schema);
  });

  it('streams the JSON as content too', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude-sonnet-4-6',
      stream: true,
      messages: [{ role: 'user', content: 'weather as json' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema } },
    });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(JSON.parse(text)).toEqual({ city: 'Oslo', temp: 4 });
  });

  it('without a response_format no StructuredOutput tool is sent', async () => {
    const r = await client.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.choices[0].message.content).toBe('plain');
    expect(upstream.messageRequests[0].body.tools).toEqual([]);
  });
});
