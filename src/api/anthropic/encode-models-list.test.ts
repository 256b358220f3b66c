import { describe, expect, it } from 'vitest';
import { encodeModelsList } from './encode-models-list.js';

describe('encodeModelsList', () => {
  it('encodes the list with first/last ids and the epoch for unknown dates', () => {
    expect(
      encodeModelsList([
        { id: 'claude-opus-4-5', displayName: 'Claude Opus 4.5', createdAt: '2025-11-24T00:00:00Z' },
        { id: 'sonnet', displayName: 'Sonnet (latest)' },
      ]),
    ).toEqual({
      data: [
        { type: 'model', id: 'claude-opus-4-5', display_name: 'Claude Opus 4.5', created_at: '2025-11-24T00:00:00Z' },
        { type: 'model', id: 'sonnet', display_name: 'Sonnet (latest)', created_at: '1970-01-01T00:00:00Z' },
      ],
      has_more: false,
      first_id: 'claude-opus-4-5',
      last_id: 'sonnet',
    });
  });

  it('encodes an empty list with null ids', () => {
    expect(encodeModelsList([])).toEqual({ data: [], has_more: false, first_id: null, last_id: null });
  });
});
