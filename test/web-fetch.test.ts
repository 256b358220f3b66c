/**
 * Hosted web fetch through the real Claude Code CLI (decision 095): with --allow-web-fetch a
 * client's `web_fetch_*` tool becomes the daemon's own MCP tool (mcp__maxproxy__web_fetch)
 * for that session only; the daemon fetches with its SSRF-safe fetcher, the CLI gets the
 * page as the tool's result, and the client gets the API's server_tool_use and
 * web_fetch_tool_result blocks. Loopback targets (directly or by a redirect from a public
 * address) are refused and never reached. The public address is a network namespace
 * (public-web-host.ts: root and iproute2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerRows, waitFor } from './harness.js';
import type { MockReply, RecordedRequest } from './mock-upstream.js';
import { expectLiveFollowUp, proxySuite } from './proxy-suite.js';
import { type LoopbackTrap, startLoopbackTrap, startPublicWebHost } from './public-web-host.js';

const MODEL = 'claude-sonnet-4-6';
const FETCH_TOOL = 'mcp__maxproxy__web_fetch';
const ANSWER = 'Here is what the page says.';

const toolNames = (body: any): string[] => (body?.tools ?? []).map((t: any) => t.name ?? t.type);
const toolResults = (body: any): any[] =>
  (body?.messages ?? []).flatMap((m: any) => (Array.isArray(m.content) ? m.content.filter((b: any) => b.type === 'tool_result') : []));
/** The text the CLI gave the model as a tool result (a string or text blocks). */
const resultText = (r: any): string => (typeof r.content === 'string' ? r.content : (r.content ?? []).map((b: any) => b.text ?? '').join(''));

/** The urls the model fetches, in order; then the answer. */
let plan: string[] = [];
function responder(req: RecordedRequest): MockReply {
  const body = req.body as any;
  if (!toolNames(body).includes(FETCH_TOOL)) return { blocks: [{ type: 'text', text: 'no fetch here' }] };
  const done = toolResults(body).length;
  if (done < plan.length) return { blocks: [{ type: 'tool_use', name: FETCH_TOOL, input: { url: plan[done] } }] };
  return { blocks: [{ type: 'text', text: ANSWER }] };
}

const s = proxySuite({ responder, args: ['--allow-web-fetch'] });

let web: Awaited<ReturnType<typeof startPublicWebHost>>;
let local: LoopbackTrap;
let localUrl = '';
beforeAll(async () => {
  web = await startPublicWebHost();
  local = await startLoopbackTrap();
  localUrl = `http://127.0.0.1:${local.port}/secret`;
});
afterAll(() => {
  web?.stop();
  local?.close();
});

const fetchTool = (extra: Record<string, unknown> = {}) => ({ type: 'web_fetch_20250910', name: 'web_fetch', ...extra }) as never;

/** The conversation's requests upstream that offered the fetch tool; each offered it and nothing else. */
function fetchRequests(): any[] {
  const reqs = s.upstream.messageRequests.map((r) => r.body as any).filter((b) => toolNames(b).includes(FETCH_TOOL));
  for (const b of reqs) expect(toolNames(b)).toEqual([FETCH_TOOL]);
  return reqs;
}

/** The tool results the CLI sent upstream for the daemon's fetches, in order. */
const upstreamResults = (): any[] => toolResults(fetchRequests().at(-1));

describe('Anthropic hosted web fetch (--allow-web-fetch)', () => {
  it('a loopback url: url_not_accessible in the tool result upstream and in the client block; the local server is never hit', async () => {
    plan = [localUrl];
    const { data: msg, response } = await s.anthropic.messages
      .create({ model: MODEL, max_tokens: 200, tools: [fetchTool()], messages: [{ role: 'user', content: `Fetch ${localUrl}` }] })
      .withResponse();
    expect(response.headers.get('x-maxproxy-ignored')).toBeNull();
    expect(msg.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_fetch_tool_result', 'text']);
    const use = msg.content[0] as any;
    expect(use).toMatchObject({ type: 'server_tool_use', name: 'web_fetch', input: { url: localUrl } });
    expect(msg.content[1]).toEqual({
      type: 'web_fetch_tool_result',
      tool_use_id: use.id,
      content: { type: 'web_fetch_tool_result_error', error_code: 'url_not_accessible' },
    });
    expect(msg.content[2]).toMatchObject({ type: 'text', text: ANSWER });
    const [r] = upstreamResults();
    expect(r.is_error).toBe(true);
    expect(resultText(r)).toMatch(/url_not_accessible/);
    expect(resultText(r)).not.toContain('local secret');
    expect(local.hits()).toBe(0);
  });

  it('a public url that redirects to loopback: refused at the hop, both sides say url_not_accessible, nothing local is hit', async () => {
    const url = `${web.origin}/to?u=${encodeURIComponent(localUrl)}`;
    plan = [url];
    const stream = s.anthropic.messages.stream({ model: MODEL, max_tokens: 200, tools: [fetchTool()], messages: [{ role: 'user', content: `Fetch ${url}` }] });
    const msg = await stream.finalMessage();
    expect(msg.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_fetch_tool_result', 'text']);
    expect((msg.content[1] as any).content).toEqual({ type: 'web_fetch_tool_result_error', error_code: 'url_not_accessible' });
    const [r] = upstreamResults();
    expect(r.is_error).toBe(true);
    expect(resultText(r)).toMatch(/url_not_accessible/);
    // The public server was asked (and answered the redirect); the loopback target never was.
    expect((await web.request(`/to?u=${encodeURIComponent(localUrl)}`)).path).toContain('/to');
    expect(local.hits()).toBe(0);
  });

  it('success, streamed: the page text reaches the upstream as the tool result; the client gets web_fetch_result; web_fetch_requests counted', async () => {
    const url = `${web.origin}/page`;
    plan = [url];
    const stream = s.anthropic.messages.stream(
      { model: MODEL, max_tokens: 200, tools: [fetchTool()], messages: [{ role: 'user', content: `Read ${url}` }] },
      { headers: { 'x-request-id': 'web-fetch-usage' } },
    );
    const msg = await stream.finalMessage();
    expect(msg.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_fetch_tool_result', 'text']);
    const use = msg.content[0] as any;
    expect(use.id).toMatch(/^srvtoolu_/);
    const result = msg.content[1] as any;
    expect(result.tool_use_id).toBe(use.id);
    expect(result.content).toMatchObject({
      type: 'web_fetch_result',
      url,
      content: { type: 'document', source: { type: 'text', media_type: 'text/plain' }, title: 'Kettle notes' },
    });
    expect(result.content.content.source.data).toContain('citric acid');
    expect(new Date(result.content.retrieved_at).toString()).not.toBe('Invalid Date');
    expect(msg.usage.server_tool_use).toEqual({ web_search_requests: 0, web_fetch_requests: 1 });
    const [r] = upstreamResults();
    expect(r.is_error).toBeFalsy();
    expect(resultText(r)).toContain('Title: Kettle notes');
    expect(resultText(r)).toContain('citric acid');
    expect(resultText(r)).not.toContain('<p>');
    // The usage ledger keeps the count: [web searches, web fetches].
    await waitFor(() => ledgerRows(s.proxy.dataDir).some((row) => row.r === 'web-fetch-usage'), 120_000);
    expect(ledgerRows(s.proxy.dataDir).find((row) => row.r === 'web-fetch-usage').x).toEqual([0, 1]);
  });

  it('success, not streamed: the same blocks; a PDF comes back as a base64 document', async () => {
    const url = `${web.origin}/doc.pdf`;
    plan = [url];
    const { data: msg, response } = await s.anthropic.messages
      .create({
        model: MODEL,
        max_tokens: 200,
        tools: [fetchTool({ citations: { enabled: true } })],
        messages: [{ role: 'user', content: `Read ${url}` }],
      })
      .withResponse();
    // The page reaches the model as tool text: there are no document citations to give back.
    expect(response.headers.get('x-maxproxy-ignored')).toBe('tools.0.citations');
    expect(msg.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_fetch_tool_result', 'text']);
    const content = (msg.content[1] as any).content;
    expect(content).toMatchObject({ type: 'web_fetch_result', url, content: { type: 'document', source: { type: 'base64', media_type: 'application/pdf' } } });
    expect(Buffer.from(content.content.source.data, 'base64').toString('latin1')).toMatch(/^%PDF-1\.4/);
    expect(msg.usage.server_tool_use?.web_fetch_requests).toBe(1);
    expect(resultText(upstreamResults()[0])).toContain('PDF');
  });

  it('max_uses: the fetch past the limit is max_uses_exceeded on both sides and fetches nothing', async () => {
    plan = [`${web.origin}/plain`, `${web.origin}/plain?second`];
    const msg = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools: [fetchTool({ max_uses: 1 })],
      messages: [{ role: 'user', content: 'Fetch twice.' }],
    });
    expect(msg.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_fetch_tool_result', 'server_tool_use', 'web_fetch_tool_result', 'text']);
    expect((msg.content[1] as any).content).toMatchObject({ type: 'web_fetch_result', content: { source: { data: 'plain words' } } });
    expect((msg.content[3] as any).content).toEqual({ type: 'web_fetch_tool_result_error', error_code: 'max_uses_exceeded' });
    expect(msg.usage.server_tool_use?.web_fetch_requests).toBe(1);
    const results = upstreamResults();
    expect(results).toHaveLength(2);
    expect(resultText(results[0])).toContain('plain words');
    expect(results[1].is_error).toBe(true);
    expect(resultText(results[1])).toMatch(/max_uses_exceeded/);
    expect(web.seen().some((r) => r.path === '/plain?second')).toBe(false);
  });

  it('blocked_domains: url_not_allowed on both sides, and the blocked host is never asked', async () => {
    const url = `${web.origin}/plain?blocked`;
    plan = [url];
    const msg = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools: [fetchTool({ blocked_domains: [web.address] })],
      messages: [{ role: 'user', content: `Fetch ${url}` }],
    });
    expect((msg.content[1] as any).content).toEqual({ type: 'web_fetch_tool_result_error', error_code: 'url_not_allowed' });
    const [r] = upstreamResults();
    expect(r.is_error).toBe(true);
    expect(resultText(r)).toMatch(/url_not_allowed/);
    expect(web.seen().some((q) => q.path === '/plain?blocked')).toBe(false);
  });

  it('the answer sent back in the history continues the same live process (fetch blocks accepted, nothing rebuilt)', async () => {
    const url = `${web.origin}/page?again`;
    plan = [url];
    const tools = [fetchTool()];
    const first = await s.anthropic.messages.create({ model: MODEL, max_tokens: 200, tools, messages: [{ role: 'user', content: `Read ${url} please` }] });
    expect(first.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_fetch_tool_result', 'text']);
    await expectLiveFollowUp(s, { model: MODEL, tools, prompt: `Read ${url} please`, first });
  });

  it("beside the client's own tools: both MCP servers reach the CLI; the fetch runs in the daemon, the client tool goes to the client", async () => {
    const url = `${web.origin}/plain?mixed`;
    const tools = [{ name: 'get_time', description: 'Current time', input_schema: { type: 'object' as const, properties: {} } }, fetchTool()];
    s.upstream.setResponder((req) => {
      const body = req.body as any;
      const done = toolResults(body).length;
      if (done === 0) return { blocks: [{ type: 'tool_use', name: FETCH_TOOL, input: { url } }] };
      if (done === 1) return { blocks: [{ type: 'tool_use', name: 'mcp__client__get_time', input: {} }] };
      return { blocks: [{ type: 'text', text: ANSWER }] };
    });
    const first = await s.anthropic.messages.create({ model: MODEL, max_tokens: 200, tools, messages: [{ role: 'user', content: 'Fetch, then the time.' }] });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_fetch_tool_result', 'tool_use']);
    expect((first.content[1] as any).content).toMatchObject({ type: 'web_fetch_result', content: { source: { data: 'plain words' } } });
    const call = first.content[2] as any;
    expect(call.name).toBe('get_time');
    const second = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools,
      messages: [
        { role: 'user', content: 'Fetch, then the time.' },
        { role: 'assistant', content: first.content as any },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '12:00' }] },
      ],
    });
    expect(second.content.at(-1)).toMatchObject({ type: 'text', text: ANSWER });
    const last = s.upstream.messageRequests.at(-1)!.body as any;
    expect(toolNames(last).sort()).toEqual(['mcp__client__get_time', FETCH_TOOL]);
    const results = toolResults(last);
    expect(resultText(results[0])).toContain('plain words');
    expect(resultText(results[1])).toMatch(/^12:00/);
  });

  it('a fetch and a client tool in one model message: the response that stops for the client tool carries the fetch result too', async () => {
    const tools = [{ name: 'get_time', description: 'Current time', input_schema: { type: 'object' as const, properties: {} } }, fetchTool()];
    s.upstream.setResponder((req) => {
      if (toolResults(req.body).length === 0)
        return {
          blocks: [
            { type: 'tool_use', name: FETCH_TOOL, input: { url: localUrl } },
            { type: 'tool_use', name: 'mcp__client__get_time', input: {} },
          ],
        };
      return { blocks: [{ type: 'text', text: ANSWER }] };
    });
    const first = await s.anthropic.messages.create({ model: MODEL, max_tokens: 200, tools, messages: [{ role: 'user', content: 'Both at once.' }] });
    expect(first.stop_reason).toBe('tool_use');
    // In the order the blocks started: the fetch's result came while the client's call waited.
    expect(first.content.map((b) => b.type)).toEqual(['server_tool_use', 'tool_use', 'web_fetch_tool_result']);
    expect((first.content[2] as any).tool_use_id).toBe((first.content[0] as any).id);
    expect((first.content[2] as any).content).toEqual({ type: 'web_fetch_tool_result_error', error_code: 'url_not_accessible' });
    const call = first.content[1] as any;
    const second = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools,
      messages: [
        { role: 'user', content: 'Both at once.' },
        { role: 'assistant', content: first.content as any },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '12:00' }] },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: ANSWER }]);
    const results = toolResults(s.upstream.messageRequests.at(-1)!.body);
    expect(results).toHaveLength(2);
    expect(resultText(results[0])).toMatch(/url_not_accessible/);
    expect(resultText(results[1])).toMatch(/^12:00/);
    expect(local.hits()).toBe(0);
  });

  it('tool_choice none hides the fetch from the model too', async () => {
    plan = [`${web.origin}/plain?none`];
    const msg = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 50,
      tools: [fetchTool()],
      tool_choice: { type: 'none' },
      messages: [{ role: 'user', content: 'Do not fetch.' }],
    });
    expect(msg.content).toEqual([{ type: 'text', text: 'no fetch here' }]);
    expect(s.upstream.messageRequests.length).toBeGreaterThan(0);
    for (const r of s.upstream.messageRequests) expect(toolNames(r.body)).not.toContain(FETCH_TOOL);
  });

  it('a request without the fetch tool: the CLI has no fetch tool and no built-in tools', async () => {
    const msg = await s.anthropic.messages.create({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'no fetch please' }] });
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'no fetch here' });
    expect(s.upstream.messageRequests.length).toBeGreaterThan(0);
    for (const r of s.upstream.messageRequests) expect(toolNames(r.body)).toEqual([]);
  });
});
