/**
 * Structured output: Chat response_format (json_schema, json_object), Responses text.format
 * and Anthropic output_config.format / output_format are enforced by the CLI's own
 * StructuredOutput tool; the client gets exactly the model's JSON as the answer text, a
 * refusal as its API's refusal, and client tools work alongside a schema.
 */
import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from './mock-upstream.js';
import { proxySuite } from './proxy-suite.js';

const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'integer' } }, required: ['city', 'temp'], additionalProperties: false };
const MODEL = 'claude-sonnet-4-6';

const toolNames = (req: RecordedRequest): string[] => (req.body.tools ?? []).map((t: any) => t.name);
const structuredTool = (req: RecordedRequest) => (req.body.tools ?? []).find((t: any) => t.name === 'StructuredOutput');
const lastUserBlocks = (req: RecordedRequest): any[] => {
  const m = (req.body.messages as any[]).filter((x) => x.role === 'user').at(-1);
  return Array.isArray(m?.content) ? m.content : [];
};

// Prose first (which must not reach the client), then the StructuredOutput call.
const s = proxySuite({
  responder: (req) => {
    if (!toolNames(req).includes('StructuredOutput')) return { blocks: [{ type: 'text', text: 'plain' }] };
    return {
      blocks: [
        { type: 'text', text: 'Here you go:' },
        { type: 'tool_use', name: 'StructuredOutput', input: { city: 'Oslo', temp: 4 } },
      ],
    };
  },
});

/** The model refuses, each time it is asked (the CLI asks once more after a refusal). */
const refuse = () => s.upstream.setResponder(() => ({ blocks: [{ type: 'text', text: 'I cannot help with that.' }], stopReason: 'refusal' }));

describe('Chat Completions response_format', () => {
  it('json_schema: upstream gets the schema as the StructuredOutput tool; the client gets only the JSON', async () => {
    const r = await s.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'weather as json' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } },
    });
    expect(r.choices[0].message.content).toBe('{"city":"Oslo","temp":4}');
    expect(r.choices[0].message.refusal).toBeNull();
    expect(r.choices[0].finish_reason).toBe('stop');
    const up = s.upstream.messageRequests[0];
    expect(toolNames(up)).toEqual(['StructuredOutput']);
    expect(structuredTool(up).input_schema).toMatchObject(schema);
  });

  it('streams the JSON as content too', async () => {
    const stream = await s.openai.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: 'user', content: 'weather as json' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema } },
    });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe('{"city":"Oslo","temp":4}');
  });

  it('json_object asks for any object', async () => {
    const r = await s.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'json please' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(r.choices[0].message.content!)).toEqual({ city: 'Oslo', temp: 4 });
    expect(structuredTool(s.upstream.messageRequests[0]).input_schema).toMatchObject({ type: 'object' });
  });

  it('without a response_format no StructuredOutput tool is sent', async () => {
    const r = await s.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    expect(r.choices[0].message.content).toBe('plain');
    expect(s.upstream.messageRequests[0].body.tools).toEqual([]);
  });

  it('a top-level array schema: the tool gets an object wrapper, the client exactly the array', async () => {
    const arraySchema = { type: 'array', items: { $ref: '#/$defs/city' }, $defs: { city: { type: 'string' } } };
    s.upstream.setResponder((req) => {
      const t = structuredTool(req);
      return {
        blocks: [{ type: 'tool_use', name: 'StructuredOutput', input: t.input_schema.type === 'object' ? { output: ['Oslo', 'Bergen'] } : ['Oslo', 'Bergen'] }],
      };
    });
    const r = await s.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'two cities' }],
      response_format: { type: 'json_schema', json_schema: { name: 'cities', schema: arraySchema } },
    });
    expect(r.choices[0].message.content).toBe('["Oslo","Bergen"]');
    // Tool inputs must be objects (the Messages API refuses other input_schema types): the array is a property.
    expect(structuredTool(s.upstream.messageRequests[0]).input_schema).toEqual({
      type: 'object',
      properties: { output: { type: 'array', items: { $ref: '#/$defs/city' } } },
      required: ['output'],
      additionalProperties: false,
      $defs: { city: { type: 'string' } },
    });
  });

  it('a top-level string schema gives the client a JSON string', async () => {
    s.upstream.setResponder(() => ({ blocks: [{ type: 'tool_use', name: 'StructuredOutput', input: { output: 'Oslo' } }] }));
    const r = await s.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'a city' }],
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema: { type: 'string', enum: ['Oslo', 'Bergen'] } } },
    });
    expect(r.choices[0].message.content).toBe('"Oslo"');
  });

  it('a refusal is message.refusal (content null, finish_reason stop), not an error', async () => {
    refuse();
    const r = await s.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'something bad' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema } },
    });
    expect(r.choices[0].message.refusal).toBe('I cannot help with that.');
    expect(r.choices[0].message.content).toBeNull();
    expect(r.choices[0].finish_reason).toBe('stop');
    // The CLI asked the model once more before giving up (measured on 2.1.330).
    expect(s.upstream.messageRequests).toHaveLength(2);
  });

  it('a streamed refusal comes as delta.refusal', async () => {
    refuse();
    const stream = await s.openai.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: 'user', content: 'something bad' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema } },
    });
    let refusal = '';
    let content = '';
    let finish: string | null | undefined;
    for await (const c of stream) {
      refusal += (c.choices[0]?.delta as any)?.refusal ?? '';
      content += c.choices[0]?.delta?.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(refusal).toBe('I cannot help with that.');
    expect(content).toBe('');
    expect(finish).toBe('stop');
  });

  it('a refusal without a schema keeps the streamed text and ends with finish_reason content_filter', async () => {
    refuse();
    const r = await s.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'something bad' }] });
    expect(r.choices[0].finish_reason).toBe('content_filter');
    expect(r.choices[0].message.content).toContain('I cannot help with that.');
  });

  it('client tools and a schema together: a tool call first, then the JSON after the round trip', async () => {
    s.upstream.setResponder((req) => {
      const result = lastUserBlocks(req).find((b) => b.type === 'tool_result' && b.tool_use_id === 'toolu_weather_1');
      if (!result) return { blocks: [{ type: 'tool_use', id: 'toolu_weather_1', name: 'mcp__client__get_weather', input: { city: 'Oslo' } }] };
      const temp = Number.parseInt(JSON.stringify(result.content).match(/(-?\d+) degrees/)?.[1] ?? 'NaN', 10);
      return { blocks: [{ type: 'tool_use', name: 'StructuredOutput', input: { city: 'Oslo', temp } }] };
    });
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'Weather now',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const response_format = { type: 'json_schema' as const, json_schema: { name: 'weather', schema } };
    const messages: any[] = [{ role: 'user', content: 'weather in Oslo as json' }];
    const r1 = await s.openai.chat.completions.create({ model: MODEL, messages, tools, response_format });
    expect(r1.choices[0].finish_reason).toBe('tool_calls');
    const call = r1.choices[0].message.tool_calls![0] as any;
    expect(call.function).toEqual({ name: 'get_weather', arguments: '{"city":"Oslo"}' });
    expect(toolNames(s.upstream.messageRequests[0]).sort()).toEqual(['StructuredOutput', 'mcp__client__get_weather']);

    messages.push(r1.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '-3 degrees, snow' });
    const r2 = await s.openai.chat.completions.create({ model: MODEL, messages, tools, response_format });
    expect(r2.choices[0].message.content).toBe('{"city":"Oslo","temp":-3}');
    expect(r2.choices[0].finish_reason).toBe('stop');
    const up = s.upstream.messageRequests.at(-1)!;
    expect(JSON.stringify(lastUserBlocks(up))).toContain('-3 degrees, snow');
  });
});

describe('Responses text.format', () => {
  it('json_schema: output_text is exactly the JSON, streamed and not', async () => {
    const text = { format: { type: 'json_schema' as const, name: 'weather', schema, strict: true } };
    const r = await s.openai.responses.create({ model: MODEL, input: 'weather as json', text });
    expect(r.output_text).toBe('{"city":"Oslo","temp":4}');
    expect(structuredTool(s.upstream.messageRequests[0]).input_schema).toMatchObject(schema);

    const stream = await s.openai.responses.create({ model: MODEL, input: 'weather as json again', text, stream: true });
    let deltas = '';
    let done: any;
    for await (const ev of stream) {
      if (ev.type === 'response.output_text.delta') deltas += ev.delta;
      if (ev.type === 'response.completed') done = ev.response;
    }
    expect(deltas).toBe('{"city":"Oslo","temp":4}');
    expect(done.output_text ?? done.output[0].content[0].text).toBe('{"city":"Oslo","temp":4}');
  });

  it('a refusal is a refusal content part, streamed as response.refusal.* events', async () => {
    refuse();
    const text = { format: { type: 'json_schema' as const, name: 'weather', schema } };
    const r = await s.openai.responses.create({ model: MODEL, input: 'something bad', text });
    expect(r.status).toBe('completed');
    expect(r.output).toHaveLength(1);
    expect((r.output[0] as any).content).toEqual([{ type: 'refusal', refusal: 'I cannot help with that.' }]);

    refuse();
    const stream = await s.openai.responses.create({ model: MODEL, input: 'something bad again', text, stream: true });
    const types: string[] = [];
    let refusal = '';
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.refusal.delta') refusal += ev.delta;
    }
    expect(refusal).toBe('I cannot help with that.');
    expect(types.filter((t) => !t.startsWith('response.created') && t !== 'response.in_progress')).toEqual([
      'response.output_item.added',
      'response.content_part.added',
      'response.refusal.delta',
      'response.refusal.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
  });
});

describe('Anthropic structured output', () => {
  it('output_config.format and the beta output_format both give exactly the JSON, streamed and not', async () => {
    const format = { type: 'json_schema', schema };
    const a = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 200,
      messages: [{ role: 'user', content: 'json' }],
      output_config: { format },
    } as any);
    expect(a.content).toEqual([{ type: 'text', text: '{"city":"Oslo","temp":4}' }]);
    expect(a.stop_reason).toBe('end_turn');
    expect(structuredTool(s.upstream.messageRequests[0]).input_schema).toMatchObject(schema);

    const b = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 200,
      messages: [{ role: 'user', content: 'json beta' }],
      output_format: format,
    } as any);
    expect(b.content).toEqual([{ type: 'text', text: '{"city":"Oslo","temp":4}' }]);
    expect(toolNames(s.upstream.messageRequests.at(-1)!)).toEqual(['StructuredOutput']);

    const stream = s.anthropic.messages.stream({
      model: MODEL,
      max_tokens: 200,
      messages: [{ role: 'user', content: 'json stream' }],
      output_config: { format },
    } as any);
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: '{"city":"Oslo","temp":4}' }]);
  });

  it('a refusal is stop_reason refusal with the model words as text, streamed and not', async () => {
    refuse();
    const format = { type: 'json_schema', schema };
    const m = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 200,
      messages: [{ role: 'user', content: 'bad' }],
      output_config: { format },
    } as any);
    expect(m.stop_reason).toBe('refusal');
    expect(m.content).toEqual([{ type: 'text', text: 'I cannot help with that.' }]);

    refuse();
    const final = await s.anthropic.messages
      .stream({ model: MODEL, max_tokens: 200, messages: [{ role: 'user', content: 'bad again' }], output_config: { format } } as any)
      .finalMessage();
    expect(final.stop_reason).toBe('refusal');
    expect(final.content).toEqual([{ type: 'text', text: 'I cannot help with that.' }]);
  });
});
