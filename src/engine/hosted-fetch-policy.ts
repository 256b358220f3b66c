/**
 * Whether the client's hosted web fetch is served (decision 095). It is the daemon's own
 * fetch from this machine, so it is off unless allowWebFetch is set; and until the
 * daemon-run fetch tool is mounted for the CLI, an offer cannot be honoured either way.
 * What is not served is dropped (no fetch tool reaches the upstream) and named in
 * x-maxproxy-ignored, never silently.
 */
import type { TurnRequest } from '../turn/types.js';

export interface FetchPolicy {
  /** The daemon's allowWebFetch setting. */
  allowWebFetch: boolean;
  /** The engine can run the fetch for the CLI (the web_fetch MCP tool is built). */
  served: boolean;
}

export function applyFetchPolicy(req: TurnRequest, policy: FetchPolicy): { req: TurnRequest; ignored: string[] } {
  const offer = req.hostedTools?.webFetch;
  if (!offer) return { req, ignored: [] };
  if (policy.allowWebFetch && policy.served) {
    // citations on fetched documents are not produced (the page reaches the model as tool text).
    return { req, ignored: offer.citations ? [`${offer.field}.citations`] : [] };
  }
  const { webFetch: _dropped, ...rest } = req.hostedTools ?? {};
  const { hostedTools: _all, ...others } = req;
  return { req: Object.keys(rest).length ? { ...others, hostedTools: rest } : others, ignored: [offer.field] };
}
