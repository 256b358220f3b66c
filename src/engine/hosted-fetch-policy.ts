/**
 * Whether the client's hosted web fetch is served (decision 095). It is the daemon's own
 * fetch from this machine, so it is off unless allowWebFetch is set. What is not served is
 * dropped (no fetch tool reaches the upstream, sessions are not split by it) and named in
 * x-maxproxy-ignored, never silently.
 */
import type { TurnRequest } from '../turn/types.js';

export interface FetchPolicy {
  /** The daemon's allowWebFetch setting. */
  allowWebFetch: boolean;
}

export function applyFetchPolicy(req: TurnRequest, policy: FetchPolicy): { req: TurnRequest; ignored: string[] } {
  const offer = req.hostedTools?.webFetch;
  if (!offer) return { req, ignored: [] };
  if (policy.allowWebFetch) {
    // citations on fetched documents are not produced (the page reaches the model as tool text).
    return { req, ignored: offer.citations ? [`${offer.field}.citations`] : [] };
  }
  const { webFetch: _dropped, ...rest } = req.hostedTools ?? {};
  const { hostedTools: _all, ...others } = req;
  return { req: Object.keys(rest).length ? { ...others, hostedTools: rest } : others, ignored: [offer.field] };
}
