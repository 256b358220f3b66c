/** The bench's clients: a streaming Chat Completions client and the Claude Code CLI driven directly. */
import { type ChildProcess, spawn } from 'node:child_process';
import type { MockUpstream } from '../test/mock-upstream.js';

import { ms, now, type TurnTiming } from './stats.js';

export const SYSTEM = 'You are a helpful assistant.';

// ---------------------------------------------------------------- clients

/**
 * The model ids clients send: BENCH_MODEL, else the newest 5.x id of `/v1/models` once the
 * bench has read it (`pickModel`); MODEL_OLD is an older id still served, for comparison.
 */
export let MODEL = process.env.BENCH_MODEL ?? 'claude-sonnet-4-6';
export const MODEL_OLD = 'claude-sonnet-4-6';

/** Picks a current model the way a client does: the first `claude-*-5-*` id the daemon lists. */
export async function pickModel(port: number): Promise<string> {
  if (process.env.BENCH_MODEL) return MODEL;
  const list = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as { data: Array<{ id: string }> };
  const five = list.data.map((m) => m.id).find((id) => /^claude-[a-z]+-5-/.test(id));
  if (five) MODEL = five;
  return MODEL;
}

/**
 * One streaming chat completion as the SDKs send it: Node's fetch (undici, keep-alive
 * connection reused across turns). TTFT = request start → first chunk carrying content;
 * each content delta is reported with its arrival time.
 */
export async function streamChat(port: number, messages: unknown[], onDelta?: (text: string, at: bigint) => void, model = MODEL): Promise<TurnTiming> {
  const body = JSON.stringify({ model, stream: true, messages });
  const t0 = now();
  const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let first: bigint | undefined;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const at = now();
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, i);
      buf = buf.slice(i + 2);
      for (const line of ev.split('\n')) {
        if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
        const j = JSON.parse(line.slice(6));
        if (j.error) throw new Error(j.error.message);
        const c: string | undefined = j.choices?.[0]?.delta?.content;
        if (c) {
          first ??= at;
          text += c;
          onDelta?.(c, at);
        }
      }
    }
  }
  const end = now();
  if (first === undefined) throw new Error('stream ended without content');
  return { ttftMs: ms(first - t0), totalMs: ms(end - t0), text, sentAt: t0 };
}

/** The daemon child's environment, for running the same CLI directly. */
export function directEnv(upstream: MockUpstream, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    ANTHROPIC_BASE_URL: upstream.url,
    ANTHROPIC_API_KEY: 'sk-test',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_MAX_RETRIES: '2',
    ENABLE_TOOL_SEARCH: 'false',
  };
}

/** The plain-chat flags maxproxy's child runs with (no tools, the client's system prompt, no settings). */
export const PLAIN_CHAT_FLAGS = ['--tools', '', '--setting-sources', '', '--strict-mcp-config', '--disable-slash-commands'];

/** `claude -p` once: TTFT = spawn → first text delta on stdout, total = spawn → result line. */
export function directOneShot(
  bin: string,
  env: Record<string, string>,
  cwd: string,
  prompt: string,
  extraArgs: string[],
): Promise<TurnTiming & { exitMs: number }> {
  const t0 = now();
  const child: ChildProcess = spawn(
    bin,
    ['-p', prompt, '--output-format', 'stream-json', '--verbose', '--include-partial-messages', '--model', MODEL, ...extraArgs],
    { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let buf = '';
    let first: bigint | undefined;
    let resultAt: bigint | undefined;
    let text = '';
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      const at = now();
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        const m = JSON.parse(line);
        if (m.type === 'stream_event' && m.event?.type === 'content_block_delta' && m.event.delta?.type === 'text_delta') {
          first ??= at;
          text += m.event.delta.text;
        } else if (m.type === 'result') resultAt ??= at;
      }
    });
    child.once('exit', (code) => {
      const end = now();
      if (first === undefined || resultAt === undefined) return reject(new Error(`claude -p exited ${code} without an answer: ${stderr.slice(-500)}`));
      resolve({ ttftMs: ms(first - t0), totalMs: ms(resultAt - t0), exitMs: ms(end - t0), text });
    });
  });
}

/**
 * The CLI as a persistent stream-json process driven directly (what maxproxy's live
 * sessions and warm spares are, minus maxproxy): the reference for warm first turns
 * and continuation turns.
 */
export class DirectSession {
  private readonly child: ChildProcess;
  private buf = '';
  private waiter?: (m: any, at: bigint) => void;

  constructor(bin: string, env: Record<string, string>, cwd: string, extraArgs: string[]) {
    this.child = spawn(
      bin,
      ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages', '--model', MODEL, ...extraArgs],
      { env, cwd, stdio: ['pipe', 'pipe', 'ignore'] },
    );
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const at = now();
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (line.trim()) this.waiter?.(JSON.parse(line), at);
      }
    });
  }

  private send(obj: unknown): bigint {
    const t = now();
    this.child.stdin!.write(`${JSON.stringify(obj)}\n`);
    return t;
  }

  /** Pays the start-up in advance, as the Agent SDK does. */
  initialize(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = (m) => {
        if (m.type === 'control_response') resolve();
      };
      this.send({ type: 'control_request', request_id: 'init', request: { subtype: 'initialize' } });
    });
  }

  turn(text: string): Promise<TurnTiming> {
    return new Promise((resolve, reject) => {
      let first: bigint | undefined;
      let out = '';
      const t0 = this.send({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '' });
      this.waiter = (m, at) => {
        if (m.type === 'stream_event' && m.event?.type === 'content_block_delta' && m.event.delta?.type === 'text_delta') {
          first ??= at;
          out += m.event.delta.text;
        } else if (m.type === 'result') {
          this.waiter = undefined;
          if (first === undefined) reject(new Error(`direct session: no text (${JSON.stringify(m).slice(0, 300)})`));
          else resolve({ ttftMs: ms(first - t0), totalMs: ms(at - t0), text: out });
        }
      };
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}
