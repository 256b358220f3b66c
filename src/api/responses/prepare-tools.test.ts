import { describe, expect, it } from 'vitest';
import { TurnFailure } from '../../turn/types.js';
import { errorOf } from '../testing/turn-failure.js';
import { convertToolChoice, flatToolName, type IgnoredInput, prepareTools } from './prepare-tools.js';

const params = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] };

describe('prepareTools', () => {
  it('keeps function tools with their schema unchanged and drops hosted tools, listing them', () => {
    const ignored: IgnoredInput[] = [];
    const fn = { type: 'function', name: 'lookup', description: 'Look up', parameters: params, strict: true };
    const out = prepareTools([fn, { type: 'code_interpreter' }, { type: 'file_search', vector_store_ids: [] }, { type: 'local_shell' }], 'tools', ignored);
    expect(out.tools).toEqual([{ name: 'lookup', description: 'Look up', inputSchema: params }]);
    expect(out.tools[0].inputSchema).toBe(params);
    expect(out.echo).toEqual([fn]);
    expect(ignored).toEqual([
      { field: 'tools.1', type: 'code_interpreter' },
      { field: 'tools.2', type: 'file_search' },
      { field: 'tools.3', type: 'local_shell' },
    ]);
  });

  it("serves Codex's live web_search and names image search_content_types; cached-only is not served", () => {
    const ignored: IgnoredInput[] = [];
    const live = prepareTools([{ type: 'web_search', external_web_access: true, search_content_types: ['text', 'image'] }], 'tools', ignored);
    expect(live.webSearch).toEqual({});
    expect(ignored).toEqual([{ field: 'tools.0.search_content_types', type: 'only text results (the CLI search returns no images)' }]);
    const textOnly: IgnoredInput[] = [];
    expect(prepareTools([{ type: 'web_search', search_content_types: ['text'] }], 'tools', textOnly).webSearch).toEqual({});
    expect(textOnly).toEqual([]);
    const cached: IgnoredInput[] = [];
    expect(prepareTools([{ type: 'web_search', external_web_access: false }], 'tools', cached).webSearch).toBeUndefined();
    expect(cached).toHaveLength(1);
  });

  it('gives a function without parameters an empty object schema', () => {
    expect(prepareTools([{ type: 'function', name: 'now', parameters: null }], 'tools', []).tools).toEqual([
      { name: 'now', inputSchema: { type: 'object', properties: {} } },
    ]);
  });

  it('flattens namespace tools to <namespace>__<name> and remembers the split', () => {
    const ignored: IgnoredInput[] = [];
    const out = prepareTools(
      [
        {
          type: 'namespace',
          name: 'mcp__github',
          description: 'GitHub',
          tools: [{ type: 'function', name: 'search', description: 'Search', parameters: params }, { type: 'image_generation' }],
        },
      ],
      'tools',
      ignored,
    );
    expect(out.tools).toEqual([{ name: 'mcp__github__search', description: 'Search', inputSchema: params }]);
    expect([...out.namespacedTools]).toEqual([['mcp__github__search', { namespace: 'mcp__github', name: 'search' }]]);
    expect(ignored).toEqual([{ field: 'tools.0.tools.1', type: 'image_generation' }]);
  });

  it('offers a custom (freeform) tool as one string input with its grammar in the description', () => {
    const ignored: IgnoredInput[] = [];
    const grammar = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF';
    const tool = { type: 'custom', name: 'apply_patch', description: 'Edit files.', format: { type: 'grammar', syntax: 'lark', definition: grammar } };
    const out = prepareTools([tool, { type: 'custom', name: 'note' }], 'tools', ignored);
    expect(out.tools.map((t) => t.name)).toEqual(['apply_patch', 'note']);
    expect(out.tools[0].inputSchema).toEqual({
      type: 'object',
      properties: { input: { type: 'string', description: 'The raw text input of the tool.' } },
      required: ['input'],
      additionalProperties: false,
    });
    expect(out.tools[0].description).toMatch(/^Edit files\.\n\n/);
    expect(out.tools[0].description).toContain('Lark grammar');
    expect(out.tools[0].description).toContain(grammar);
    expect(out.tools[1].description).toContain('free-form text');
    expect([...out.customTools]).toEqual(['apply_patch', 'note']);
    expect(out.echo).toEqual([tool, { type: 'custom', name: 'note' }]);
    // The grammar is described, not enforced: named as not honoured.
    expect(ignored).toEqual([{ field: 'tools.0.format', type: 'lark grammar, described to the model, not enforced' }]);
  });

  it('flattens a custom tool inside a namespace and refuses an unknown custom format', () => {
    const out = prepareTools([{ type: 'namespace', name: 'ns', tools: [{ type: 'custom', name: 'run' }] }], 'tools', []);
    expect([...out.customTools]).toEqual(['ns__run']);
    expect(out.namespacedTools.get('ns__run')).toEqual({ namespace: 'ns', name: 'run' });
    expect(errorOf(() => prepareTools([{ type: 'custom', name: 'x', format: { type: 'audio' } }], 'tools', []))).toMatchObject({
      kind: 'invalid_request',
      param: 'tools.0.format.type',
    });
  });

  it('tool_choice {type: custom} forces that custom tool', () => {
    const prepared = prepareTools([{ type: 'custom', name: 'apply_patch' }], 'tools', []);
    expect(convertToolChoice({ type: 'custom', name: 'apply_patch' }, 'tool_choice', prepared.tools, [], prepared.customTools)).toEqual({
      type: 'tool',
      name: 'apply_patch',
    });
    expect(errorOf(() => convertToolChoice({ type: 'custom', name: 'nope' }, 'tool_choice', prepared.tools, [], prepared.customTools))).toMatchObject({
      param: 'tool_choice.name',
    });
  });

  it('refuses a flattened name that breaks the name rule, naming the inner tool', () => {
    const long = 'n'.repeat(40);
    expect(errorOf(() => prepareTools([{ type: 'namespace', name: long, tools: [{ type: 'function', name: 'm'.repeat(30) }] }], 'tools', []))).toMatchObject({
      kind: 'invalid_request',
      param: 'tools.0.tools.0.name',
    });
    expect(() => flatToolName('a b', 'c', 'p')).toThrow(TurnFailure);
    expect(flatToolName('ns', 'tool', 'p')).toBe('ns__tool');
  });

  it('refuses bad names, duplicates (also across namespaces) and untyped tools', () => {
    expect(errorOf(() => prepareTools([{ type: 'function', name: 'a.b' }], 'tools', [])).param).toBe('tools.0.name');
    expect(
      errorOf(() =>
        prepareTools(
          [
            { type: 'function', name: 'ns__t' },
            { type: 'namespace', name: 'ns', tools: [{ type: 'function', name: 't' }] },
          ],
          'tools',
          [],
        ),
      ),
    ).toEqual({ kind: 'invalid_request', param: 'tools.1.tools.0.name', message: "tools.1.tools.0.name: tool names must be unique, 'ns__t' repeats" });
    expect(errorOf(() => prepareTools([{ name: 'x' }], 'tools', [])).message).toBe('tools.0.type: field required');
  });
});

describe('convertToolChoice', () => {
  const tools = [{ name: 'lookup', inputSchema: {} }];
  it('maps the string choices', () => {
    expect(convertToolChoice('auto', 'tool_choice', tools, [])).toEqual({ type: 'auto' });
    expect(convertToolChoice('none', 'tool_choice', tools, [])).toEqual({ type: 'none' });
    expect(convertToolChoice('required', 'tool_choice', tools, [])).toEqual({ type: 'any' });
    expect(convertToolChoice(undefined, 'tool_choice', tools, [])).toBeUndefined();
  });

  it('maps a named function, and refuses one that is not defined', () => {
    expect(convertToolChoice({ type: 'function', name: 'lookup' }, 'tool_choice', tools, [])).toEqual({
      type: 'tool',
      name: 'lookup',
    });
    expect(errorOf(() => convertToolChoice({ type: 'function', name: 'nope' }, 'tool_choice', tools, [])).param).toBe('tool_choice.name');
  });

  it('degrades allowed_tools and hosted-tool choices, listing them', () => {
    const ignored: IgnoredInput[] = [];
    expect(convertToolChoice({ type: 'allowed_tools', mode: 'required', tools: [] }, 'tool_choice', tools, ignored)).toEqual({
      type: 'any',
    });
    expect(convertToolChoice({ type: 'web_search_preview' }, 'tool_choice', tools, ignored)).toEqual({ type: 'auto' });
    expect(ignored).toEqual([
      { field: 'tool_choice', type: 'allowed_tools' },
      { field: 'tool_choice', type: 'web_search_preview' },
    ]);
  });

  it('refuses unknown strings and other JSON types', () => {
    expect(errorOf(() => convertToolChoice('sometimes', 'tool_choice', tools, [])).message).toBe(
      "tool_choice: must be 'auto', 'none', 'required' or an object, got 'sometimes'",
    );
    expect(errorOf(() => convertToolChoice(3, 'tool_choice', tools, [])).message).toBe('tool_choice: expected a string or an object, got a number');
  });
});
