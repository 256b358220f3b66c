import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codexExec } from './clients/codex-exec.js';
import { INSTALL_TIMEOUT_MS, type InstalledClient, installClient } from './clients/install-client.js';
import { MockUpstream, type RunningProxy, startProxy } from './harness.js';
import type { MockReply, RecordedRequest } from './mock-upstream.js';

const MODEL = 'sonnet';
const URL1 = 'https://example.com/maxproxy-codex-search';
const TITLE1 = 'maxproxy serves Codex web search';
const ANSWER = `Found it: [${TITLE1}](${URL1}).`;
const QUERY = 'maxproxy codex web search';

const isSearchRequest = (body: any): boolean =>
  Array.isArray(body?.tools) && body.tools.some((t: any) => typeof t.type === 'string' && t.type.startsWith('web_search_'));
const hasToolResult = (body: any): boolean =>
  (body?.messages ?? []).some((m: any) => Array.isArray(m.content) && m.content.some((b: any) => b.type === 'tool_result'));
const offersWebSearch = (body: any): boolean => (body?.tools ?? []).some((t: any) => t.name === 'WebSearch');

/** Codex's turn → WebSearch call; the CLI's search request → a hosted result; the turn with the result → the cited answer. */
function responder(req: RecordedRequest): MockReply {
  const body = req.body as any;
  if (isSearchRequest(body)) {
    return {
      blocks: [
        { type: 'server_tool_use', id: 'srvtoolu_codex_01', name: 'web_search', input: { query: QUERY } },
        {
          type: 'web_search_tool_result',
          tool_use_id: 'srvtoolu_codex_01',
          content: [{ type: 'web_search_result', title: TITLE1, url: URL1, encrypted_content: 'ZW5j', page_age: '1 day' }],
        },
        { type: 'text', text: 'maxproxy serves it.' },
      ],
      usage: { input_tokens: 30, output_tokens: 20, server_tool_use: { web_search_requests: 1 } },
    };
  }
  if (!offersWebSearch(body)) return { blocks: [{ type: 'text', text: 'no search offered' }] };
  if (hasToolResult(body)) return { blocks: [{ type: 'text', text: ANSWER }] };
  return { blocks: [{ type: 'tool_use', id: 'toolu_codex_search', name: 'WebSearch', input: { query: QUERY } }] };
}

/** `codex exec --json` with the given `web_search` mode against the test proxy. */
async function codexWithSearch(codex: InstalledClient & { ok: true }, mode: 'live' | 'cached') {
  const r = await codexExec(codex, {
    baseURL: proxy.baseURL,
    model: MODEL,
    prompt: 'Search the web for how maxproxy serves Codex web search',
    config: [`web_search = "${mode}"`],
    // Not danger-full-access: there Codex 0.171 sends live search even for "cached".
    sandbox: 'workspace-write',
  });
  // Codex's own gpt-5.5 entry searches text and images (web_search_tool_type "text_and_image").
  expect(r.catalogEntry?.web_search_tool_type).toBe('text_and_image');
  return r;
}

let upstream: MockUpstream;
let proxy: RunningProxy;
let codex: InstalledClient;

// Installed on demand into the test-client cache (docs/decisions/097).
beforeAll(async () => {
  codex = await installClient('codex');
}, INSTALL_TIMEOUT_MS);

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  upstream.setResponder(responder);
  proxy = await startProxy({ upstream, auth: 'oauth', args: ['--idle-timeout-ms', '120000'] });
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

describe('codex exec with web_search = "live" through maxproxy', () => {
  it('searches through the CLI WebSearch: Codex shows the search and the cited answer; the upstream got the search', async (ctx) => {
    if (!codex.ok) return ctx.skip(codex.reason);
    const r = await codexWithSearch(codex, 'live');
    const { diagnostics, events } = r;
    expect(r.status, diagnostics).toBe(0);

    // What Codex received: a web search item with the query, then the cited answer.
    const search = events.find((e) => e.type === 'item.completed' && e.item?.type === 'web_search');
    expect(search?.item?.query, diagnostics).toBe(QUERY);
    expect(
      events.some((e) => e.item?.type === 'agent_message' && e.item.text === ANSWER),
      diagnostics,
    ).toBe(true);

    // What the upstream got: the CLI offered WebSearch on Codex's turn, and ran the search itself.
    const requests = upstream.messageRequests.map((q) => q.body as any);
    expect(requests.some(offersWebSearch), diagnostics).toBe(true);
    const searches = requests.filter(isSearchRequest);
    expect(searches.length, diagnostics).toBe(1);
    expect(JSON.stringify(searches[0].messages), diagnostics).toContain(QUERY);
    // The WebSearch call never reached Codex as a client tool call: the only tool result the
    // model saw is the CLI's own search result.
    expect(events.some((e) => e.item?.type === 'mcp_tool_call' || e.item?.type === 'command_execution')).toBe(false);
  }, 500_000);

  it('web_search = "cached" (external_web_access false): the CLI is never offered WebSearch and nothing is searched', async (ctx) => {
    if (!codex.ok) return ctx.skip(codex.reason);
    const before = upstream.messageRequests.length;
    const r = await codexWithSearch(codex, 'cached');
    const { diagnostics, events } = r;
    expect(r.status, diagnostics).toBe(0);
    expect(
      events.some((e) => e.item?.type === 'agent_message' && e.item.text === 'no search offered'),
      diagnostics,
    ).toBe(true);
    expect(events.some((e) => e.item?.type === 'web_search')).toBe(false);
    const requests = upstream.messageRequests.slice(before).map((q) => q.body as any);
    expect(requests.length, diagnostics).toBeGreaterThan(0);
    expect(requests.some(offersWebSearch)).toBe(false);
    expect(requests.some(isSearchRequest)).toBe(false);
  }, 500_000);
});
