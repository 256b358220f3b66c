import { describe, expect, it } from 'vitest';
import { mapFinishReason } from './map-finish-reason.js';

describe('mapFinishReason', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
  ] as const)('%s → %s', (stop, finish) => {
    expect(mapFinishReason(stop)).toBe(finish);
  });
});
