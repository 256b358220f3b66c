/**
 * Hosted web search through the real Claude Code CLI (decision 091): a client's hosted
 * search tool turns on the CLI's WebSearch for that session only; the search request the
 * CLI makes upstream carries the client's domains; the client gets its API's own shapes.
 */
import { describe, expect, it } from 'vitest';
import { continuities } from './harness.js';
import type { MockReply, RecordedRequest } from './mock-upstream.js';
import { expectLiveFollowUp, proxySuite } from './proxy-suite.js';

const MODEL = 'claude-sonnet-4-6';
const URL1 = 'https://example.com/maxproxy-1-0';
const TITLE1 = 'maxproxy 1.0 released';
/** The final answer cites the result as a markdown link, as the CLI tells the model to. */
const ANSWER = `maxproxy 1.0 is out, see [${TITLE1}](${URL1}).`;

const isSearchRequest = (body: any): boolean =>
  Array.isArray(body?.tools) && body.tools.some((t: any) => typeof t.type === 'string' && t.type.startsWith('web_search_'));
const hasToolResult = (body: any): boolean =>
  (body?.messages ?? []).some((m: any) => Array.isArray(m.content) && m.content.some((b: any) => b.type === 'tool_result'));
let searchError: string | undefined;

/** Conversation → WebSearch call; the CLI's search request → hosted result; conversation with the result → cited answer. */
function responder(req: RecordedRequest): MockReply {
  const body = req.body as any;
  if (isSearchRequest(body)) {
    const query = String(body.messages?.[0]?.content ?? '').replace(/^.*query: /s, '');
    return {
      blocks: [
        { type: 'server_tool_use', id: 'srvtoolu_test_01', name: 'web_search', input: { query } },
        searchError
          ? { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_test_01', content: { type: 'web_search_tool_result_error', error_code: searchError } }
          : {
              type: 'web_search_tool_result',
              tool_use_id: 'srvtoolu_test_01',
              content: [{ type: 'web_search_result', title: TITLE1, url: URL1, encrypted_content: 'ZW5j', page_age: '1 day' }],
            },
        { type: 'text', text: 'maxproxy 1.0 was released.' },
      ],
      usage: { input_tokens: 30, output_tokens: 20, server_tool_use: { web_search_requests: 1 } },
    };
  }
  if (!(body.tools ?? []).some((t: any) => t.name === 'WebSearch')) return { blocks: [{ type: 'text', text: 'no search here' }] };
  if (hasToolResult(body)) return { blocks: [{ type: 'text', text: ANSWER }] };
  return { blocks: [{ type: 'tool_use', name: 'WebSearch', input: { query: 'maxproxy release' } }] };
}

const toolResults = (body: any): any[] =>
  (body?.messages ?? []).flatMap((m: any) => (Array.isArray(m.content) ? m.content.filter((b: any) => b.type === 'tool_result') : []));
/** The text the CLI gave the model as a tool result (a string or text blocks). */
const resultText = (r: any): string => (typeof r.content === 'string' ? r.content : (r.content ?? []).map((b: any) => b.text ?? '').join(''));
const BOTH_ANSWER = 'maxproxy 1.0 is out, and it is 12:00.';

/** The model calls the client's tool before the search in its message. */
let clientFirst = false;
/** One model message calls WebSearch and the client's get_time; with both results, the answer. */
function besideClientTool(req: RecordedRequest): MockReply {
  const body = req.body as any;
  if (isSearchRequest(body)) return responder(req);
  if (toolResults(body).length === 0) {
    const calls = [
      { type: 'tool_use' as const, name: 'WebSearch', input: { query: 'maxproxy release' } },
      { type: 'tool_use' as const, name: 'mcp__client__get_time', input: {} },
    ];
    return { blocks: clientFirst ? calls.reverse() : calls };
  }
  return { blocks: [{ type: 'text', text: BOTH_ANSWER }] };
}

/**
 * Upstream, for a search beside a client tool: the CLI searched once, before the client's
 * result came (checked by the caller), and the continuation carried both tool results.
 */
function expectBothResultsUpstream(): void {
  expect(searchRequests()).toHaveLength(1);
  const results = toolResults(s.upstream.messageRequests.at(-1)!.body);
  expect(results).toHaveLength(2);
  expect(results.map(resultText).find((t) => t.startsWith('Web search results for query: "maxproxy release"'))).toContain(URL1);
  expect(results.map(resultText).some((t) => t.startsWith('12:00'))).toBe(true);
}

const s = proxySuite({ responder });
const searchRequests = () => s.upstream.messageRequests.filter((r) => isSearchRequest(r.body));
const offeredWebSearch = () => s.upstream.messageRequests.some((r) => ((r.body as any).tools ?? []).some((t: any) => t.name === 'WebSearch'));

describe('Anthropic hosted web search', () => {
  it('streams server_tool_use, web_search_tool_result and the answer; the SDK parses them; the search carries the domains', async () => {
    searchError = undefined;
    const stream = s.anthropic.messages.stream({
      model: MODEL,
      max_tokens: 200,
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3, allowed_domains: ['example.com'] }],
      messages: [{ role: 'user', content: 'Search the web for the maxproxy release.' }],
    });
    const msg = await stream.finalMessage();
    expect(msg.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_search_tool_result', 'text']);
    expect(msg.content[0]).toMatchObject({ type: 'server_tool_use', name: 'web_search', input: { query: 'maxproxy release' } });
    const result = msg.content[1] as any;
    expect(result.tool_use_id).toBe((msg.content[0] as any).id);
    expect(result.content).toEqual([{ type: 'web_search_result', title: TITLE1, url: URL1, encrypted_content: '', page_age: null }]);
    expect(msg.content[2]).toMatchObject({ type: 'text', text: ANSWER });
    expect(msg.usage.server_tool_use?.web_search_requests).toBe(1);
    // Upstream: the CLI's search request carried the client's domain filter.
    const search = searchRequests();
    expect(search).toHaveLength(1);
    const hosted = (search[0].body as any).tools.find((t: any) => t.type.startsWith('web_search_'));
    expect(hosted.allowed_domains).toEqual(['example.com']);
    expect(hosted.blocked_domains).toBeUndefined();
  });

  it('non-streaming: the same blocks; blocked_domains reach the search request', async () => {
    searchError = undefined;
    const msg = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools: [{ type: 'web_search_20250305', name: 'web_search', blocked_domains: ['spam.example'] }],
      messages: [{ role: 'user', content: 'Search again for the maxproxy release.' }],
    });
    expect(msg.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_search_tool_result', 'text']);
    expect(msg.usage.server_tool_use?.web_search_requests).toBe(1);
    const hosted = (searchRequests()[0].body as any).tools.find((t: any) => t.type.startsWith('web_search_'));
    expect(hosted.blocked_domains).toEqual(['spam.example']);
    expect(hosted.allowed_domains).toBeUndefined();
  });

  it('max_uses is enforced in the daemon: a search past the limit is refused and never reaches the upstream', async () => {
    searchError = undefined;
    // max_uses 1, and the model asks for a second search after the first result.
    s.upstream.setResponder((req) => {
      const body = req.body as any;
      if (isSearchRequest(body)) return responder(req);
      const results = (body.messages ?? []).flatMap((m: any) => (Array.isArray(m.content) ? m.content.filter((b: any) => b.type === 'tool_result') : []));
      if (results.length === 0) return { blocks: [{ type: 'tool_use', name: 'WebSearch', input: { query: 'first' } }] };
      if (results.length === 1) return { blocks: [{ type: 'tool_use', name: 'WebSearch', input: { query: 'second' } }] };
      return { blocks: [{ type: 'text', text: ANSWER }] };
    });
    const msg = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 1 }],
      messages: [{ role: 'user', content: 'Search twice.' }],
    });
    expect(searchRequests()).toHaveLength(1);
    expect(msg.content.at(-1)).toMatchObject({ type: 'text', text: ANSWER });
    // The refused call is the CLI's tool result for the model, with the reason.
    const last = s.upstream.messageRequests.at(-1)!.body as any;
    expect(JSON.stringify(last.messages)).toContain('max_uses 1');
  });

  it('the answer sent back in the history continues the same live process (blocks accepted, nothing rebuilt)', async () => {
    searchError = undefined;
    const tools = [{ type: 'web_search_20250305' as const, name: 'web_search' as const, allowed_domains: ['example.org'] }];
    const first = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools,
      messages: [{ role: 'user', content: 'Search for the continuation test.' }],
    });
    await expectLiveFollowUp(s, { model: MODEL, tools, prompt: 'Search for the continuation test.', first });
  });

  it('a failed search: web_search_tool_result with the error object, then the answer; never a 500', async () => {
    searchError = 'unavailable';
    try {
      const msg = await s.anthropic.messages.create({
        model: MODEL,
        max_tokens: 200,
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
        messages: [{ role: 'user', content: 'Search, failing (anthropic).' }],
      });
      expect(msg.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_search_tool_result', 'text']);
      expect((msg.content[1] as any).content).toEqual({ type: 'web_search_tool_result_error', error_code: 'unavailable' });
    } finally {
      searchError = undefined;
    }
  });

  it.each([false, true])(
    'a search and a client tool in one model message (streamed: %s): the response that stops for the client tool carries the search result; the tool result continues live',
    async (streamed) => {
      searchError = undefined;
      s.upstream.setResponder(besideClientTool);
      const tools = [
        { name: 'get_time', description: 'Current time', input_schema: { type: 'object' as const, properties: {} } },
        { type: 'web_search_20250305' as const, name: 'web_search' as const },
      ];
      const prompt = `Search and tell me the time (anthropic, streamed ${streamed}).`;
      const params = { model: MODEL, max_tokens: 200, tools, messages: [{ role: 'user' as const, content: prompt }] };
      const first = streamed ? await s.anthropic.messages.stream(params).finalMessage() : await s.anthropic.messages.create(params);
      expect(first.stop_reason).toBe('tool_use');
      // In the order the blocks started: the search's result came while the client's call waited.
      expect(first.content.map((b) => b.type)).toEqual(['server_tool_use', 'tool_use', 'web_search_tool_result']);
      const [call, clientCall, result] = first.content as any[];
      expect(call).toMatchObject({ name: 'web_search', input: { query: 'maxproxy release' } });
      expect(call.id).toMatch(/^srvtoolu_/);
      expect(clientCall).toMatchObject({ type: 'tool_use', name: 'get_time', input: {} });
      expect(result.tool_use_id).toBe(call.id);
      expect(result.content).toEqual([{ type: 'web_search_result', title: TITLE1, url: URL1, encrypted_content: '', page_age: null }]);
      expect(first.usage.server_tool_use?.web_search_requests).toBe(1);
      // The search reached the upstream before the client answered its call.
      expect(searchRequests()).toHaveLength(1);
      expect(toolResults(s.upstream.messageRequests.at(-1)!.body)).toHaveLength(0);

      const second = await s.anthropic.messages.create({
        ...params,
        messages: [
          { role: 'user', content: prompt },
          { role: 'assistant', content: first.content as any },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: clientCall.id, content: '12:00' }] },
        ],
      });
      expect(second.stop_reason).toBe('end_turn');
      expect(second.content).toEqual([{ type: 'text', text: BOTH_ANSWER }]);
      expect(continuities(s.proxy).at(-1)).toBe('live');
      expectBothResultsUpstream();
    },
  );

  it('the client tool called before the search in the message: the CLI still searches meanwhile, and the response carries the result', async () => {
    searchError = undefined;
    clientFirst = true;
    try {
      s.upstream.setResponder(besideClientTool);
      const tools = [
        { name: 'get_time', description: 'Current time', input_schema: { type: 'object' as const, properties: {} } },
        { type: 'web_search_20250305' as const, name: 'web_search' as const },
      ];
      const prompt = 'Tell me the time, then search (anthropic, client tool first).';
      const first = await s.anthropic.messages.create({ model: MODEL, max_tokens: 200, tools, messages: [{ role: 'user', content: prompt }] });
      expect(first.stop_reason).toBe('tool_use');
      expect(first.content.map((b) => b.type)).toEqual(['tool_use', 'server_tool_use', 'web_search_tool_result']);
      expect((first.content[2] as any).tool_use_id).toBe((first.content[1] as any).id);
      expect(searchRequests()).toHaveLength(1);
      const second = await s.anthropic.messages.create({
        model: MODEL,
        max_tokens: 200,
        tools,
        messages: [
          { role: 'user', content: prompt },
          { role: 'assistant', content: first.content as any },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: (first.content[0] as any).id, content: '12:00' }] },
        ],
      });
      expect(second.content).toEqual([{ type: 'text', text: BOTH_ANSWER }]);
      expectBothResultsUpstream();
    } finally {
      clientFirst = false;
    }
  });

  it('a search refused for max_uses beside a client tool: the refusal is its result, and the response still stops for the client tool (no wait for a search that never runs)', async () => {
    searchError = undefined;
    // First message: one search (the limit); second: another search beside the client's tool.
    s.upstream.setResponder((req) => {
      const body = req.body as any;
      if (isSearchRequest(body)) return responder(req);
      const done = toolResults(body).length;
      if (done === 0) return { blocks: [{ type: 'tool_use', name: 'WebSearch', input: { query: 'first' } }] };
      if (done === 1)
        return {
          blocks: [
            { type: 'tool_use', name: 'WebSearch', input: { query: 'second' } },
            { type: 'tool_use', name: 'mcp__client__get_time', input: {} },
          ],
        };
      return { blocks: [{ type: 'text', text: BOTH_ANSWER }] };
    });
    const tools = [
      { name: 'get_time', description: 'Current time', input_schema: { type: 'object' as const, properties: {} } },
      { type: 'web_search_20250305' as const, name: 'web_search' as const, max_uses: 1 },
    ];
    const first = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools,
      messages: [{ role: 'user', content: 'Search twice, with the time.' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_search_tool_result', 'server_tool_use', 'tool_use', 'web_search_tool_result']);
    const refused = first.content[4] as any;
    expect(refused.tool_use_id).toBe((first.content[2] as any).id);
    expect(refused.content).toMatchObject({ type: 'web_search_tool_result_error' });
    // Only the first search reached the upstream.
    expect(searchRequests()).toHaveLength(1);
  });

  it('without the hosted tool, the CLI is never offered WebSearch', async () => {
    const msg = await s.anthropic.messages.create({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'no search please' }] });
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'no search here' });
    expect(s.upstream.messageRequests.length).toBeGreaterThan(0);
    expect(offeredWebSearch()).toBe(false);
  });
});

describe('Responses hosted web search', () => {
  it('streams a web_search_call item in the documented order and url_citation annotations on the answer', async () => {
    searchError = undefined;
    const stream = await s.openai.responses.create({
      model: MODEL,
      input: 'Search the web for the maxproxy release (responses).',
      tools: [{ type: 'web_search', filters: { allowed_domains: ['example.com'] } }],
      stream: true,
    });
    const types: string[] = [];
    let final: any;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.completed') final = ev.response;
    }
    const ws = types.filter((t) => t.includes('web_search_call') || t.startsWith('response.output_item'));
    expect(ws.slice(0, 5)).toEqual([
      'response.output_item.added',
      'response.web_search_call.in_progress',
      'response.web_search_call.searching',
      'response.web_search_call.completed',
      'response.output_item.done',
    ]);
    const call = final.output[0];
    expect(call).toMatchObject({ type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'maxproxy release' } });
    expect(call.action.sources).toEqual([{ type: 'url', url: URL1 }]);
    const msg = final.output.find((o: any) => o.type === 'message');
    const part = msg.content[0];
    expect(part.text).toBe(ANSWER);
    const at = ANSWER.indexOf(URL1);
    expect(part.annotations).toEqual([{ type: 'url_citation', start_index: at, end_index: at + URL1.length, url: URL1, title: TITLE1 }]);
    const hosted = (searchRequests()[0].body as any).tools.find((t: any) => t.type.startsWith('web_search_'));
    expect(hosted.allowed_domains).toEqual(['example.com']);
  });

  it('non-streaming: the same items; a failed search is status failed, never a 500', async () => {
    searchError = 'max_uses_exceeded';
    try {
      const r = await s.openai.responses.create({ model: MODEL, input: 'Search, failing (responses).', tools: [{ type: 'web_search_preview' }] });
      const call = r.output[0] as any;
      expect(call).toMatchObject({ type: 'web_search_call', status: 'failed', action: { type: 'search', query: 'maxproxy release' } });
      expect(r.output_text).toBe(ANSWER);
    } finally {
      searchError = undefined;
    }
  });

  it.each([false, true])(
    'a search and a function call in one model message (streamed: %s): web_search_call completed and the function_call; its output continues to the answer',
    async (streamed) => {
      searchError = undefined;
      s.upstream.setResponder(besideClientTool);
      const tools = [
        { type: 'web_search' as const },
        { type: 'function' as const, name: 'get_time', description: 'Current time', parameters: { type: 'object', properties: {} }, strict: false },
      ];
      const input = `Search and tell me the time (responses, streamed ${streamed}).`;
      let first: any;
      if (streamed) {
        const stream = await s.openai.responses.create({ model: MODEL, input, tools, stream: true });
        const types: string[] = [];
        for await (const ev of stream) {
          types.push(ev.type);
          if (ev.type === 'response.completed') first = ev.response;
        }
        // The search item completes within the response, before it ends.
        expect(types.indexOf('response.web_search_call.completed')).toBeGreaterThan(types.indexOf('response.function_call_arguments.done'));
        expect(types.indexOf('response.web_search_call.completed')).toBeLessThan(types.indexOf('response.completed'));
      } else first = await s.openai.responses.create({ model: MODEL, input, tools });
      expect(first.status).toBe('completed');
      expect(first.output.map((o: any) => o.type)).toEqual(['web_search_call', 'function_call']);
      expect(first.output[0]).toMatchObject({
        type: 'web_search_call',
        status: 'completed',
        action: { type: 'search', query: 'maxproxy release', sources: [{ type: 'url', url: URL1 }] },
      });
      const call = first.output[1];
      expect(call).toMatchObject({ type: 'function_call', name: 'get_time', status: 'completed' });
      expect(searchRequests()).toHaveLength(1);
      expect(toolResults(s.upstream.messageRequests.at(-1)!.body)).toHaveLength(0);

      const second = await s.openai.responses.create({
        model: MODEL,
        tools,
        input: [{ role: 'user', content: input }, ...first.output, { type: 'function_call_output', call_id: call.call_id, output: '12:00' }],
      });
      expect(second.output_text).toBe(BOTH_ANSWER);
      expect(continuities(s.proxy).at(-1)).toBe('live');
      expectBothResultsUpstream();
    },
  );

  it("Codex's cached-only web_search (external_web_access false) does not turn on live search", async () => {
    const r = await s.openai.responses.create({
      model: MODEL,
      input: 'no live search (responses)',
      tools: [{ type: 'web_search', external_web_access: false } as any],
    });
    expect(r.output_text).toBe('no search here');
    expect(offeredWebSearch()).toBe(false);
  });
});

describe('Chat Completions hosted web search', () => {
  it.each([false, true])(
    'web_search_options and a function in one model message (streamed: %s): the tool_calls finish waits for the search; the tool result continues to the answer',
    async (streamed) => {
      searchError = undefined;
      s.upstream.setResponder(besideClientTool);
      const tools = [
        { type: 'function' as const, function: { name: 'get_time', description: 'Current time', parameters: { type: 'object', properties: {} } } },
      ];
      const messages = [{ role: 'user' as const, content: `Search and tell me the time (chat, streamed ${streamed}).` }];
      let finish: string | null | undefined;
      let calls: Array<{ id: string; name: string }> = [];
      let annotations: unknown[] | undefined;
      if (streamed) {
        const stream = await s.openai.chat.completions.create({ model: MODEL, messages, tools, web_search_options: {}, stream: true });
        for await (const chunk of stream) {
          const c = chunk.choices[0];
          for (const t of c?.delta?.tool_calls ?? []) if (t.id) calls.push({ id: t.id, name: t.function?.name ?? '' });
          if ((c?.delta as any)?.annotations) annotations = [...(annotations ?? []), ...(c.delta as any).annotations];
          if (c?.finish_reason) finish = c.finish_reason;
        }
      } else {
        const c = await s.openai.chat.completions.create({ model: MODEL, messages, tools, web_search_options: {} });
        finish = c.choices[0].finish_reason;
        calls = (c.choices[0].message.tool_calls ?? []).map((t: any) => ({ id: t.id, name: t.function.name }));
        annotations = c.choices[0].message.annotations;
      }
      expect(finish).toBe('tool_calls');
      expect(calls.map((c) => c.name)).toEqual(['get_time']);
      // No answer text in this response, so nothing for a url_citation to point into.
      expect(annotations ?? []).toEqual([]);
      expect(searchRequests()).toHaveLength(1);
      expect(toolResults(s.upstream.messageRequests.at(-1)!.body)).toHaveLength(0);
      const second = await s.openai.chat.completions.create({
        model: MODEL,
        tools,
        web_search_options: {},
        messages: [
          ...messages,
          {
            role: 'assistant',
            content: null,
            tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: '{}' } })),
          },
          { role: 'tool', tool_call_id: calls[0].id, content: '12:00' },
        ],
      });
      expect(second.choices[0].message.content).toBe(BOTH_ANSWER);
      expectBothResultsUpstream();
    },
  );

  it('web_search_options: message.annotations url_citation (non-stream) and on a delta (stream)', async () => {
    searchError = undefined;
    const at = ANSWER.indexOf(URL1);
    const citation = { type: 'url_citation', url_citation: { start_index: at, end_index: at + URL1.length, url: URL1, title: TITLE1 } };
    const c = await s.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Search the web for the maxproxy release (chat).' }],
      web_search_options: {},
    });
    expect(c.choices[0].message.content).toBe(ANSWER);
    expect(c.choices[0].message.annotations).toEqual([citation]);
    expect(searchRequests()).toHaveLength(1);

    const stream = await s.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Search the web again (chat, streamed).' }],
      web_search_options: { search_context_size: 'low' },
      stream: true,
    });
    let text = '';
    const annotations: unknown[] = [];
    for await (const chunk of stream) {
      const d = chunk.choices[0]?.delta as any;
      text += d?.content ?? '';
      if (d?.annotations) annotations.push(...d.annotations);
    }
    expect(text).toBe(ANSWER);
    expect(annotations).toEqual([citation]);
  });
});
