/** The bench's clients: a streaming Chat Completions client and the Claude Code CLI driven directly. */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type { MockUpstream } from '../test/mock-upstream.js';

import { ms, now, type TurnTiming } from './stats.js';

export const MODEL = 'claude-sonnet-4-5';
export const SYSTEM = 'You are a helpful assistant.';

// ---------------------------------------------------------------- clients

/**
 * One streaming chat completion over a fresh connection. TTFT = request start → first
 * chunk carrying content; each content delta is reported with its arrival time.
 */
export function streamChat(port: number, messages: unknown[], onDelta?: (text: string, at: bigint) => void): Promise<TurnTiming> {
  const body = JSON.stringify({ model: MODEL, stream: true, messages });
  const t0 = now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) {
          let err = '';
          res.on('data', (d) => (err += d));
          res.on('end', () => reject(new Error(`HTTP ${res.statusCode}: ${err}`)));
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        let first: bigint | undefined;
        let text = '';
        res.on('data', (chunk: string) => {
          const at = now();
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const ev = buf.slice(0, i);
            buf = buf.slice(i + 2);
            for (const line of ev.split('\n')) {
              if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
              const j = JSON.parse(line.slice(6));
              if (j.error) return reject(new Error(j.error.message));
              const c: string | undefined = j.choices?.[0]?.delta?.content;
              if (c) {
                first ??= at;
                text += c;
                onDelta?.(c, at);
              }
            }
          }
        });
        res.on('end', () => {
          const end = now();
          if (first === undefined) return reject(new Error('stream ended without content'));
          resolve({ ttftMs: ms(first - t0), totalMs: ms(end - t0), text, sentAt: t0 });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
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
