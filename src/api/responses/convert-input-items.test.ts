import { describe, expect, it } from 'vitest';
import type { TurnMessage } from '../../turn/types.js';
import { errorOf } from '../testing/turn-failure.js';
import { convertInput, mergeTurns } from './convert-input-items.js';
import type { IgnoredInput } from './prepare-tools.js';

const convert = (input: unknown, ignored: IgnoredInput[] = []) => convertInput(input, 'input', ignored);

describe('convertInput', () => {
  it('turns a string into one user message', () => {
    expect(convert('hi')).toEqual({ system: [], turns: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
  });

  it('collects system and developer messages as system text, in order', () => {
    const out = convert([
      { role: 'system', content: 'one' },
      {
        type: 'message',
        role: 'developer',
        content: [
          { type: 'input_text', text: 'two' },
          { type: 'input_text', text: 'three' },
        ],
      },
      { role: 'user', content: 'q' },
    ]);
    expect(out.system).toEqual(['one', 'two\n\nthree']);
    expect(out.turns).toEqual([{ role: 'user', content: [{ type: 'text', text: 'q' }] }]);
  });

  it('converts user parts: text and images (data URL, https URL, {url} object)', () => {
    expect(
      convert([
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'look' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'high' },
            { type: 'input_image', image_url: 'https://x.test/a.gif' },
            { type: 'input_image', image_url: { url: 'https://x.test/b.gif' } },
          ],
        },
      ]).turns,
    ).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          { type: 'image', source: { type: 'url', url: 'https://x.test/a.gif' } },
          { type: 'image', source: { type: 'url', url: 'https://x.test/b.gif' } },
        ],
      },
    ]);
  });

  it('converts assistant output_text and refusal parts to text', () => {
    expect(
      convert([
        {
          type: 'message',
          id: 'msg_1',
          status: 'completed',
          role: 'assistant',
          content: [
            { type: 'output_text', text: 'a', annotations: [] },
            { type: 'refusal', refusal: 'no' },
          ],
        },
      ]).turns,
    ).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'no' },
        ],
      },
    ]);
  });

  it('turns function calls into tool_use and outputs into tool_result (string and parts)', () => {
    expect(
      convert([
        { type: 'function_call', id: 'fc_1', call_id: 'toolu_1', name: 'f', arguments: '{"a":1}', status: 'completed' },
        { type: 'function_call', call_id: 'toolu_2', name: 'g', arguments: '' },
        { type: 'function_call', call_id: 'toolu_3', namespace: 'ns', name: 'h', arguments: '{}' },
        { type: 'function_call_output', call_id: 'toolu_1', output: 'ok' },
        {
          type: 'function_call_output',
          call_id: 'toolu_2',
          output: [
            { type: 'input_text', text: 'see' },
            { type: 'input_image', image_url: 'https://x.test/c.png' },
          ],
        },
      ]).turns,
    ).toEqual([
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_2', name: 'g', input: {} }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_3', name: 'ns__h', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'toolu_2',
            content: [
              { type: 'text', text: 'see' },
              { type: 'image', source: { type: 'url', url: 'https://x.test/c.png' } },
            ],
          },
        ],
      },
    ]);
  });

  it('drops reasoning and hosted-tool items, listing them', () => {
    const ignored: IgnoredInput[] = [];
    const out = convert(
      [
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'web_search_call', id: 'ws_1', status: 'completed' },
        { role: 'user', content: 'x' },
      ],
      ignored,
    );
    expect(out.turns).toHaveLength(1);
    expect(ignored).toEqual([
      { field: 'input.0', type: 'reasoning' },
      { field: 'input.1', type: 'web_search_call' },
    ]);
  });

  it('reads custom_tool_call as a tool_use of one string and its output as a tool_result', () => {
    const ignored: IgnoredInput[] = [];
    const patch = '*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch';
    const out = convert(
      [
        { role: 'user', content: 'add a.txt' },
        { type: 'custom_tool_call', id: 'ctc_1', status: 'completed', call_id: 'call_p', name: 'apply_patch', input: patch },
        { type: 'custom_tool_call_output', call_id: 'call_p', output: 'Success. Updated the following files:\nA a.txt' },
        { type: 'custom_tool_call', call_id: 'call_q', namespace: 'ns', name: 'run', input: 'x' },
      ],
      ignored,
    );
    expect(ignored).toEqual([]);
    expect(out.turns.slice(1)).toEqual([
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_p', name: 'apply_patch', input: { input: patch } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_p', content: 'Success. Updated the following files:\nA a.txt' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_q', name: 'ns__run', input: { input: 'x' } }] },
    ]);
  });

  it('refuses what it cannot serve, naming the field', () => {
    const cases: [unknown, string, string][] = [
      [
        [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }],
        'input.0.content.0.file_id',
        'input.0.content.0.file_id: file_id images are not supported (maxproxy has no Files API); send image_url as a data: or https URL',
      ],
      [
        [{ role: 'user', content: [{ type: 'input_file', file_data: 'x' }] }],
        'input.0.content.0.file_data',
        'input.0.content.0.file_data: file_data must be a data: URL (data:application/pdf;base64,…), or base64 with a .pdf filename',
      ],
      [
        [{ role: 'assistant', content: [{ type: 'input_image', image_url: 'https://x.test/a.png' }] }],
        'input.0.content.0.type',
        'input.0.content.0.type: images are only allowed in user messages',
      ],
      [
        [{ role: 'user', content: [{ type: 'refusal', refusal: 'x' }] }],
        'input.0.content.0.type',
        'input.0.content.0.type: refusal parts are only allowed in assistant messages',
      ],
      [
        [{ type: 'item_reference', id: 'msg_1' }],
        'input.0.type',
        'input.0.type: item_reference is not supported (maxproxy keeps no items by id); send the item itself',
      ],
      [[{ type: 'function_call', call_id: 'c', name: 'f', arguments: '{nope' }], 'input.0.arguments', 'input.0.arguments: is not valid JSON'],
      [[{ type: 'function_call', call_id: 'c', name: 'f', arguments: '[1]' }], 'input.0.arguments', 'input.0.arguments: must be a JSON object, got an array'],
      [[{ type: 'function_call_output', call_id: 'c' }], 'input.0.output', 'input.0.output: field required'],
      [[{ type: 'hologram' }], 'input.0.type', "input.0.type: unknown input item type 'hologram'"],
      [[{ content: 'x' }], 'input.0.type', 'input.0.type: field required (or a role, for a message)'],
      [[{ role: 'tool', content: 'x' }], 'input.0.role', "input.0.role: must be one of 'user', 'assistant', 'system', 'developer', got 'tool'"],
      [
        [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x.test/a.png' }] }],
        'input.0.content.0.type',
        "input.0.content.0.type: system and developer messages take text parts only, got 'input_image'",
      ],
      [[{ role: 'user', content: 5 }], 'input.0.content', 'input.0.content: expected a string or an array of content parts, got a number'],
      [7, 'input', 'input: expected a string or an array of input items, got a number'],
    ];
    for (const [input, param, message] of cases) {
      expect(errorOf(() => convert(input))).toEqual({ kind: 'invalid_request', param, message });
    }
  });
});

describe('mergeTurns', () => {
  it('merges consecutive same-role turns without mutating its input', () => {
    const first: TurnMessage = { role: 'user', content: [{ type: 'text', text: 'a' }] };
    const frozen = structuredClone(first);
    const merged = mergeTurns([
      first,
      { role: 'user', content: [{ type: 'text', text: 'b' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'c' }] },
      { role: 'user', content: [{ type: 'text', text: 'd' }] },
    ]);
    expect(merged).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'c' }] },
      { role: 'user', content: [{ type: 'text', text: 'd' }] },
    ]);
    expect(first).toEqual(frozen);
  });
});
