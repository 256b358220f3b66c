import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/turn-failure.js';
import { convertToolChoice, convertTools, convertWebFetch } from './convert-tools.js';

const schema = {
  type: 'object',
  properties: { q: { $ref: '#/$defs/Q' } },
  $defs: { Q: { type: 'string', format: 'email' } },
  additionalProperties: false,
};

describe('convertTools', () => {
  it('passes client tool schemas through unchanged (same object) and drops server tools', () => {
    const tools = convertTools(
      [
        { name: 'lookup', description: 'Look up', input_schema: schema, cache_control: { type: 'ephemeral' }, strict: true },
        { type: 'custom', name: 'other', input_schema: { type: 'object' } },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
        { type: 'bash_20250124', name: 'bash' },
      ],
      'tools',
    );
    expect(tools).toEqual([
      { name: 'lookup', description: 'Look up', inputSchema: schema },
      { name: 'other', inputSchema: { type: 'object' } },
    ]);
    expect(tools[0].inputSchema).toBe(schema);
  });

  it('returns no tools when absent', () => {
    expect(convertTools(undefined, 'tools')).toEqual([]);
  });

  it('rejects bad names, duplicates and missing schemas', () => {
    expect(errorOf(() => convertTools([{ name: 'has space', input_schema: {} }], 'tools')).param).toBe('tools.0.name');
    expect(
      errorOf(() =>
        convertTools(
          [
            { name: 'a', input_schema: {} },
            { name: 'a', input_schema: {} },
          ],
          'tools',
        ),
      ),
    ).toEqual({ kind: 'invalid_request', param: 'tools.1.name', message: "tools.1.name: tool names must be unique, 'a' repeats" });
    expect(errorOf(() => convertTools([{ name: 'a' }], 'tools')).message).toBe('tools.0.input_schema: field required');
    expect(errorOf(() => convertTools([{ name: 'a', input_schema: 'x' }], 'tools')).param).toBe('tools.0.input_schema');
  });
});

describe('convertToolChoice', () => {
  const tools = [{ name: 'lookup', inputSchema: {} }];
  it('maps every choice', () => {
    expect(convertToolChoice(undefined, 'tool_choice', tools)).toEqual({});
    expect(convertToolChoice({ type: 'auto' }, 'tool_choice', tools)).toEqual({ toolChoice: { type: 'auto' } });
    expect(convertToolChoice({ type: 'any' }, 'tool_choice', tools)).toEqual({ toolChoice: { type: 'any' } });
    expect(convertToolChoice({ type: 'none' }, 'tool_choice', tools)).toEqual({ toolChoice: { type: 'none' } });
    expect(convertToolChoice({ type: 'tool', name: 'lookup' }, 'tool_choice', tools)).toEqual({
      toolChoice: { type: 'tool', name: 'lookup' },
    });
  });

  it('turns disable_parallel_tool_use into parallelToolCalls', () => {
    expect(convertToolChoice({ type: 'auto', disable_parallel_tool_use: true }, 'tool_choice', tools)).toEqual({
      toolChoice: { type: 'auto' },
      parallelToolCalls: false,
    });
  });

  it('rejects unknown types and tools that are not defined', () => {
    expect(errorOf(() => convertToolChoice({ type: 'required' }, 'tool_choice', tools)).param).toBe('tool_choice.type');
    expect(errorOf(() => convertToolChoice({}, 'tool_choice', tools)).message).toBe('tool_choice.type: field required');
    expect(errorOf(() => convertToolChoice({ type: 'tool', name: 'nope' }, 'tool_choice', tools)).param).toBe('tool_choice.name');
  });
});

describe('convertWebFetch', () => {
  it('reads the web_fetch_* tool into an offer with its field, limits, domains and citations', () => {
    expect(
      convertWebFetch(
        [
          { name: 'lookup', input_schema: {} },
          {
            type: 'web_fetch_20250910',
            name: 'web_fetch',
            max_uses: 3,
            allowed_domains: [' example.com '],
            max_content_tokens: 5000,
            citations: { enabled: true },
          },
        ],
        'tools',
      ),
    ).toEqual({ offer: { field: 'tools.1', maxUses: 3, allowedDomains: ['example.com'], maxContentTokens: 5000, citations: true } });
    expect(convertWebFetch([{ type: 'web_fetch_20250910', name: 'web_fetch', blocked_domains: ['a.test'] }], 'tools')).toEqual({
      offer: { field: 'tools.0', blockedDomains: ['a.test'] },
    });
    expect(convertWebFetch([{ type: 'web_search_20250305', name: 'web_search' }], 'tools')).toEqual({});
    expect(convertWebFetch(undefined, 'tools')).toEqual({});
  });

  it('rejects bad limits, both domain lists, and a second fetch tool', () => {
    expect(errorOf(() => convertWebFetch([{ type: 'web_fetch_20250910', name: 'web_fetch', max_uses: 0 }], 'tools')).param).toBe('tools.0.max_uses');
    expect(errorOf(() => convertWebFetch([{ type: 'web_fetch_20250910', name: 'web_fetch', max_content_tokens: -1 }], 'tools')).param).toBe(
      'tools.0.max_content_tokens',
    );
    expect(errorOf(() => convertWebFetch([{ type: 'web_fetch_20250910', name: 'web_fetch', allowed_domains: [''] }], 'tools')).param).toBe(
      'tools.0.allowed_domains.0',
    );
    expect(
      errorOf(() => convertWebFetch([{ type: 'web_fetch_20250910', name: 'web_fetch', allowed_domains: ['a.test'], blocked_domains: ['b.test'] }], 'tools'))
        .param,
    ).toBe('tools.0.blocked_domains');
    expect(
      errorOf(() =>
        convertWebFetch(
          [
            { type: 'web_fetch_20250910', name: 'web_fetch' },
            { type: 'web_fetch_20250910', name: 'web_fetch' },
          ],
          'tools',
        ),
      ).param,
    ).toBe('tools.1.type');
  });
});
