/**
 * Small helpers shared by the fault, load, guard and flag integration tests: raw HTTP
 * (for headers the SDKs hide), SSE parsing in both wire formats, /health polling and
 * "nothing left running" checks on the daemon's Claude Code children.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { childClaudePids, type RunningProxy, sleep, waitFor } from './harness.js';

export interface SseEvent {
  event?: string;
  data: string;
}

/** Splits an SSE body into events (comments dropped). */
export function parseSse(raw: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const block of raw.split(/\r?\n\r?\n/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) out.push({ event, data: data.join('\n') });
  }
  return out;
}

/** SSE comment lines (`: text`), e.g. keep-alives. */
export const sseComments = (raw: string): string[] =>
  raw
    .split(/\r?\n/)
    .filter((l) => l.startsWith(':'))
    .map((l) => l.slice(1).trim());

/** The text an OpenAI Chat Completions stream carried, and its error chunk if any. */
export function openaiStreamSummary(raw: string): { text: string; error?: any; done: boolean; finish: string[] } {
  let text = '';
  let error: any;
  let done = false;
  const finish: string[] = [];
  for (const e of parseSse(raw)) {
    if (e.data === '[DONE]') {
      done = true;
      continue;
    }
    const j = JSON.parse(e.data);
    if (j.error) error = j.error;
    for (const c of j.choices ?? []) {
      text += c.delta?.content ?? '';
      if (c.finish_reason) finish.push(c.finish_reason);
    }
  }
  return { text, error, done, finish };
}

/** The text an Anthropic Messages stream carried, its error event if any, and whether message_stop came. */
export function anthropicStreamSummary(raw: string): { text: string; error?: any; stopped: boolean; events: string[] } {
  let text = '';
  let error: any;
  let stopped = false;
  const events: string[] = [];
  for (const e of parseSse(raw)) {
    events.push(e.event ?? '');
    const j = JSON.parse(e.data);
    if (e.event === 'error') error = j.error;
    if (e.event === 'message_stop') stopped = true;
    if (e.event === 'content_block_delta' && j.delta?.type === 'text_delta') text += j.delta.text;
  }
  return { text, error, stopped, events };
}

export const MODEL = 'claude-sonnet-5-5';

/** A chat-completions body with one user message. */
export const chatBody = (content: string, extra: Record<string, unknown> = {}) => ({ model: MODEL, messages: [{ role: 'user', content }], ...extra });
/** A messages body with one user message. */
export const messagesBody = (content: string, extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  max_tokens: 1024,
  messages: [{ role: 'user', content }],
  ...extra,
});

export function post(
  proxy: RunningProxy | string,
  path: string,
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  const base = typeof proxy === 'string' ? proxy : proxy.url;
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal,
  });
}

export async function health(proxy: RunningProxy | string, headers: Record<string, string> = {}): Promise<any> {
  const base = typeof proxy === 'string' ? proxy : proxy.url;
  return (await fetch(`${base}/health`, { headers })).json();
}

/** Live (non-zombie) process? */
export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** Warm spares /health reports (a count, or an object with one), 0 when the daemon has none. */
export function spareCount(h: any): number {
  const v = h?.warmSpares ?? h?.spares;
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object') return Number(v.ready ?? v.idle ?? v.count ?? v.available ?? 0) || 0;
  return 0;
}

/** Pid of the CLI process serving a busy session (from /status). */
export async function busySessionPids(proxy: RunningProxy, headers: Record<string, string> = {}): Promise<number[]> {
  const s = await (await fetch(`${proxy.url}/status`, { headers })).json();
  return (s.sessions ?? []).filter((x: any) => x.state !== 'idle' && typeof x.pid === 'number').map((x: any) => x.pid);
}

/**
 * Nothing keeps running for nobody: no request active or queued, and every Claude Code
 * child of the daemon is a live session or a warm spare /health knows about. With
 * `sessions: n`, exactly n live sessions must remain.
 */
export async function expectSettled(
  proxy: RunningProxy,
  opts: { sessions?: number; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<void> {
  const pid = proxy.child.pid!;
  let last = '';
  try {
    await waitFor(
      async () => {
        // (with an API key, /health shows these details only to a caller who presents it)
        const h = await health(proxy, opts.headers);
        const kids = childClaudePids(pid);
        last = JSON.stringify({ requests: h.requests, liveSessions: h.liveSessions, warmSpares: spareCount(h), children: kids });
        if (h.requests.active !== 0 || h.requests.queued !== 0) return false;
        if (opts.sessions !== undefined && h.liveSessions !== opts.sessions) return false;
        return kids.length === h.liveSessions + spareCount(h);
      },
      opts.timeoutMs ?? 10_000,
      100,
    );
  } catch {
    throw new Error(`daemon did not settle (want sessions=${opts.sessions ?? 'as /health says'}): ${last}`);
  }
}

/** After the daemon stopped: none of its children may remain. */
export async function expectNoChildren(pid: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(() => childClaudePids(pid).length === 0, timeoutMs).catch(() => {
    throw new Error(`Claude Code children of ${pid} still running: ${childClaudePids(pid).join(', ')}`);
  });
}

/** A TCP port nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Reads a fetch body until `pred(textSoFar)` holds; returns the text so far and the reader to continue with. */
export async function readUntil(res: Response, pred: (text: string) => boolean, timeoutMs = 20_000): Promise<{ text: string; rest: () => Promise<string> }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  const end = Date.now() + timeoutMs;
  while (!pred(text)) {
    if (Date.now() > end) throw new Error(`stream did not reach the expected point in time; got: ${text.slice(0, 500)}`);
    const r = await reader.read();
    if (r.done) break;
    text += dec.decode(r.value, { stream: true });
  }
  return {
    text,
    rest: async () => {
      let more = '';
      for (;;) {
        const r = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (r.done) break;
        more += dec.decode(r.value, { stream: true });
      }
      return text + more;
    },
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** A raw HTTP request (lets a test set Host, Origin, odd bodies...). */
export function rawRequest(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string | number>; body?: string | Buffer; host?: string },
): Promise<RawResponse> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: opts.headers,
        setHost: opts.headers?.host === undefined && opts.headers?.Host === undefined,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - t0 }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** A slow streamed answer from the mock: `n` distinct words, `delayMs` apart. */
export const slowWords = (n: number, delayMs: number, prefix = 'w') => ({
  blocks: [{ type: 'text' as const, text: Array.from({ length: n }, (_, i) => `${prefix}${i} `) }],
  delayMs,
});

export { sleep };

/** One sample of the daemon's /metrics (0 when the series has no sample yet). */
export async function metric(proxy: RunningProxy, series: string): Promise<number> {
  const text = await (await fetch(`${proxy.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
