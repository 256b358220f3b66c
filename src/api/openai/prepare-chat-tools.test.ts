import { describe, expect, it } from 'vitest';
import { type TurnError, TurnFailure } from '../../turn/types.js';
import { Fields } from '../shared/read-fields.js';
import { convertChatToolChoice, prepareChatTools } from './prepare-chat-tools.js';

const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
    strict: true,
  },
};

function prepare(body: Record<string, unknown>, ignored: string[] = []) {
  const f = Fields.of(body, '');
  const tools = prepareChatTools(f.array('tools'), f.array('functions'), f, ignored);
  return { tools, toolChoice: convertChatToolChoice(f, tools, ignored), ignored };
}
function failure(body: Record<string, unknown>): TurnError {
  try {
    prepare(body);
  } catch (e) {
    expect(e).toBeInstanceOf(TurnFailure);
    return (e as TurnFailure).error;
  }
  throw new Error('expected a failure');
}

describe('prepareChatTools', () => {
  it('keeps parameters unchanged and defaults a missing schema', () => {
    expect(prepare({ tools: [weather, { type: 'function', function: { name: 'now' } }] }).tools).toEqual([
      { name: 'get_weather', description: 'Weather for a city', inputSchema: weather.function.parameters },
      { name: 'now', inputSchema: { type: 'object', properties: {} } },
    ]);
  });

  it('accepts legacy functions', () => {
    expect(prepare({ functions: [{ name: 'lookup', parameters: { type: 'object' } }] }).tools).toEqual([{ name: 'lookup', inputSchema: { type: 'object' } }]);
  });

  it('drops custom tools and lists them', () => {
    const out = prepare({ tools: [weather, { type: 'custom', custom: { name: 'grammar' } }] });
    expect(out.tools.map((t) => t.name)).toEqual(['get_weather']);
    expect(out.ignored).toEqual(['tools.1 (custom tool)']);
  });

  it('refuses bad and repeated names', () => {
    expect(failure({ tools: [{ type: 'function', function: { name: 'has space' } }] })).toMatchObject({ param: 'tools.0.function.name' });
    expect(failure({ tools: [weather], functions: [{ name: 'get_weather' }] })).toMatchObject({ param: 'functions.0.name' });
    expect(failure({ tools: [{ type: 'function' }] })).toMatchObject({ param: 'tools.0.function' });
    expect(failure({ tools: [{ type: 'function', function: { name: 'f', parameters: 'x' } }] })).toMatchObject({
      param: 'tools.0.function.parameters',
    });
  });
});

describe('convertChatToolChoice', () => {
  it.each([
    ['auto', { type: 'auto' }],
    ['none', { type: 'none' }],
    ['required', { type: 'any' }],
  ])('maps %s', (choice, expected) => {
    expect(prepare({ tools: [weather], tool_choice: choice }).toolChoice).toEqual(expected);
  });

  it('forces a named function that exists', () => {
    expect(prepare({ tools: [weather], tool_choice: { type: 'function', function: { name: 'get_weather' } } }).toolChoice).toEqual({
      type: 'tool',
      name: 'get_weather',
    });
    expect(failure({ tools: [weather], tool_choice: { type: 'function', function: { name: 'nope' } } })).toMatchObject({
      param: 'tool_choice.function.name',
    });
    expect(failure({ tool_choice: 'sometimes' })).toMatchObject({ param: 'tool_choice' });
  });

  it('keeps only the mode of allowed_tools', () => {
    const out = prepare({ tools: [weather], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [] } } });
    expect(out.toolChoice).toEqual({ type: 'any' });
    expect(out.ignored).toEqual(['tool_choice (allowed_tools)']);
  });

  it('reads the legacy function_call when tool_choice is absent', () => {
    expect(prepare({ functions: [{ name: 'f' }], function_call: { name: 'f' } }).toolChoice).toEqual({ type: 'tool', name: 'f' });
    expect(prepare({ functions: [{ name: 'f' }], function_call: 'none' }).toolChoice).toEqual({ type: 'none' });
    expect(failure({ function_call: 'required' })).toMatchObject({ param: 'function_call' });
    expect(prepare({}).toolChoice).toBeUndefined();
  });
});
