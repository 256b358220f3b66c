/**
 * A scriptable mock of the Anthropic Messages API that records everything the
 * Claude Code CLI sends it. Tests point the real CLI at it with ANTHROPIC_BASE_URL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body (undefined when not JSON). */
  body: any;
  rawBytes: number;
  at: number;
}

export interface MockUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  /** Hosted tool counts, as the upstream reports them (web search). */
  server_tool_use?: { web_search_requests?: number };
}

/** A web_search_result_location citation, as the upstream puts it on text. */
export interface MockCitation {
  type: 'web_search_result_location';
  url: string;
  title: string;
  encrypted_index: string;
  cited_text: string;
}

export type MockBlock =
  /** `citations`: document citations (char/page/content_block locations), streamed as citations_delta after the text. */
  | { type: 'text'; text: string | string[]; citations?: Array<Record<string, unknown>> }
  | { type: 'thinking'; thinking: string | string[]; signature?: string }
  | { type: 'tool_use'; id?: string; name: string; input: unknown }
  /** Text carrying citations (streamed as text_delta, then one citations_delta per citation). */
  | { type: 'cited_text'; text: string; citations: MockCitation[] }
  /** A hosted tool call the upstream ran itself (web search). */
  | { type: 'server_tool_use'; id: string; name: string; input: unknown }
  /** A hosted tool's result: a list of results, or an error object. */
  | { type: 'web_search_tool_result'; tool_use_id: string; content: unknown };

export type MockReply =
  | {
      kind?: 'message';
      blocks: MockBlock[];
      stopReason?: string;
      usage?: MockUsage;
      headers?: Record<string, string>;
      /** Delay between SSE events, ms. */
      delayMs?: number;
      /** Delay before answering at all, ms. */
      firstByteDelayMs?: number;
      model?: string;
    }
  | {
      kind: 'error';
      status: number;
      type: string;
      message: string;
      headers?: Record<string, string>;
      /** error.details of the body (e.g. { error_code: 'claude_code_version_too_old' }). */
      details?: Record<string, unknown>;
    }
  /** Sends message_start (and optionally some text) and then goes silent until the socket closes. */
  | { kind: 'stall'; afterText?: string }
  /** Starts a message, streams some text, then sends an SSE error event. */
  | { kind: 'stream-error'; afterText: string; type: string; message: string }
  /** Accepts the connection and destroys it without answering. */
  | { kind: 'hangup' };

export type Responder = (req: RecordedRequest, index: number) => MockReply;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const text = (t: string | string[], usage?: MockUsage): MockReply => ({ blocks: [{ type: 'text', text: t }], usage });

/** The text of the last user message of a Messages request (string or text blocks). */
export function lastUserText(body: any): string {
  const msgs: any[] = body?.messages ?? [];
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i];
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    // The CLI adds its own <system-reminder> text blocks (environment, date) to user turns.
    const texts = (m.content as any[]).filter((b) => b.type === 'text' && !String(b.text).startsWith('<system-reminder>')).map((b) => b.text as string);
    if (texts.length) return texts.join('\n');
  }
  return '';
}

/**
 * The user/assistant turns of a Messages request. For newer models (claude-*-5-5) the CLI
 * interleaves its own `role: "system"` messages (environment, per-turn output_config);
 * they are the CLI's, not the client's, so conversation assertions leave them out.
 */
export function conversationTurns(body: any): any[] {
  return (body?.messages ?? []).filter((m: any) => m.role !== 'system');
}

/** Default behaviour: echo the last user text, in three deltas, with fixed usage. */
export const echoResponder: Responder = (req) => {
  const t = `echo: ${lastUserText(req.body).slice(0, 200)}`;
  const third = Math.ceil(t.length / 3);
  return text([t.slice(0, third), t.slice(third, 2 * third), t.slice(2 * third)], { input_tokens: 11, output_tokens: 7 });
};

export class MockUpstream {
  readonly requests: RecordedRequest[] = [];
  /**
   * When set, every streamed text delta is appended here with the time it was written
   * (process.hrtime.bigint(): CLOCK_MONOTONIC, comparable across processes), for
   * latency measurements (npm run bench).
   */
  deltaLog?: Array<{ text: string; at: bigint }>;
  private server: http.Server;
  private queue: MockReply[] = [];
  private responder: Responder = echoResponder;
  private sockets = new Set<import('node:net').Socket>();
  port = 0;

  constructor() {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Replies used in order for the next /v1/messages requests, before the responder. */
  enqueue(...replies: MockReply[]): void {
    this.queue.push(...replies);
  }

  setResponder(r: Responder): void {
    this.responder = r;
  }

  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
    this.responder = echoResponder;
  }

  /** Only the model requests (POST /v1/messages), not count_tokens or others. */
  get messageRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && /^\/v1\/messages(\?|$)/.test(r.path));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    let body: any;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, rawBytes: raw.length, at: Date.now() };
    this.requests.push(rec);

    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ input_tokens: Math.max(1, Math.round(raw.length / 10)) }));
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/messages') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `mock: no route ${req.method} ${path}` } }));
      return;
    }
    const index = this.messageRequests.length - 1;
    const reply = this.queue.shift() ?? this.responder(rec, index);
    await this.reply(reply, body, res);
  }

  private async reply(reply: MockReply, body: any, res: http.ServerResponse): Promise<void> {
    const stream = body?.stream === true;
    const model = ('model' in reply && reply.model) || body?.model || 'claude-mock';
    const id = `msg_mock_${Math.random().toString(36).slice(2, 12)}`;
    if (reply.kind === 'hangup') {
      res.socket?.destroy();
      return;
    }
    if (reply.kind === 'error') {
      res.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': `req_${id}`, ...reply.headers });
      res.end(JSON.stringify({ type: 'error', error: { type: reply.type, message: reply.message, ...(reply.details ? { details: reply.details } : {}) } }));
      return;
    }
    const sse = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const start = (usage: MockUsage) => ({
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input_tokens ?? 10,
          output_tokens: 1,
          cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
          cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
        },
      },
    });
    if (reply.kind === 'stall' || reply.kind === 'stream-error') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      sse('message_start', start({}));
      const t = reply.afterText;
      if (t) {
        sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
        sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } });
      }
      if (reply.kind === 'stream-error') {
        sse('error', { type: 'error', error: { type: reply.type, message: reply.message } });
        res.end();
      }
      return; // stall: never end; stop() destroys the socket
    }

    const usage: MockUsage = { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, ...reply.usage };
    const stopReason = reply.stopReason ?? (reply.blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
    const blocks = reply.blocks.map((b, i) => (b.type === 'tool_use' ? { ...b, id: b.id ?? `toolu_mock_${i}_${Math.random().toString(36).slice(2, 8)}` } : b));
    if (reply.firstByteDelayMs) await sleep(reply.firstByteDelayMs);

    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json', ...reply.headers });
      res.end(
        JSON.stringify({
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: blocks.map((b) =>
            b.type === 'text'
              ? { type: 'text', text: [b.text].flat().join(''), ...(b.citations ? { citations: b.citations } : {}) }
              : b.type === 'thinking'
                ? { type: 'thinking', thinking: [b.thinking].flat().join(''), signature: b.signature ?? 'sig' }
                : b.type === 'cited_text'
                  ? { type: 'text', text: b.text, citations: b.citations }
                  : b.type === 'server_tool_use' || b.type === 'web_search_tool_result'
                    ? b
                    : { type: 'tool_use', id: b.id, name: b.name, input: b.input },
          ),
          stop_reason: stopReason,
          stop_sequence: null,
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
    const pause = async () => {
      if (reply.delayMs) await sleep(reply.delayMs);
    };
    sse('message_start', start(usage));
    await pause();
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i];
      if (b.type === 'text') {
        sse('content_block_start', { type: 'content_block_start', index: i, content_block: { type: 'text', text: '' } });
        for (const piece of [b.text].flat()) {
          await pause();
          sse('content_block_delta', { type: 'content_block_delta', index: i, delta: { type: 'text_delta', text: piece } });
          this.deltaLog?.push({ text: piece, at: process.hrtime.bigint() });
        }
        for (const citation of b.citations ?? []) {
          sse('content_block_delta', { type: 'content_block_delta', index: i, delta: { type: 'citations_delta', citation } });
        }
      } else if (b.type === 'thinking') {
        sse('content_block_start', { type: 'content_block_start', index: i, content_block: { type: 'thinking', thinking: '', signature: '' } });
        for (const piece of [b.thinking].flat()) {
          await pause();
          sse('content_block_delta', { type: 'content_block_delta', index: i, delta: { type: 'thinking_delta', thinking: piece } });
        }
        sse('content_block_delta', { type: 'content_block_delta', index: i, delta: { type: 'signature_delta', signature: b.signature ?? 'c2lnbmF0dXJl' } });
      } else if (b.type === 'cited_text') {
        sse('content_block_start', { type: 'content_block_start', index: i, content_block: { type: 'text', text: '', citations: [] } });
        await pause();
        sse('content_block_delta', { type: 'content_block_delta', index: i, delta: { type: 'text_delta', text: b.text } });
        for (const citation of b.citations) sse('content_block_delta', { type: 'content_block_delta', index: i, delta: { type: 'citations_delta', citation } });
      } else if (b.type === 'server_tool_use') {
        sse('content_block_start', { type: 'content_block_start', index: i, content_block: { type: 'server_tool_use', id: b.id, name: b.name, input: {} } });
        sse('content_block_delta', { type: 'content_block_delta', index: i, delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } });
      } else if (b.type === 'web_search_tool_result') {
        sse('content_block_start', { type: 'content_block_start', index: i, content_block: b });
      } else {
        sse('content_block_start', { type: 'content_block_start', index: i, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
        const json = JSON.stringify(b.input);
        const cut = Math.ceil(json.length / 2);
        for (const piece of [json.slice(0, cut), json.slice(cut)]) {
          await pause();
          sse('content_block_delta', { type: 'content_block_delta', index: i, delta: { type: 'input_json_delta', partial_json: piece } });
        }
      }
      sse('content_block_stop', { type: 'content_block_stop', index: i });
    }
    await pause();
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: {
        output_tokens: usage.output_tokens,
        input_tokens: usage.input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        ...(usage.server_tool_use ? { server_tool_use: usage.server_tool_use } : {}),
      },
    });
    sse('message_stop', { type: 'message_stop' });
    res.end();
  }
}

/** Response headers that make a subscription-authenticated CLI emit a rate_limit_event. */
export function unifiedRateLimitHeaders(opts: {
  utilization5h: number;
  utilization7d?: number;
  reset5h?: number;
  reset7d?: number;
  status?: string;
  /** The 5-hour window passed this warning threshold (0..1): the CLI then also reports it at the top of its event. */
  surpassedThreshold5h?: number;
  /**
   * Extra usage in use: the plan's window is used up (status rejected) and the account
   * pays on (overage allowed); names as the pinned CLI reads them.
   */
  overage?: boolean;
}): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  const h: Record<string, string> = {
    'anthropic-ratelimit-unified-status': opts.status ?? 'allowed',
    'anthropic-ratelimit-unified-5h-utilization': String(opts.utilization5h),
    'anthropic-ratelimit-unified-5h-reset': String(opts.reset5h ?? now + 3600),
    'anthropic-ratelimit-unified-5h-status': opts.status ?? 'allowed',
  };
  if (opts.utilization7d !== undefined) {
    h['anthropic-ratelimit-unified-7d-utilization'] = String(opts.utilization7d);
    h['anthropic-ratelimit-unified-7d-reset'] = String(opts.reset7d ?? now + 86400 * 3);
    h['anthropic-ratelimit-unified-7d-status'] = 'allowed';
  }
  if (opts.surpassedThreshold5h !== undefined) h['anthropic-ratelimit-unified-5h-surpassed-threshold'] = String(opts.surpassedThreshold5h);
  if (opts.overage) {
    h['anthropic-ratelimit-unified-status'] = 'rejected';
    h['anthropic-ratelimit-unified-5h-status'] = 'rejected';
    h['anthropic-ratelimit-unified-overage-status'] = 'allowed';
    h['anthropic-ratelimit-unified-overage-in-use'] = 'true';
    h['anthropic-ratelimit-unified-representative-claim'] = 'five_hour';
    h['anthropic-ratelimit-unified-reset'] = h['anthropic-ratelimit-unified-5h-reset'];
  }
  return h;
}
