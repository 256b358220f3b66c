import { describe, expect, it } from 'vitest';
import { encodeModelsList } from './encode-models-list.js';

describe('encodeModelsList', () => {
  it('lists the models in OpenAI format', () => {
    expect(
      encodeModelsList(
        [
          { id: 'claude-sonnet-5-5', displayName: 'Sonnet 5.5' },
          { id: 'opus', displayName: 'Opus' },
        ],
        1700000000,
      ),
    ).toEqual({
      object: 'list',
      data: [
        { id: 'claude-sonnet-5-5', object: 'model', created: 1700000000, owned_by: 'anthropic' },
        { id: 'opus', object: 'model', created: 1700000000, owned_by: 'anthropic' },
      ],
    });
  });

  it('is an empty list without models', () => {
    expect(encodeModelsList([], 1)).toEqual({ object: 'list', data: [] });
  });
});
