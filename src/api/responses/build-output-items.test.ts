import { describe, expect, it } from 'vitest';
import { functionCallItem, itemId, outputFromContent } from './build-output-items.js';

describe('build-output-items', () => {
  it('derives item ids from the response id and output index', () => {
    expect(itemId('resp_abc', 'msg', 0)).toBe('msg_abc_0');
    expect(itemId('custom', 'fc', 3)).toBe('fc_custom_3');
  });

  it('splits a flattened namespace tool name back, and leaves others alone', () => {
    const ns = new Map([['gh__search', { namespace: 'gh', name: 'search' }]]);
    expect(functionCallItem('fc_1', 'toolu_1', 'gh__search', '{}', 'completed', ns)).toEqual({
      type: 'function_call',
      id: 'fc_1',
      status: 'completed',
      call_id: 'toolu_1',
      name: 'search',
      namespace: 'gh',
      arguments: '{}',
    });
    expect(functionCallItem('fc_2', 'toolu_2', 'other__tool', '{}', 'completed', ns)).not.toHaveProperty('namespace');
  });

  it('numbers items by their place in the output, skipping redacted thinking', () => {
    const out = outputFromContent(
      [
        { type: 'redacted_thinking', data: 'x' },
        { type: 'text', text: 'a' },
        { type: 'tool_use', id: 't', name: 'f', input: { n: 1 } },
      ],
      'resp_r',
    );
    expect(out.map((i) => i.id)).toEqual(['msg_r_0', 'fc_r_1']);
    expect(out[1]).toMatchObject({ call_id: 't', arguments: '{"n":1}' });
  });
});
