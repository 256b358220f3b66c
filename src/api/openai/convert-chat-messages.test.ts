import { describe, expect, it } from 'vitest';
import { type TurnError, TurnFailure } from '../../turn/types.js';
import { convertChatMessages, mergeTurns } from './convert-chat-messages.js';

const convert = (messages: unknown[]) => convertChatMessages(messages, 'messages');
function failure(messages: unknown[]): TurnError {
  try {
    convert(messages);
  } catch (e) {
    expect(e).toBeInstanceOf(TurnFailure);
    return (e as TurnFailure).error;
  }
  throw new Error('expected a failure');
}

describe('convertChatMessages', () => {
  it('reads user content parts: text and images (data and https URLs, detail accepted)', () => {
    const { messages } = convert([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          { type: 'image_url', image_url: 'https://example.com/dog.jpg' },
        ],
      },
    ]);
    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/dog.jpg' } },
        ],
      },
    ]);
  });

  it('turns a tool-call round trip into tool_use and tool_result blocks', () => {
    const { messages } = convert([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      {
        role: 'tool',
        tool_call_id: 'call_2',
        content: [
          { type: 'text', text: '21C' },
          { type: 'text', text: 'sunny' },
        ],
      },
      { role: 'user', content: 'Thanks' },
    ]);
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '18C' },
          { type: 'tool_result', tool_use_id: 'call_2', content: '21C\n\nsunny' },
          { type: 'text', text: 'Thanks' },
        ],
      },
    ]);
  });

  it('reads assistant content as "", a string, or text and refusal parts', () => {
    const { messages } = convert([
      { role: 'user', content: 'a' },
      { role: 'assistant', content: '', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c', content: 'ok' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'x' },
          { type: 'refusal', refusal: 'I cannot.' },
        ],
      },
      { role: 'assistant', content: 'more' },
    ]);
    expect(messages[1]).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 'c', name: 'f', input: {} }] });
    expect(messages[3]).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'x' },
        { type: 'text', text: 'I cannot.' },
        { type: 'text', text: 'more' },
      ],
    });
  });

  it('pairs the legacy function_call and function role', () => {
    const { messages } = convert([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: null, function_call: { name: 'lookup', arguments: '{"q":1}' } },
      { role: 'function', name: 'lookup', content: 'found' },
    ]);
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'q' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_legacy_messages_1', name: 'lookup', input: { q: 1 } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_legacy_messages_1', content: 'found' }] },
    ]);
    expect(failure([{ role: 'function', name: 'lookup', content: 'x' }])).toMatchObject({ param: 'messages.0.name' });
  });

  it('merges consecutive same-role messages and drops empty ones', () => {
    const { messages, system } = convert([
      { role: 'user', content: 'a' },
      { role: 'system', content: 'S' },
      { role: 'user', content: '' },
      { role: 'user', content: [{ type: 'text', text: 'b' }] },
    ]);
    expect(system).toEqual(['S']);
    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
    ]);
  });

  it('refuses what Claude cannot take, naming the field', () => {
    expect(failure([{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }])).toEqual({
      kind: 'invalid_request',
      message: 'messages.0.content.0.type: audio input is not supported',
      param: 'messages.0.content.0.type',
      code: undefined,
    });
    expect(failure([{ role: 'user', content: [{ type: 'file', file: { file_id: 'f' } }] }])).toMatchObject({
      param: 'messages.0.content.0.file.file_id',
      message: expect.stringContaining('no Files API'),
    });
    expect(failure([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }])).toMatchObject({
      param: 'messages.0.content.0.image_url.url',
    });
    expect(failure([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/tiff;base64,AA' } }] }])).toMatchObject({
      param: 'messages.0.content.0.image_url.url',
    });
    expect(failure([{ role: 'assistant', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }])).toMatchObject({
      param: 'messages.0.content.0.type',
    });
    expect(failure([{ role: 'robot', content: 'x' }])).toMatchObject({ param: 'messages.0.role' });
    expect(failure([{ content: 'x' }])).toMatchObject({ param: 'messages.0.role' });
    expect(failure([{ role: 'user' }])).toMatchObject({ param: 'messages.0.content' });
    expect(failure([{ role: 'tool', content: 'x' }])).toMatchObject({ param: 'messages.0.tool_call_id' });
    expect(failure([{ role: 'system', content: [{ type: 'image_url' }] }])).toMatchObject({ param: 'messages.0.content.0.type' });
    expect(failure(['hi'])).toMatchObject({ param: 'messages.0' });
  });

  it('refuses tool call arguments that are not a JSON object', () => {
    const call = (args: string) => [
      { role: 'user', content: 'x' },
      { role: 'user', content: 'y' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: args } }] },
    ];
    expect(failure(call('{"a":'))).toEqual({
      kind: 'invalid_request',
      message: 'messages.2.tool_calls.0.function.arguments: is not valid JSON',
      param: 'messages.2.tool_calls.0.function.arguments',
      code: undefined,
    });
    expect(failure(call('[1]'))).toMatchObject({ param: 'messages.2.tool_calls.0.function.arguments' });
    expect(failure([{ role: 'assistant', tool_calls: [{ id: 'c', type: 'custom', custom: { name: 'f', input: 'x' } }] }])).toMatchObject({
      param: 'messages.0.tool_calls.0.type',
    });
  });
});

describe('mergeTurns', () => {
  it('does not mutate its input', () => {
    const a = { role: 'user' as const, content: [{ type: 'text' as const, text: 'a' }] };
    const b = { role: 'user' as const, content: [{ type: 'text' as const, text: 'b' }] };
    expect(mergeTurns([a, b])).toEqual([{ role: 'user', content: [a.content[0], b.content[0]] }]);
    expect(a.content).toHaveLength(1);
  });
});
