import { describe, expect, it } from 'vitest';
import type { TurnRequest } from '../turn/types.js';
import { applyFetchPolicy } from './hosted-fetch-policy.js';

const base: TurnRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], tools: [], conversation: {}, stream: false };
const fetchOffer = { field: 'tools.1', maxUses: 2, citations: true };

describe('applyFetchPolicy', () => {
  it('leaves a request without a fetch offer as it is', () => {
    expect(applyFetchPolicy(base, { allowWebFetch: false })).toEqual({ req: base, ignored: [] });
  });

  it('setting off: drops the offer (web search kept) and names the tool ignored', () => {
    const req = { ...base, hostedTools: { webSearch: { maxUses: 1 }, webFetch: fetchOffer } };
    expect(applyFetchPolicy(req, { allowWebFetch: false })).toEqual({
      req: { ...base, hostedTools: { webSearch: { maxUses: 1 } } },
      ignored: ['tools.1'],
    });
    const only = applyFetchPolicy({ ...base, hostedTools: { webFetch: fetchOffer } }, { allowWebFetch: false });
    expect(only).toEqual({ req: base, ignored: ['tools.1'] });
    expect('hostedTools' in only.req).toBe(false);
  });

  it('setting on: the offer is kept; only citations are named', () => {
    const req = { ...base, hostedTools: { webFetch: fetchOffer } };
    expect(applyFetchPolicy(req, { allowWebFetch: true })).toEqual({ req, ignored: ['tools.1.citations'] });
    const noCite = { ...base, hostedTools: { webFetch: { field: 'tools.0' } } };
    expect(applyFetchPolicy(noCite, { allowWebFetch: true })).toEqual({ req: noCite, ignored: [] });
  });
});
