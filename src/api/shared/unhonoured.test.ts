import { describe, expect, it } from 'vitest';
import type { TurnRequest } from '../../turn/types.js';
import { ignoredHeader, unhonouredSampling } from './unhonoured.js';

const base: TurnRequest = { model: 'sonnet', messages: [], tools: [], conversation: {}, stream: false };

describe('unhonouredSampling', () => {
  it("lists the sampling fields the request carried, in the API's names", () => {
    const req = { ...base, temperature: 0.2, topP: 0.9, stopSequences: ['x'] };
    expect(unhonouredSampling(req, { temperature: 'temperature', topP: 'top_p', topK: 'top_k', stop: 'stop' })).toEqual(['temperature', 'top_p', 'stop']);
    expect(unhonouredSampling(base, { temperature: 'temperature' })).toEqual([]);
  });
});

describe('ignoredHeader', () => {
  it('joins field names once each and drops explanations', () => {
    expect(ignoredHeader(['temperature', 'top_p', 'tools.3 (custom tool)', 'temperature'])).toBe('temperature,top_p,tools.3');
    expect(ignoredHeader([])).toBeUndefined();
  });
});
