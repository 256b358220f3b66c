import { describe, expect, it } from 'vitest';
import type { ContentBlock, ToolDef, TurnMessage, TurnRequest } from '../turn/types.js';
import { TurnFailure } from '../turn/types.js';
import { cliOutputFormat, splitTurn, withToolChoice } from './turn-input.js';

const user = (...content: ContentBlock[]): TurnMessage => ({ role: 'user', content });
const assistant = (...content: ContentBlock[]): TurnMessage => ({ role: 'assistant', content });
const text = (t: string): ContentBlock => ({ type: 'text', text: t });
const result = (id: string, content = 'ok'): ContentBlock => ({ type: 'tool_result', tool_use_id: id, content });

describe('splitTurn', () => {
  it('a single user message is all input, no history', () => {
    expect(splitTurn([user(text('hi'))])).toEqual({ history: [], input: [text('hi')] });
  });

  it('the history is everything up to the last assistant message', () => {
    const msgs = [user(text('a')), assistant(text('b')), user(text('c'))];
    expect(splitTurn(msgs)).toEqual({ history: [user(text('a')), assistant(text('b'))], input: [text('c')] });
  });

  it('the trailing run of user messages is merged into one input, in order', () => {
    const msgs = [
      user(text('a')),
      assistant({ type: 'tool_use', id: 't1', name: 'f', input: {} }),
      user(result('t1')),
      user(text('context')),
      user(text('more')),
    ];
    const { history, input } = splitTurn(msgs);
    expect(history).toEqual(msgs.slice(0, 2));
    expect(input).toEqual([result('t1'), text('context'), text('more')]);
  });

  it('earlier consecutive user messages stay in the history', () => {
    const msgs = [user(text('a')), user(text('a2')), assistant(text('b')), user(text('c'))];
    expect(splitTurn(msgs).history).toEqual(msgs.slice(0, 3));
  });

  it('does not modify the messages', () => {
    const msgs = [user(text('a')), assistant(text('b')), user(text('c')), user(text('d'))];
    const copy = structuredClone(msgs);
    splitTurn(msgs);
    expect(msgs).toEqual(copy);
  });

  it('no messages → invalid_request on messages', () => {
    const e = (() => {
      try {
        splitTurn([]);
      } catch (err) {
        return err as TurnFailure;
      }
    })();
    expect(e).toBeInstanceOf(TurnFailure);
    expect(e!.error).toMatchObject({ kind: 'invalid_request', param: 'messages' });
  });

  it('a last assistant message (prefill) → invalid_request pointing at its role', () => {
    expect(() => splitTurn([user(text('a')), assistant(text('b'))])).toThrow(TurnFailure);
    try {
      splitTurn([user(text('a')), assistant(text('b'))]);
    } catch (e) {
      expect((e as TurnFailure).error).toMatchObject({ kind: 'invalid_request', param: 'messages.1.role' });
      expect((e as TurnFailure).error.message).toMatch(/prefill/);
    }
  });
});

describe('withToolChoice', () => {
  const TOOLS: ToolDef[] = [{ name: 'get_time', inputSchema: { type: 'object' } }];
  const req = (over: Partial<TurnRequest>): TurnRequest => ({ model: 'sonnet', messages: [], tools: TOOLS, conversation: {}, stream: false, ...over });
  const input = [text('what time is it?')];
  const note = (blocks: ContentBlock[]) => {
    const last = blocks[blocks.length - 1];
    return last.type === 'text' && last.text.startsWith('<tool-choice>') ? last.text : undefined;
  };

  it('leaves the input alone without tools, whatever the choice', () => {
    expect(withToolChoice(input, req({ tools: [], toolChoice: { type: 'any' }, parallelToolCalls: false }))).toBe(input);
  });

  it.each([undefined, { type: 'auto' as const }, { type: 'none' as const }])('tool_choice %j adds nothing', (toolChoice) => {
    expect(withToolChoice(input, req({ toolChoice }))).toBe(input);
  });

  it('"any" (required) asks for at least one tool call', () => {
    const out = withToolChoice(input, req({ toolChoice: { type: 'any' } }));
    expect(out.slice(0, 1)).toEqual(input);
    expect(note(out)).toBe('<tool-choice>You must call one or more of the available tools in this response.</tool-choice>');
  });

  it('a named tool asks for that tool', () => {
    expect(note(withToolChoice(input, req({ toolChoice: { type: 'tool', name: 'get_time' } })))).toBe(
      '<tool-choice>You must call the tool "get_time" in this response.</tool-choice>',
    );
  });

  it('parallel_tool_calls false asks for at most one call, alone or with a choice', () => {
    expect(note(withToolChoice(input, req({ parallelToolCalls: false })))).toBe('<tool-choice>Call at most one tool in this response.</tool-choice>');
    expect(note(withToolChoice(input, req({ toolChoice: { type: 'any' }, parallelToolCalls: false })))).toBe(
      '<tool-choice>You must call one or more of the available tools in this response. Call at most one tool in this response.</tool-choice>',
    );
    expect(withToolChoice(input, req({ parallelToolCalls: true }))).toBe(input);
  });

  it('"none" with parallel_tool_calls false adds nothing', () => {
    expect(withToolChoice(input, req({ toolChoice: { type: 'none' }, parallelToolCalls: false }))).toBe(input);
  });

  it('an input of only tool results is left alone (it continues a suspended CLI turn)', () => {
    const results = [result('t1'), result('t2')];
    expect(withToolChoice(results, req({ toolChoice: { type: 'any' } }))).toBe(results);
  });

  it('tool results with new user text get the note after them', () => {
    const mixed = [result('t1'), text('now the date')];
    const out = withToolChoice(mixed, req({ toolChoice: { type: 'any' } }));
    expect(out.slice(0, 2)).toEqual(mixed);
    expect(note(out)).toBeDefined();
  });

  it('does not modify the input array', () => {
    const copy = structuredClone(input);
    withToolChoice(input, req({ toolChoice: { type: 'any' } }));
    expect(input).toEqual(copy);
  });
});

describe('cliOutputFormat', () => {
  it('passes object schemas unchanged', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    expect(cliOutputFormat(schema)).toEqual({ schema });
  });

  it('wraps other roots as the property `output`, keeping $defs at the root', () => {
    expect(
      cliOutputFormat({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        anyOf: [{ type: 'string' }, { $ref: '#/$defs/n' }],
        $defs: { n: { type: 'number' } },
      }),
    ).toEqual({
      key: 'output',
      schema: {
        type: 'object',
        properties: { output: { anyOf: [{ type: 'string' }, { $ref: '#/$defs/n' }] } },
        required: ['output'],
        additionalProperties: false,
        $defs: { n: { type: 'number' } },
      },
    });
  });
});
