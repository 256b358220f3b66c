import { describe, expect, it } from 'vitest';
import type { ContentBlock, ToolDef, TurnMessage } from '../turn/types.js';
import { fingerprint, normalizeMessages, normalizeToolId, shapeKey, stableJson } from './fingerprint.js';

const user = (...content: ContentBlock[]): TurnMessage => ({ role: 'user', content });
const assistant = (...content: ContentBlock[]): TurnMessage => ({ role: 'assistant', content });
const text = (t: string): ContentBlock => ({ type: 'text', text: t });
const SHAPE = shapeKey('sys', []);
const fp = (messages: TurnMessage[]) => fingerprint(SHAPE, messages);

const TOOL: ToolDef = { name: 'get_time', description: 'Current time', inputSchema: { type: 'object', properties: { tz: { type: 'string' } } } };

describe('stableJson', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(stableJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
    expect(stableJson({ a: 1, b: 2 })).toBe(stableJson({ b: 2, a: 1 }));
    expect(stableJson(null)).toBe('null');
    expect(stableJson(undefined)).toBe('null');
    expect(stableJson('s')).toBe('"s"');
  });
});

describe('normalizeToolId', () => {
  it('keeps alphanumerics only (OpenClaw strips "_" from call ids)', () => {
    expect(normalizeToolId('call_01ab')).toBe('call01ab');
    expect(normalizeToolId('toolu_01-X.y')).toBe('toolu01Xy');
  });
});

describe('fingerprint', () => {
  const tooling = (callId: string, resultContent: string | ContentBlock[]): TurnMessage[] => [
    user(text('what time is it?')),
    assistant(text('Let me check.'), { type: 'tool_use', id: callId, name: 'get_time', input: { tz: 'UTC', opts: { a: 1, b: 2 } } }),
    user({ type: 'tool_result', tool_use_id: callId, content: resultContent as never }),
  ];

  it('documents count: another PDF, title or citation setting is another history; the same document matches', () => {
    const doc = (data: string, extra: Partial<Extract<ContentBlock, { type: 'document' }>> = {}): ContentBlock => ({
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data },
      ...extra,
    });
    const withDoc = (d: ContentBlock) => [user(d, text('read')), assistant(text('ok'))];
    expect(fp(withDoc(doc('JVBERi0xLjQ=')))).toBe(fp(withDoc(doc('JVBERi0xLjQ='))));
    expect(fp(withDoc(doc('JVBERi0xLjQ=')))).not.toBe(fp(withDoc(doc('JVBERi0xLjU='))));
    expect(fp(withDoc(doc('JVBERi0xLjQ=')))).not.toBe(fp(withDoc(doc('JVBERi0xLjQ=', { title: 'a' }))));
    expect(fp(withDoc(doc('JVBERi0xLjQ=')))).not.toBe(fp(withDoc(doc('JVBERi0xLjQ=', { citations: { enabled: true } }))));
    expect(fp(withDoc(doc('JVBERi0xLjQ=')))).not.toBe(fp([user(text('read')), assistant(text('ok'))]));
  });

  it('a tool result given as a string equals the same text as blocks', () => {
    expect(fp(tooling('toolu_1', '12:00'))).toBe(fp(tooling('toolu_1', [text('12:00')])));
  });

  it('text split into blocks equals the same text joined by newlines; surrounding whitespace and empty blocks do not count', () => {
    expect(fp([user(text('hello'), text('world'))])).toBe(fp([user(text('hello\nworld'))]));
    expect(fp([user(text('  hello  '), text(''))])).toBe(fp([user(text('hello'))]));
  });

  it('thinking and redacted thinking are ignored (clients drop them from the history they re-send)', () => {
    const withThinking = [
      user(text('q')),
      assistant({ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'redacted_thinking', data: 'xx' }, text('a')),
      user(text('next')),
    ];
    const without = [user(text('q')), assistant(text('a')), user(text('next'))];
    expect(fp(withThinking)).toBe(fp(without));
  });

  it('tool-call ids rewritten by the client (underscores stripped) still match', () => {
    expect(fp(tooling('call_01ab', '12:00'))).toBe(fp(tooling('call01ab', '12:00')));
  });

  it('tool input key order does not matter, input values do', () => {
    const a = [user(text('q')), assistant({ type: 'tool_use', id: 't1', name: 'f', input: { a: 1, b: 2 } })];
    const b = [user(text('q')), assistant({ type: 'tool_use', id: 't1', name: 'f', input: { b: 2, a: 1 } })];
    const c = [user(text('q')), assistant({ type: 'tool_use', id: 't1', name: 'f', input: { a: 1, b: 3 } })];
    expect(fp(a)).toBe(fp(b));
    expect(fp(a)).not.toBe(fp(c));
  });

  it('consecutive messages of one role are merged (OpenClaw appends a context message after each prompt)', () => {
    expect(fp([user(text('a')), user(text('b')), assistant(text('c'))])).toBe(fp([user(text('a'), text('b')), assistant(text('c'))]));
    expect(normalizeMessages([user(text('a')), user(text('b'))])).toHaveLength(1);
  });

  it('does not modify the messages it is given', () => {
    const msgs = [user(text('a')), user(text('b'))];
    const copy = structuredClone(msgs);
    fp(msgs);
    expect(msgs).toEqual(copy);
  });

  it('differs when the text differs, when a role differs, and when a turn is added', () => {
    const base = fp([user(text('hello')), assistant(text('hi'))]);
    expect(fp([user(text('hello!')), assistant(text('hi'))])).not.toBe(base);
    expect(fp([user(text('hello')), assistant(text('hi there'))])).not.toBe(base);
    expect(fp([assistant(text('hello')), user(text('hi'))])).not.toBe(base);
    expect(fp([user(text('hello')), assistant(text('hi')), user(text('more'))])).not.toBe(base);
  });

  it('differs when a tool result differs, or its error flag', () => {
    const base = fp(tooling('t1', '12:00'));
    expect(fp(tooling('t1', '13:00'))).not.toBe(base);
    const errored = tooling('t1', '12:00');
    (errored[2].content[0] as { is_error?: boolean }).is_error = true;
    expect(fp(errored)).not.toBe(base);
  });

  it('images count by their data', () => {
    const img = (data: string): ContentBlock => ({ type: 'image', source: { type: 'base64', media_type: 'image/png', data } });
    expect(fp([user(text('see'), img('AAAA'))])).toBe(fp([user(text('see'), img('AAAA'))]));
    expect(fp([user(text('see'), img('AAAA'))])).not.toBe(fp([user(text('see'), img('BBBB'))]));
  });

  it('is bound to the shape', () => {
    const msgs = [user(text('q'))];
    expect(fingerprint(shapeKey('a', []), msgs)).not.toBe(fingerprint(shapeKey('b', []), msgs));
  });
});

describe('shapeKey', () => {
  it('is stable for the same system, tools and output schema', () => {
    expect(shapeKey('sys', [TOOL])).toBe(shapeKey('sys', [structuredClone(TOOL)]));
    expect(shapeKey(' sys\n', [])).toBe(shapeKey('sys', []));
    expect(shapeKey(undefined, [])).toBe(shapeKey('', []));
  });

  it('changes with the system prompt', () => {
    expect(shapeKey('sys', [TOOL])).not.toBe(shapeKey('other', [TOOL]));
  });

  it('changes with the tools: added, renamed, described or re-schemed', () => {
    const base = shapeKey('sys', [TOOL]);
    expect(shapeKey('sys', [])).not.toBe(base);
    expect(shapeKey('sys', [TOOL, { ...TOOL, name: 'other' }])).not.toBe(base);
    expect(shapeKey('sys', [{ ...TOOL, name: 'get_date' }])).not.toBe(base);
    expect(shapeKey('sys', [{ ...TOOL, description: 'Now' }])).not.toBe(base);
    expect(shapeKey('sys', [{ ...TOOL, inputSchema: { type: 'object', properties: { tz: { type: 'number' } } } }])).not.toBe(base);
  });

  it('ignores key order inside a tool schema', () => {
    expect(shapeKey('sys', [{ ...TOOL, inputSchema: { properties: { tz: { type: 'string' } }, type: 'object' } }])).toBe(shapeKey('sys', [TOOL]));
  });

  it('changes with the output schema', () => {
    expect(shapeKey('sys', [], { type: 'object' })).not.toBe(shapeKey('sys', []));
    expect(shapeKey('sys', [], { type: 'object' })).not.toBe(shapeKey('sys', [], { type: 'object', properties: { a: { type: 'string' } } }));
  });
});

describe('shapeKey with hosted web fetch', () => {
  it('separates sessions with and without the fetch tool and by its limits, not by its position in tools', () => {
    const plain = shapeKey('sys', []);
    const fetch = shapeKey('sys', [], undefined, { webFetch: { field: 'tools.0' } });
    expect(fetch).not.toBe(plain);
    expect(shapeKey('sys', [], undefined, { webFetch: { field: 'tools.3' } })).toBe(fetch);
    expect(shapeKey('sys', [], undefined, { webFetch: { field: 'tools.0', maxUses: 2 } })).not.toBe(fetch);
    expect(shapeKey('sys', [], undefined, { webSearch: {}, webFetch: { field: 'tools.0' } })).not.toBe(fetch);
    expect(shapeKey('sys', [], undefined, { webSearch: {}, webFetch: { field: 'tools.0' } })).not.toBe(shapeKey('sys', [], undefined, { webSearch: {} }));
  });
});

describe('shapeKey with hosted web search', () => {
  it('a session (and spare) with search never matches a request without it, nor one with other limits', () => {
    const plain = shapeKey('sys', []);
    expect(shapeKey('sys', [], undefined, {})).toBe(plain); // no offer: the key every other request had before
    const search = shapeKey('sys', [], undefined, { webSearch: {} });
    expect(search).not.toBe(plain);
    expect(shapeKey('sys', [], undefined, { webSearch: { allowedDomains: ['a.com'] } })).not.toBe(search);
    expect(shapeKey('sys', [], undefined, { webSearch: { maxUses: 2 } })).not.toBe(search);
  });
});
