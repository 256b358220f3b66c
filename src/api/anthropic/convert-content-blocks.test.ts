import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/turn-failure.js';
import { convertMessageContent } from './convert-content-blocks.js';

describe('convertMessageContent', () => {
  it('turns a string into one text block', () => {
    expect(convertMessageContent('hi', 'user', 'm')).toEqual([{ type: 'text', text: 'hi' }]);
  });

  it('drops cache_control and citations from text blocks', () => {
    expect(convertMessageContent([{ type: 'text', text: 'a', cache_control: { type: 'ephemeral' }, citations: [] }], 'user', 'm')).toEqual([
      { type: 'text', text: 'a' },
    ]);
  });

  it('converts images and tool results (string, blocks, absent, is_error)', () => {
    const out = convertMessageContent(
      [
        { type: 'image', source: { type: 'url', url: 'https://x.test/i.png' } },
        { type: 'tool_result', tool_use_id: 't1', content: 'ok' },
        {
          type: 'tool_result',
          tool_use_id: 't2',
          is_error: true,
          content: [
            { type: 'text', text: 'boom' },
            { type: 'image', source: { type: 'base64', media_type: 'image/gif', data: 'R0l' } },
          ],
        },
        { type: 'tool_result', tool_use_id: 't3' },
      ],
      'user',
      'm',
    );
    expect(out).toEqual([
      { type: 'image', source: { type: 'url', url: 'https://x.test/i.png' } },
      { type: 'tool_result', tool_use_id: 't1', content: 'ok' },
      {
        type: 'tool_result',
        tool_use_id: 't2',
        is_error: true,
        content: [
          { type: 'text', text: 'boom' },
          { type: 'image', source: { type: 'base64', media_type: 'image/gif', data: 'R0l' } },
        ],
      },
      { type: 'tool_result', tool_use_id: 't3', content: '' },
    ]);
  });

  it('keeps assistant history: thinking (with and without signature), redacted thinking, tool use', () => {
    expect(
      convertMessageContent(
        [
          { type: 'thinking', thinking: 'hmm', signature: 'sig' },
          { type: 'thinking', thinking: 'no sig' },
          { type: 'redacted_thinking', data: 'opaque' },
          { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: [1] } },
        ],
        'assistant',
        'm',
      ),
    ).toEqual([
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      { type: 'thinking', thinking: 'no sig' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: [1] } },
    ]);
  });

  it('keeps document blocks with their title, context and citations; refuses them in assistant turns and tool results', () => {
    const doc = {
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
      title: 't',
      context: 'c',
      citations: { enabled: true },
    };
    expect(convertMessageContent([{ ...doc, cache_control: { type: 'ephemeral' } }], 'user', 'm')).toEqual([doc]);
    expect(errorOf(() => convertMessageContent([doc], 'assistant', 'm')).param).toBe('m.0.type');
    const inTool = errorOf(() => convertMessageContent([{ type: 'tool_result', tool_use_id: 't', content: [doc] }], 'user', 'm'));
    expect(inTool).toMatchObject({ param: 'm.0.content.0.type', message: expect.stringContaining('not supported inside tool_result') });
  });

  it('refuses blocks in the wrong role', () => {
    expect(errorOf(() => convertMessageContent([{ type: 'tool_use', id: 'a', name: 'b', input: {} }], 'user', 'm'))).toEqual({
      kind: 'invalid_request',
      param: 'm.0.type',
      message: "m.0.type: 'tool_use' blocks are not allowed in user messages",
    });
    expect(errorOf(() => convertMessageContent([{ type: 'tool_result', tool_use_id: 'a' }], 'assistant', 'm')).param).toBe('m.0.type');
  });

  it('accepts hosted web fetch blocks an earlier answer carried (page, PDF, error), only in assistant messages', () => {
    const out = convertMessageContent(
      [
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_fetch', input: { url: 'https://example.com/' } },
        {
          type: 'web_fetch_tool_result',
          tool_use_id: 'srvtoolu_1',
          content: {
            type: 'web_fetch_result',
            url: 'https://example.com/',
            retrieved_at: '2026-12-07T11:00:00.000Z',
            content: { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'page' }, title: null },
          },
        },
        {
          type: 'web_fetch_tool_result',
          tool_use_id: 'srvtoolu_2',
          content: {
            type: 'web_fetch_result',
            url: 'https://example.com/a.pdf',
            content: { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' } },
          },
        },
        { type: 'web_fetch_tool_result', tool_use_id: 'srvtoolu_3', content: { type: 'web_fetch_tool_result_error', error_code: 'url_not_accessible' } },
      ],
      'assistant',
      'm',
    );
    expect(out).toEqual([
      { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_fetch', input: { url: 'https://example.com/' } },
      {
        type: 'web_fetch_result',
        toolUseId: 'srvtoolu_1',
        url: 'https://example.com/',
        retrievedAt: '2026-12-07T11:00:00.000Z',
        document: { source: { type: 'text', media_type: 'text/plain', data: 'page' } },
      },
      {
        type: 'web_fetch_result',
        toolUseId: 'srvtoolu_2',
        url: 'https://example.com/a.pdf',
        document: { source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' } },
      },
      { type: 'web_fetch_result', toolUseId: 'srvtoolu_3', url: '', error: { code: 'url_not_accessible' } },
    ]);
    expect(errorOf(() => convertMessageContent([{ type: 'web_fetch_tool_result', tool_use_id: 'a', content: {} }], 'user', 'm')).param).toBe('m.0.type');
    expect(errorOf(() => convertMessageContent([{ type: 'web_fetch_tool_result', tool_use_id: 'a', content: {} }], 'assistant', 'm')).param).toBe(
      'm.0.content.type',
    );
    expect(
      errorOf(() => convertMessageContent([{ type: 'web_fetch_tool_result', tool_use_id: 'a', content: { type: 'web_fetch_result' } }], 'assistant', 'm'))
        .param,
    ).toBe('m.0.content.url');
    expect(errorOf(() => convertMessageContent([{ type: 'server_tool_use', id: 'a', name: 'code_execution', input: {} }], 'assistant', 'm')).param).toBe(
      'm.0.name',
    );
  });

  it('names the exact field that is wrong', () => {
    expect(errorOf(() => convertMessageContent([{ type: 'text' }], 'user', 'messages.0.content')).param).toBe('messages.0.content.0.text');
    expect(errorOf(() => convertMessageContent([{ type: 7 }], 'user', 'messages.0.content')).message).toBe(
      'messages.0.content.0.type: expected a string, got a number',
    );
    expect(errorOf(() => convertMessageContent([{ type: 'sparkle' }], 'user', 'm')).message).toBe("m.0.type: unknown content block type 'sparkle'");
    expect(errorOf(() => convertMessageContent([{ type: 'tool_use', id: 'a', name: 'b', input: [] }], 'assistant', 'm')).param).toBe('m.0.input');
    expect(errorOf(() => convertMessageContent([{ type: 'tool_use', id: 'a', name: 'b' }], 'assistant', 'm')).param).toBe('m.0.input');
    expect(errorOf(() => convertMessageContent([{ type: 'tool_result', tool_use_id: 'a', content: [{ type: 'document' }] }], 'user', 'm')).param).toBe(
      'm.0.content.0.type',
    );
    expect(errorOf(() => convertMessageContent(5, 'user', 'm')).message).toBe('m: expected a string or an array of content blocks, got a number');
  });
});
