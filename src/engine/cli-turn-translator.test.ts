import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TurnEvent } from '../turn/types.js';
import { type CliMessage, CliTurnTranslator } from './cli-turn-translator.js';
import { fromCliToolName } from './client-tool-names.js';
import type { WebFetchOutcome } from './web-fetch-tool.js';

/**
 * Replays the CLI's own output (captured from the pinned CLI by
 * test/fixtures/capture-cli.ts against test/mock-upstream.ts) through the translator.
 * Usage numbers below are the ones the capture script gave the mock.
 */
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/cli/', import.meta.url));

function load(name: string): CliMessage[] {
  return fs
    .readFileSync(`${FIXTURES}${name}.jsonl`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CliMessage);
}

function run(
  name: string,
  tr = new CliTurnTranslator('sess-1', { clientToolName: fromCliToolName }),
): { events: TurnEvent[]; tr: CliTurnTranslator; messages: CliMessage[] } {
  const messages = load(name);
  const events = messages.flatMap((m) => tr.push(m));
  return { events, tr, messages };
}

type StreamEvent = Extract<CliMessage, { type: 'stream_event' }>['event'];
const streamed = <T extends StreamEvent['type']>(messages: CliMessage[], type: T) =>
  messages.flatMap((m) => (m.type === 'stream_event' && m.event.type === type ? [m.event as Extract<StreamEvent, { type: T }>] : []));
const retryDelay = (messages: CliMessage[]) => messages.find((m) => m.type === 'system' && m.subtype === 'api_retry')?.retry_delay_ms as number;
const errorOf = (events: TurnEvent[]) => {
  const errors = events.filter((e) => e.type === 'error');
  expect(errors).toHaveLength(1);
  expect(events[events.length - 1].type).toBe('error');
  return (errors[0] as Extract<TurnEvent, { type: 'error' }>).error;
};

afterEach(() => {
  vi.useRealTimers();
});

describe('CliTurnTranslator on captured CLI output', () => {
  it('mid-stream error then a successful non-streaming retry: the recovered answer reaches the client', () => {
    const { events, tr } = run('stream-error-recovered');
    expect(events.slice(1)).toEqual([
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'Partial ans' },
      { type: 'block_stop', index: 0 },
      { type: 'block_start', index: 1, block: { type: 'text' } },
      { type: 'text_delta', index: 1, text: 'Recovered answer.' },
      { type: 'block_stop', index: 1 },
      // both upstream attempts were billed; equal to the CLI result's usage (25/7)
      {
        type: 'stop',
        stopReason: 'end_turn',
        stopSequence: null,
        usage: { inputTokens: 25, outputTokens: 7, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
      },
    ]);
    expect(tr.failed).toBe(false);
  });

  it('document citations on answer text pass as text_citation events, as the upstream sent them', () => {
    const { events, messages } = run('citations');
    const [citation] = streamed(messages, 'content_block_delta').flatMap((e) => (e.delta.type === 'citations_delta' ? [e.delta.citation] : []));
    expect(citation).toMatchObject({ type: 'char_location', cited_text: 'The grass is green.' });
    expect(events.filter((e) => e.type !== 'start' && e.type !== 'stop')).toEqual([
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'According to the document, ' },
      { type: 'block_stop', index: 0 },
      { type: 'block_start', index: 1, block: { type: 'text' } },
      { type: 'text_delta', index: 1, text: 'the grass is green' },
      { type: 'text_citation', index: 1, citation },
      { type: 'block_stop', index: 1 },
    ]);
  });

  it('a refusal (the CLI asks once more, then ends in its own error) is a refusal stop, not an error', () => {
    const { events, tr } = run('refusal');
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    // Both attempts' words were streamed as they came.
    expect(events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text)).toEqual([
      'I cannot help with that.',
      'I cannot help with that.',
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'stop', stopReason: 'refusal' });
    expect(events.some((e) => e.type === 'refusal')).toBe(false);
    // The CLI history ends in its synthetic error message: the process is not reused.
    expect(tr.failed).toBe(true);
  });

  it('a refusal under structured output: the held-back words come as the refusal event', () => {
    const { events } = run('refusal', new CliTurnTranslator('sess-1', { clientToolName: fromCliToolName, structuredOutput: true }));
    expect(events.filter((e) => e.type !== 'start')).toEqual([
      { type: 'refusal', text: 'I cannot help with that.' },
      { type: 'stop', stopReason: 'refusal', stopSequence: null, usage: expect.objectContaining({ outputTokens: expect.any(Number) }) },
    ]);
  });

  it('text reply: start, one text block, stop with the upstream usage', () => {
    const { events, tr, messages } = run('text');
    const [start] = streamed(messages, 'message_start');
    expect(events).toEqual([
      {
        type: 'start',
        messageId: start.message.id,
        model: 'claude-sonnet-5-5',
        sessionId: 'sess-1',
        usage: { inputTokens: 21, outputTokens: 1, cacheReadInputTokens: 5, cacheCreationInputTokens: 3 },
      },
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'Hello' },
      { type: 'text_delta', index: 0, text: ' from' },
      { type: 'text_delta', index: 0, text: ' the mock.' },
      { type: 'block_stop', index: 0 },
      {
        type: 'stop',
        stopReason: 'end_turn',
        stopSequence: null,
        usage: { inputTokens: 21, outputTokens: 13, cacheReadInputTokens: 5, cacheCreationInputTokens: 3 },
      },
    ]);
    expect(tr.done).toBe(true);
    expect(tr.failed).toBe(false);
    expect(tr.suspended).toBe(false);
  });

  it('thinking + text: thinking deltas and signature, then the text block at the next index', () => {
    const { events, messages } = run('thinking');
    const [start] = streamed(messages, 'message_start');
    expect(events).toEqual([
      {
        type: 'start',
        messageId: start.message.id,
        model: 'claude-sonnet-5-5',
        sessionId: 'sess-1',
        usage: { inputTokens: 34, outputTokens: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
      },
      { type: 'block_start', index: 0, block: { type: 'thinking' } },
      { type: 'thinking_delta', index: 0, thinking: 'Let me think' },
      { type: 'thinking_delta', index: 0, thinking: ' about it.' },
      { type: 'signature_delta', index: 0, signature: 'c2lnbmF0dXJlLWNhcHR1cmU=' },
      { type: 'block_stop', index: 0 },
      { type: 'block_start', index: 1, block: { type: 'text' } },
      { type: 'text_delta', index: 1, text: 'The answer' },
      { type: 'text_delta', index: 1, text: ' is 42.' },
      { type: 'block_stop', index: 1 },
      {
        type: 'stop',
        stopReason: 'end_turn',
        stopSequence: null,
        usage: { inputTokens: 34, outputTokens: 27, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
      },
    ]);
  });

  it('client tool call: the response stops at tool_use and the CLI turn stays suspended', () => {
    const { events, tr, messages } = run('tool-use');
    const [start] = streamed(messages, 'message_start');
    expect(events).toEqual([
      {
        type: 'start',
        messageId: start.message.id,
        model: 'claude-sonnet-5-5',
        sessionId: 'sess-1',
        usage: { inputTokens: 40, outputTokens: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
      },
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'Let me check.' },
      { type: 'block_stop', index: 0 },
      // The client's own name, not the CLI's mcp__client__get_time.
      { type: 'block_start', index: 1, block: { type: 'tool_use', id: 'toolu_capture_get_time_01', name: 'get_time' } },
      { type: 'tool_input_delta', index: 1, partialJson: '{"timezon' },
      { type: 'tool_input_delta', index: 1, partialJson: 'e":"UTC"}' },
      { type: 'block_stop', index: 1 },
      {
        type: 'stop',
        stopReason: 'tool_use',
        stopSequence: null,
        usage: { inputTokens: 40, outputTokens: 17, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
      },
    ]);
    expect(tr.done).toBe(true);
    expect(tr.suspended).toBe(true);
    expect(tr.pendingToolIds).toEqual(['toolu_capture_get_time_01']);
    expect(tr.failed).toBe(false);
    // Anything after the suspension belongs to the next request's translator.
    expect(tr.push({ type: 'result', subtype: 'success', is_error: false } as CliMessage)).toEqual([]);
  });

  it('tool result continuation: a fresh translator reports only the continuation message and its usage', () => {
    const { events, tr, messages } = run('tool-use-continued');
    const [start] = streamed(messages, 'message_start');
    expect(events).toEqual([
      {
        type: 'start',
        messageId: start.message.id,
        model: 'claude-sonnet-5-5',
        sessionId: 'sess-1',
        usage: { inputTokens: 62, outputTokens: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
      },
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'It is' },
      { type: 'text_delta', index: 0, text: ' 12:00 UTC.' },
      { type: 'block_stop', index: 0 },
      // The CLI's result counts the whole CLI turn (102/26): only this request's message is reported.
      {
        type: 'stop',
        stopReason: 'end_turn',
        stopSequence: null,
        usage: { inputTokens: 62, outputTokens: 9, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
      },
    ]);
    const last = messages[messages.length - 1];
    expect(last.type === 'result' && last.usage).toMatchObject({ input_tokens: 102, output_tokens: 26 });
    expect(tr.suspended).toBe(false);
  });

  it('a tool the client did not define is held back and is not a suspension point (docs/decisions/044)', () => {
    const { events, tr } = run('tool-use', new CliTurnTranslator('sess-1'));
    expect(events.some((e) => e.type === 'block_start' && e.block.type === 'tool_use')).toBe(false);
    expect(events.some((e) => e.type === 'tool_input_delta')).toBe(false);
    expect(events.some((e) => e.type === 'stop')).toBe(false);
    expect(tr.suspended).toBe(false);
    expect(tr.done).toBe(false);
  });

  it('rate-limit headers at 90% (subscription login): a rate_limit event, then a normal stop', () => {
    const { events } = run('rate-limit-event');
    expect(events.filter((e) => e.type === 'rate_limit')).toEqual([
      { type: 'rate_limit', info: { status: 'allowed_warning', resetsAt: 1900000000, rateLimitType: 'five_hour', utilization: 0.9, isUsingOverage: false } },
    ]);
    expect(events[events.length - 1]).toEqual({
      type: 'stop',
      stopReason: 'end_turn',
      stopSequence: null,
      usage: { inputTokens: 12, outputTokens: 4, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
    });
  });

  it('mid-stream error: the partial text was already streamed, the turn ends in the final upstream error', () => {
    const { events, tr } = run('stream-error');
    expect(events.slice(0, 4)).toMatchObject([
      { type: 'start', usage: { inputTokens: 10, outputTokens: 1 } },
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'Partial ans' },
      { type: 'block_stop', index: 0 },
    ]);
    const error = errorOf(events);
    expect(error.kind).toBe('overloaded');
    expect(error.message).toMatch(/529 Overloaded/);
    expect(events.some((e) => e.type === 'stop')).toBe(false);
    expect(tr.failed).toBe(true);
  });
});

describe('CliTurnTranslator error classification on captured CLI failures', () => {
  it('401 → authentication (after the CLI announced its retry as a keep-alive)', () => {
    const { events, tr, messages } = run('error-401');
    expect(events[0]).toEqual({ type: 'keepalive', reason: `upstream 401; Claude Code retries in ${retryDelay(messages)} ms (attempt 1/1)` });
    expect(errorOf(events)).toEqual({
      kind: 'authentication',
      code: 'authentication_failed',
      message: 'Claude Code could not authenticate: Invalid API key · Fix external API key',
    });
    expect(tr.failed).toBe(true);
  });

  it('no credentials at all → authentication, not_logged_in, telling the user how to log in', () => {
    const { events } = run('not-logged-in');
    const error = errorOf(events);
    expect(error.kind).toBe('authentication');
    expect(error.code).toBe('not_logged_in');
    expect(error.message).toContain('maxproxy login');
    expect(error.message).toContain('claude auth login');
  });

  it('429 → rate_limit with retryAfterSeconds from the CLI retry delay', () => {
    const { events, messages } = run('error-429');
    const error = errorOf(events);
    expect(error).toMatchObject({ kind: 'rate_limit', code: 'rate_limit_exceeded' });
    expect(error.message).toContain('429');
    expect(error.retryAfterSeconds).toBe(Math.ceil(retryDelay(messages) / 1000));
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('429 on a subscription whose 5-hour window is exhausted → rate_limit event (rejected) and retry-after until the reset', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date((1900000000 - 3600) * 1000));
    const { events } = run('error-429-oauth-rejected');
    expect(events).toContainEqual({
      type: 'rate_limit',
      info: { status: 'rejected', resetsAt: 1900000000, rateLimitType: 'five_hour', isUsingOverage: false },
    });
    const error = errorOf(events);
    expect(error).toMatchObject({ kind: 'rate_limit', code: 'rate_limit_exceeded', retryAfterSeconds: 3600 });
    expect(error.message).toMatch(/hit your 5-hour limit/);
  });

  it('529 → overloaded', () => {
    const { events, messages } = run('error-529');
    expect(errorOf(events)).toMatchObject({ kind: 'overloaded', retryAfterSeconds: Math.ceil(retryDelay(messages) / 1000) });
  });

  it('500 → upstream', () => {
    const { events } = run('error-500');
    const error = errorOf(events);
    expect(error.kind).toBe('upstream');
    expect(error.message).toMatch(/500 Internal server error/);
  });

  it('400 prompt too long → invalid_request, context_length_exceeded (what clients detect to compact)', () => {
    const { events } = run('error-400-prompt-too-long');
    const error = errorOf(events);
    expect(error).toMatchObject({ kind: 'invalid_request', code: 'context_length_exceeded' });
    expect(error.message).toMatch(/^Prompt is too long/);
  });

  it('404 model → not_found, model_not_found', () => {
    const { events } = run('error-404-model');
    const error = errorOf(events);
    expect(error).toMatchObject({ kind: 'not_found', code: 'model_not_found' });
    expect(error.message).toContain('claude-opus-9-9');
  });

  it('model needs a newer Claude Code → invalid_request naming the model, the CLI version and how to upgrade', () => {
    const { events } = run('error-version-too-old', new CliTurnTranslator('sess-1', { model: 'claude-opus-9-9' }));
    const error = errorOf(events);
    expect(error).toMatchObject({ kind: 'invalid_request', code: 'claude_code_version_too_old', param: 'model' });
    expect(error.message).toContain('"claude-opus-9-9"');
    expect(error.message).toContain('2.1.330');
    expect(error.message).toContain('2.2.0 or newer is required');
    expect(error.message).toContain('--claude-path');
    expect(error.message).toMatch(/Upgrade maxproxy/);
    // Structured for the tray and doctor (src/engine/model-floors.ts).
    expect(error.modelFloor).toEqual({ model: 'claude-opus-9-9', required: '2.2.0', cliVersion: '2.1.330' });
  });

  it('the CLI reports only the query, titles, urls and its own summary of a WebSearch (no encrypted_content, page_age, citations)', () => {
    const messages = load('web-search');
    const user = messages.find((m) => m.type === 'user') as unknown as { tool_use_result: { query: string; results: unknown[]; searchCount: number } };
    expect(user.tool_use_result.query).toBe('maxproxy release');
    expect(user.tool_use_result.searchCount).toBe(1);
    expect(user.tool_use_result.results[0]).toEqual({
      tool_use_id: 'srvtoolu_capture_01',
      content: [{ title: 'maxproxy 1.0 released', url: 'https://example.com/maxproxy-1-0' }],
    });
    const raw = JSON.stringify(messages);
    expect(raw).not.toContain('encrypted_content');
    expect(raw).not.toContain('page_age');
    expect(raw).not.toContain('web_search_result_location');
    // Without the client offering search, the WebSearch call is a foreign tool: never shown.
    const { events } = run('web-search');
    expect(events.some((e) => e.type === 'block_start' && e.block.type === 'tool_use')).toBe(false);
  });

  it('with hosted search offered, the WebSearch call and its report become server_tool_use and web_search_result (captured)', () => {
    const { events } = run('web-search', new CliTurnTranslator('sess-1', { clientToolName: fromCliToolName, hostedSearch: true }));
    const shown = events.filter((e) => e.type !== 'rate_limit' && e.type !== 'keepalive');
    expect(shown.some((e) => e.type === 'block_start' && e.block.type === 'tool_use')).toBe(false);
    const call = shown.find((e) => e.type === 'server_tool_use');
    const result = shown.find((e) => e.type === 'web_search_result');
    expect(call).toEqual({ type: 'server_tool_use', index: 0, id: 'srvtoolu_capture_ws_01', name: 'web_search', input: { query: 'maxproxy release' } });
    expect(result).toEqual({
      type: 'web_search_result',
      index: 1,
      toolUseId: 'srvtoolu_capture_ws_01',
      results: [{ title: 'maxproxy 1.0 released', url: 'https://example.com/maxproxy-1-0' }],
    });
    // The answer's text block comes after both, and the searches are counted (the CLI says 0).
    const text = shown.find((e) => e.type === 'block_start' && e.block.type === 'text');
    expect(text).toMatchObject({ index: 2 });
    const stop = shown.at(-1);
    expect(stop).toMatchObject({ type: 'stop', stopReason: 'end_turn', usage: { serverToolUse: { webSearchRequests: 1 } } });
  });

  it('a failed hosted search is a web_search_result with the error code the CLI reports as text (captured)', () => {
    const { events } = run('web-search-error', new CliTurnTranslator('sess-1', { clientToolName: fromCliToolName, hostedSearch: true }));
    expect(events.find((e) => e.type === 'web_search_result')).toEqual({
      type: 'web_search_result',
      index: 1,
      toolUseId: 'srvtoolu_capture_wse_01',
      results: [],
      error: { code: 'max_uses_exceeded' },
    });
    expect(events.at(-1)).toMatchObject({ type: 'stop', stopReason: 'end_turn' });
  });

  it.each([
    ['web-search-client-tool', 0, 1, 'toolu_capture_wsc_01', 'toolu_capture_wsct_01'],
    ['web-search-client-tool-reversed', 1, 0, 'toolu_capture_wsc_02', 'toolu_capture_wsct_02'],
  ] as const)(
    'a WebSearch beside a client tool in one message (%s): the stop waits for the search result the CLI reports while the client call waits (captured)',
    (name, searchAt, clientAt, searchId, clientId) => {
      const hosted = () => new CliTurnTranslator('sess-1', { clientToolName: fromCliToolName, hostedSearch: true });
      const tr = hosted();
      const messages = load(name);
      // The CLI ran the search while the client's call waited: its result is in the part captured before the client's result was given.
      const stopAt = messages.findIndex((m) => m.type === 'stream_event' && m.event.type === 'message_stop');
      const resultAt = messages.findIndex((m) => m.type === 'user');
      expect(resultAt).toBeGreaterThan(stopAt);
      expect((messages[resultAt] as any).message.content[0].tool_use_id).toBe(searchId);
      const upToStop = messages.slice(0, stopAt + 1).flatMap((m) => tr.push(m));
      // Nothing stops at the message's end: the search has not reported yet.
      expect(upToStop.some((e) => e.type === 'stop')).toBe(false);
      expect(tr.suspended).toBe(false);
      const rest = messages.slice(stopAt + 1).flatMap((m) => tr.push(m));
      const events = [...upToStop, ...rest].filter((e) => e.type !== 'rate_limit' && e.type !== 'keepalive');
      expect(events.filter((e) => e.type === 'server_tool_use' || e.type === 'web_search_result' || e.type === 'block_start' || e.type === 'stop')).toEqual([
        ...(searchAt === 0 ? [] : [{ type: 'block_start', index: clientAt, block: { type: 'tool_use', id: clientId, name: 'get_time' } }]),
        { type: 'server_tool_use', index: searchAt, id: searchId.replace('toolu_', 'srvtoolu_'), name: 'web_search', input: { query: 'maxproxy release' } },
        ...(searchAt === 0 ? [{ type: 'block_start', index: clientAt, block: { type: 'tool_use', id: clientId, name: 'get_time' } }] : []),
        {
          type: 'web_search_result',
          index: 2,
          toolUseId: searchId.replace('toolu_', 'srvtoolu_'),
          results: [{ title: 'maxproxy 1.0 released', url: 'https://example.com/maxproxy-1-0' }],
        },
        {
          type: 'stop',
          stopReason: 'tool_use',
          stopSequence: null,
          usage: { inputTokens: 50, outputTokens: 20, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, serverToolUse: { webSearchRequests: 1 } },
        },
      ]);
      expect(events.at(-1)?.type).toBe('stop');
      expect(tr.suspended).toBe(true);
      expect(tr.pendingToolIds).toEqual([clientId]);
      // The client's result continues the turn: the next request's translator gets the answer.
      const next = run(`${name}-continued`, hosted());
      expect(next.events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text)).toEqual(['maxproxy 1.0 is out; it is 12:00 UTC.']);
      expect(next.events.at(-1)).toMatchObject({ type: 'stop', stopReason: 'end_turn', usage: { serverToolUse: { webSearchRequests: 0 } } });
    },
  );

  it('a web fetch called after a client tool in one message: the CLI still fetches while the client call waits, and the stop waits for it (captured)', () => {
    const outcome: WebFetchOutcome = { url: 'https://example.com/kettle', error: { code: 'url_not_accessible', message: 'refused' } };
    const tr = new CliTurnTranslator('sess-1', {
      clientToolName: fromCliToolName,
      hostedFetch: { outcome: (id) => (id === 'toolu_capture_wfc_01' ? outcome : undefined) },
    });
    const { events } = run('web-fetch-client-tool-reversed', tr);
    expect(events.filter((e) => e.type === 'server_tool_use' || e.type === 'web_fetch_result' || e.type === 'block_start' || e.type === 'stop')).toEqual([
      { type: 'block_start', index: 0, block: { type: 'tool_use', id: 'toolu_capture_wfct_01', name: 'get_time' } },
      { type: 'server_tool_use', index: 1, id: 'srvtoolu_capture_wfc_01', name: 'web_fetch', input: { url: 'https://example.com/kettle' } },
      { type: 'web_fetch_result', index: 2, toolUseId: 'srvtoolu_capture_wfc_01', url: 'https://example.com/kettle', error: { code: 'url_not_accessible' } },
      {
        type: 'stop',
        stopReason: 'tool_use',
        stopSequence: null,
        usage: {
          inputTokens: 50,
          outputTokens: 20,
          cacheReadInputTokens: 0,
          cacheCreationInputTokens: 0,
          serverToolUse: { webSearchRequests: 0, webFetchRequests: 1 },
        },
      },
    ]);
    expect(tr.suspended).toBe(true);
    expect(tr.pendingToolIds).toEqual(['toolu_capture_wfct_01']);
  });

  it('with the web fetch offered, mcp__maxproxy__web_fetch calls become server_tool_use and web_fetch_result from the kept outcomes (captured)', () => {
    const page = {
      url: 'https://example.com/kettle',
      kind: 'text' as const,
      mediaType: 'text/html',
      title: 'Kettle notes',
      text: 'Use citric acid.',
      truncated: false,
    };
    const outcomes: Record<string, WebFetchOutcome> = {
      toolu_capture_wf_01: { url: 'https://example.com/kettle', page, retrievedAt: '2026-12-07T11:00:00.000Z' },
      toolu_capture_wf_02: { url: 'https://example.com/second', error: { code: 'max_uses_exceeded', message: 'limit' } },
    };
    const tr = new CliTurnTranslator('sess-1', { clientToolName: fromCliToolName, hostedFetch: { outcome: (id) => outcomes[id] } });
    const { events } = run('web-fetch', tr);
    const shown = events.filter((e) => e.type !== 'rate_limit' && e.type !== 'keepalive');
    // Never a client tool call, and the turn ends as the model's answer.
    expect(shown.some((e) => e.type === 'block_start' && e.block.type === 'tool_use')).toBe(false);
    expect(shown.filter((e) => e.type === 'server_tool_use' || e.type === 'web_fetch_result')).toEqual([
      { type: 'server_tool_use', index: 0, id: 'srvtoolu_capture_wf_01', name: 'web_fetch', input: { url: 'https://example.com/kettle' } },
      {
        type: 'web_fetch_result',
        index: 1,
        toolUseId: 'srvtoolu_capture_wf_01',
        url: 'https://example.com/kettle',
        document: { source: { type: 'text', media_type: 'text/plain', data: 'Use citric acid.' }, title: 'Kettle notes' },
        retrievedAt: '2026-12-07T11:00:00.000Z',
      },
      { type: 'server_tool_use', index: 2, id: 'srvtoolu_capture_wf_02', name: 'web_fetch', input: { url: 'https://example.com/second' } },
      { type: 'web_fetch_result', index: 3, toolUseId: 'srvtoolu_capture_wf_02', url: 'https://example.com/second', error: { code: 'max_uses_exceeded' } },
    ]);
    expect(shown.find((e) => e.type === 'block_start' && e.block.type === 'text')).toMatchObject({ index: 4 });
    // The refused call fetched nothing: one fetch counted (the CLI's own counter says 0).
    expect(shown.at(-1)).toMatchObject({ type: 'stop', stopReason: 'end_turn', usage: { serverToolUse: { webSearchRequests: 0, webFetchRequests: 1 } } });
  });

  it('without the fetch offered the mcp__maxproxy__web_fetch call is a foreign tool: never shown (captured)', () => {
    const { events } = run('web-fetch');
    expect(events.some((e) => e.type === 'server_tool_use' || e.type === 'web_fetch_result')).toBe(false);
    expect(events.some((e) => e.type === 'block_start' && e.block.type === 'tool_use')).toBe(false);
    const stop = events.at(-1);
    expect(stop?.type === 'stop' && stop.usage.serverToolUse).toBe(undefined);
  });

  it('a fetch result the tool kept no outcome for is unavailable, never a page', () => {
    const tr = new CliTurnTranslator('sess-1', { clientToolName: fromCliToolName, hostedFetch: { outcome: () => undefined } });
    const { events } = run('web-fetch', tr);
    const results = events.filter((e) => e.type === 'web_fetch_result');
    expect(results.map((e) => e.type === 'web_fetch_result' && e.error)).toEqual([{ code: 'unavailable' }, { code: 'unavailable' }]);
  });

  it('credit balance too low → billing', () => {
    const { events } = run('error-billing');
    expect(errorOf(events)).toEqual({ kind: 'billing', code: 'billing_error', message: 'Credit balance is too low' });
  });
});
