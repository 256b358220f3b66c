// Over 400 lines on purpose: one CLI process's life (spawn, turns, watchdog, tool hand-off, failure) shares
// its state; the message translation, settings and errors live in their own modules.

import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Options, type Query, query, type SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import type { Logger } from '../log/logger.js';
import { type CollectOutcome, TurnCollector } from '../turn/collect.js';
import { type PhaseMarks, phaseMarks } from '../turn/phase-marks.js';
import type { ContentBlock, HostedTools, ToolResultBlock, TurnError, TurnEvent, TurnMessage } from '../turn/types.js';
import { Channel } from './channel.js';
import { longRetryWait } from './cli-errors.js';
import { CliTurnTranslator, STRUCTURED_OUTPUT_TOOL, WEB_SEARCH_TOOL } from './cli-turn-translator.js';
import { CLIENT_SERVER, DAEMON_SERVER, fromCliToolName } from './client-tool-names.js';
import type { ClientToolBridge } from './client-tools.js';
import { webSearchHook } from './hosted-search.js';
import type { CliModelInfo } from './models.js';
import { offeredToolHooks } from './offered-tools.js';
import type { ProcessGroups } from './process-group.js';
import { resourceFailure } from './resource-errors.js';
import { SlicedStdin } from './sliced-stdin.js';
import type { ToolHttpHost } from './tool-http-host.js';
import { transcriptPath } from './transcript.js';
import { cliOutputFormat } from './turn-input.js';
import { SettingsApplier, startOptions, type TurnSettings } from './turn-settings.js';
import { upstreamErrorFromTranscript } from './upstream-error.js';
import type { WebFetchTool } from './web-fetch-tool.js';

/** Writes the system prompt where only this user can read it (prompts can be private). */
function systemPromptFile(cwd: string, id: string, text: string): string {
  const dir = path.join(path.dirname(cwd), 'prompts');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${id}.txt`);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/**
 * The MCP config (the client's tools, the daemon's web fetch) in a file only this user can
 * read, named on the command line instead of the config itself: the URLs carry the tool
 * servers' tokens, and a command line is readable by every local user in
 * /proc/<pid>/cmdline (docs/decisions/090). The CLI reads `--mcp-config FILE` at start-up
 * exactly as it reads the inline JSON.
 */
function mcpConfigFile(cwd: string, id: string, urls: Record<string, string>): string {
  const dir = path.join(path.dirname(cwd), 'mcp');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${id}.json`);
  const mcpServers = Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, { type: 'http', url, alwaysLoad: true, timeout: 86_400_000 }]));
  const config = { mcpServers };
  fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

/** A text delta's text in a stream-json stdout line (bench stamps only). */
const TEXT_DELTA = /"type":"text_delta","text":"((?:[^"\\]|\\.)*)"/g;

/** How long a process may take to start before the first turn's watchdog applies (a cold start on 2 busy cores took seconds). */
const STARTUP_ALLOWANCE_MS = 60_000;

export type LiveState = 'starting' | 'idle' | 'busy' | 'waiting_tools' | 'closed';

export interface LiveSessionOptions {
  claudePath: string;
  cwd: string;
  env: Record<string, string>;
  model: string;
  system?: string;
  /** The client's tools (engine loads the module on demand), served over `toolHost`. */
  bridge?: ClientToolBridge;
  /** Loopback HTTP host that serves `bridge` (and `webFetch`) to the CLI from its command line. */
  toolHost?: ToolHttpHost;
  /** The daemon's web fetch, only when the client offered its hosted web_fetch and allowWebFetch is on (decision 095). */
  webFetch?: WebFetchTool;
  /** The client's model settings for the first turn (needed up front when the CLI starts that turn itself). */
  settings?: TurnSettings;
  /** JSON Schema the answer must satisfy (response_format / text.format), enforced by the CLI. */
  outputSchema?: Record<string, unknown>;
  /** The CLI's WebSearch, only when the client offered hosted search (decision 091). */
  hostedTools?: HostedTools;
  /** CLI session to resume (its transcript is on disk), instead of starting empty. */
  resume?: string;
  /**
   * The resumed transcript ends in the client's tool results: the CLI re-runs that
   * interrupted turn by itself at start-up (CLAUDE_CODE_RESUME_INTERRUPTED_TURN),
   * because a stream-json user message cannot carry tool_result blocks (measured: they
   * arrive upstream as "(no content)").
   */
  autoContinue?: boolean;
  /** Inactivity watchdog for a turn, ms. */
  idleTimeoutMs: number;
  /** A CLI retry wait longer than this ends the turn at once with retry-after. */
  maxRetryWaitMs: number;
  groups: ProcessGroups;
  log: Logger;
  /** The process died without being asked to (crash, OOM kill, external SIGKILL). */
  onCrash?: (info: { sessionId: string; pid?: number; code: number | null; signal: string | null; stderr: string[] }) => void;
}

export interface TurnOptions {
  signal?: AbortSignal;
  requestId?: string;
  /** Phase timestamps for the bench (stdin write, first stdout bytes, first text delta line). */
  phases?: PhaseMarks;
}

/** What a finished turn left in the conversation (for the next request's fingerprint) and what it reported. */
export interface TurnOutcome {
  ok: boolean;
  assistant: TurnMessage;
  /** True when the process can no longer serve this conversation. */
  closed: boolean;
  /** The one fold of the turn's events: model, usage, rate limits, stop reason or error. */
  fold: ReturnType<TurnCollector['summary']>;
  /** The same fold as a finished message (or the turn's error), for non-streaming answers and logs. */
  collected: CollectOutcome;
  /** Epoch ms of the first content event, if there was one. */
  firstOutputAt?: number;
}

/**
 * One live Claude Code process holding one conversation. Each turn pushes only the
 * new user content into the process's stream-json input; the CLI keeps the history
 * (and so the upstream prompt cache). One turn at a time.
 */
export class LiveSession {
  readonly id: string;
  state: LiveState = 'starting';
  model: string;
  pid?: number;
  turns = 0;
  lastUsed = Date.now();
  private child?: ChildProcess;
  private readonly input = new Channel<SDKUserMessage>();
  private readonly q: Query;
  private current?: {
    phases?: PhaseMarks;
    tr: CliTurnTranslator;
    out: Channel<TurnEvent>;
    seen: TurnCollector;
    onEnd: (o: TurnOutcome) => void;
    firstOutputAt?: number;
  };
  private readonly closedHandlers: Array<() => void> = [];
  private stderrTail: string[] = [];
  private readonly bridge?: ClientToolBridge;
  /** Client tool calls the open CLI turn is waiting for (state waiting_tools). */
  pendingToolIds: string[] = [];
  private toolsEnabled = true;
  private readonly settings: SettingsApplier;
  private readonly unmounts: Array<() => void> = [];
  private readonly webFetch?: WebFetchTool;
  /** WebSearch calls the hook allowed in the current turn (max_uses). */
  private searchesThisTurn = 0;

  constructor(private readonly opts: LiveSessionOptions) {
    this.id = opts.resume ?? randomUUID();
    this.model = opts.model;
    this.bridge = opts.bridge;
    this.settings = new SettingsApplier(opts.settings ?? {});
    const mcpUrls: Record<string, string> = {};
    const mount = (name: string, source: ClientToolBridge | WebFetchTool | undefined): void => {
      if (!source || !opts.toolHost) return;
      const m = opts.toolHost.mount(source);
      mcpUrls[name] = m.url;
      this.unmounts.push(m.unmount);
    };
    mount(CLIENT_SERVER, this.bridge);
    if (opts.toolHost) this.webFetch = opts.webFetch;
    mount(DAEMON_SERVER, this.webFetch);
    const toolUrl = mcpUrls[CLIENT_SERVER];
    const fetchUrl = mcpUrls[DAEMON_SERVER];
    const webSearch = opts.hostedTools?.webSearch;
    const options: Options = {
      pathToClaudeCodeExecutable: opts.claudePath,
      cwd: opts.cwd,
      env: opts.autoContinue ? { ...opts.env, CLAUDE_CODE_RESUME_INTERRUPTED_TURN: '1' } : opts.env,
      model: opts.model,
      // No built-in tools: only the CLI's StructuredOutput tool when JSON output was asked for,
      // and its WebSearch when the client offered its API's hosted search.
      tools: [...(opts.outputSchema ? [STRUCTURED_OUTPUT_TOOL] : []), ...(webSearch ? [WEB_SEARCH_TOOL] : [])],
      ...(webSearch
        ? {
            hooks: {
              PreToolUse: [
                webSearchHook(
                  webSearch,
                  () => this.searchesThisTurn,
                  () => this.searchesThisTurn++,
                ),
              ],
            },
          }
        : {}),
      ...(opts.outputSchema ? { outputFormat: { type: 'json_schema' as const, schema: cliOutputFormat(opts.outputSchema).schema } } : {}),
      ...startOptions(opts.settings ?? {}),
      systemPrompt: opts.system ?? '',
      settingSources: [],
      strictMcpConfig: true,
      includePartialMessages: true,
      // An auto-continued turn starts before the SDK's initialize request (which carries the
      // system prompt) is applied: give it the prompt on the command line, from a file.
      extraArgs: {
        'disable-slash-commands': null,
        ...(toolUrl || fetchUrl ? { 'mcp-config': mcpConfigFile(opts.cwd, this.id, mcpUrls) } : {}),
        ...(opts.autoContinue ? { 'system-prompt-file': systemPromptFile(opts.cwd, this.id, opts.system ?? '') } : {}),
      },
      // On the command line by file (connected before the first turn: alwaysLoad + MCP_CONNECTION_NONBLOCKING=false);
      // a suspended call waits for the client as long as our own watchdog allows, not the CLI's 5 minutes.
      // The daemon's web fetch only for a session whose client offered it (and allowWebFetch is on).
      ...(toolUrl || fetchUrl || webSearch
        ? {
            allowedTools: [
              ...(toolUrl ? [`mcp__${CLIENT_SERVER}`] : []),
              ...(fetchUrl ? [`mcp__${DAEMON_SERVER}`] : []),
              ...(webSearch ? [WEB_SEARCH_TOOL] : []),
            ],
          }
        : {}),
      mcpServersDelivery: 'argv',
      ...(opts.resume ? { resume: opts.resume } : { sessionId: this.id }),
      spawnClaudeCodeProcess: (o) => {
        const child = opts.groups.spawn({ command: o.command, args: o.args, cwd: o.cwd, env: o.env, signal: o.signal }, (line) => {
          this.stderrTail.push(line);
          if (this.stderrTail.length > 20) this.stderrTail.shift();
          opts.log.debug({ sessionId: this.id, pid: child.pid, stderr: line }, 'claude stderr');
        });
        this.child = child;
        this.pid = child.pid;
        child.once('exit', (code, signal) => {
          opts.log.debug({ sessionId: this.id, pid: child.pid, code, signal }, 'claude exited');
          const crashed = this.state !== 'closed';
          if (crashed)
            opts.log.warn({ sessionId: this.id, pid: child.pid, code, signal, stderr: this.stderrTail.slice(-5) }, 'Claude Code exited unexpectedly');
          this.fail({
            kind: 'upstream',
            message: `Claude Code exited unexpectedly (${signal ?? `code ${code}`})${this.stderrTail.length ? `: ${this.stderrTail.slice(-3).join(' | ')}` : ''}`,
          });
          if (crashed) {
            try {
              opts.onCrash?.({ sessionId: this.id, pid: child.pid, code, signal, stderr: this.stderrTail.slice(-5) });
            } catch (e) {
              opts.log.error({ err: (e as Error).message }, 'crash hook failed');
            }
          }
        });
        // Long message lines reach the pipe piece by piece (see SlicedStdin).
        if (child.stdin) Object.defineProperty(child, 'stdin', { value: new SlicedStdin(child.stdin), configurable: true, writable: true });
        if (phaseMarks()) this.tapForPhases(child);
        return child as never;
      },
    };
    this.q = query({ prompt: this.input, options });
    void this.readLoop();
  }

  /** Bench only (MAXPROXY_PHASE_LOG): when the turn's line went to stdin and its first stdout bytes and text delta came back. */
  private tapForPhases(child: ChildProcess): void {
    const stdin = child.stdin as unknown as { write: (...a: unknown[]) => boolean };
    const write = stdin.write.bind(stdin);
    stdin.write = (...a: unknown[]) => {
      this.current?.phases?.mark('stdinWrite');
      return write(...a);
    };
    child.stdout?.on('data', (d: Buffer) => {
      const p = this.current?.phases;
      if (!p?.at.stdinWrite) return;
      p.mark('stdoutFirst');
      if (!d.includes('"text_delta"')) return;
      p.mark('stdoutTextDelta');
      for (const m of d.toString('utf8').matchAll(TEXT_DELTA)) p.delta('stdout', JSON.parse(`"${m[1]}"`) as string);
    });
  }

  /** The CLI runs this session's first turn by itself (see `autoContinue`). */
  get autoContinues(): boolean {
    return this.opts.autoContinue === true;
  }

  /** tool_choice "none": hide the client's tools from the next upstream request. */
  async setToolsEnabled(on: boolean): Promise<void> {
    if ((!this.bridge && !this.webFetch) || on === this.toolsEnabled) return;
    // A session-scoped deny rule hides the tools from the next request (measured with 2.1.330).
    // Not toggleMcpServer: the CLI persists a toggled-off server in ~/.claude.json for the
    // working directory, and every later process there would start without the client's tools.
    // "none" means no tool at all: the daemon's web fetch is hidden too.
    const servers = [...(this.bridge ? [`mcp__${CLIENT_SERVER}`] : []), ...(this.webFetch ? [`mcp__${DAEMON_SERVER}`] : [])];
    await this.q.applyFlagSettings({ permissions: on ? null : { deny: servers } });
    this.toolsEnabled = on;
  }

  /** Brings the live process to the request's effort, thinking and max tokens (only what changed). */
  async applySettings(next: TurnSettings): Promise<void> {
    await this.settings.apply(this.q, next);
  }

  /** The CLI's own model list (from its initialize response; nothing goes upstream). */
  async supportedModels(): Promise<CliModelInfo[]> {
    return (await this.q.supportedModels()) as CliModelInfo[];
  }

  onClosed(fn: () => void): void {
    this.closedHandlers.push(fn);
  }

  async setModel(model: string): Promise<void> {
    if (model === this.model) return;
    await this.q.setModel(model);
    this.model = model;
  }

  /**
   * Sends one user turn and streams its events. `done` resolves with what the turn
   * added to the conversation once the CLI's result arrives (or the turn failed).
   */
  runTurn(content: ContentBlock[], topts: TurnOptions = {}): { events: AsyncIterable<TurnEvent>; done: Promise<TurnOutcome> } {
    if (this.state === 'closed') throw new Error('session is closed');
    if (this.state === 'busy') throw new Error('session is busy');
    const continuing = this.state === 'waiting_tools';
    this.state = 'busy';
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.turns++;
    if (!continuing) {
      // Hosted tools' max_uses count per CLI turn: a request that only brings client tool results continues it and keeps the count.
      this.searchesThisTurn = 0;
      this.webFetch?.beginTurn();
    }
    this.lastUsed = Date.now();
    const out = new Channel<TurnEvent>();
    let resolveDone!: (o: TurnOutcome) => void;
    const done = new Promise<TurnOutcome>((r) => (resolveDone = r));
    this.current = {
      phases: topts.phases,
      tr: new CliTurnTranslator(this.id, {
        ...offeredToolHooks(this.toolsEnabled ? this.bridge?.names : undefined, (tool) =>
          this.opts.log.warn({ sessionId: this.id, pid: this.pid, requestId: topts.requestId, tool }, 'dropped a tool call the client did not offer'),
        ),
        structuredOutput: this.opts.outputSchema !== undefined,
        hostedSearch: this.opts.hostedTools?.webSearch !== undefined,
        ...(this.webFetch ? { hostedFetch: this.webFetch } : {}),
        ...(this.opts.outputSchema ? { structuredOutputKey: cliOutputFormat(this.opts.outputSchema).key } : {}),
        model: this.model,
        upstreamErrorMessage: (uuid) => upstreamErrorFromTranscript(transcriptPath(this.opts.env, this.opts.cwd, this.id), uuid),
      }),
      out,
      seen: new TurnCollector(),
      onEnd: resolveDone,
    };
    this.armWatchdog();
    const onAbort = () => {
      // The client left: nothing may keep running for it, and this process's history now
      // holds an answer the client never saw, so the process cannot serve it again.
      this.opts.log.info({ sessionId: this.id, pid: this.pid, requestId: topts.requestId }, 'client disconnected; stopping its turn');
      this.close();
    };
    if (topts.signal?.aborted) queueMicrotask(onAbort);
    else topts.signal?.addEventListener('abort', onAbort, { once: true });
    void done.then(() => topts.signal?.removeEventListener('abort', onAbort));
    if (this.opts.autoContinue && this.turns === 1) {
      // The CLI is already running this turn from the transcript; nothing to send.
    } else if (continuing && this.bridge) {
      // The CLI turn is still open inside the tool handlers: answer them, it goes on by itself.
      const results = content.filter((b): b is ToolResultBlock => b.type === 'tool_result');
      const texts = content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text);
      const expected = this.pendingToolIds;
      this.pendingToolIds = [];
      this.bridge.deliver(results, texts, expected);
    } else {
      this.input.push({ type: 'user', message: { role: 'user', content: content as never }, parent_tool_use_id: null, session_id: this.id } as SDKUserMessage);
    }
    return { events: out, done };
  }

  close(): void {
    if (this.state === 'closed') return;
    this.fail({ kind: 'upstream', message: 'the Claude Code process was stopped' });
  }

  private watchdog?: NodeJS.Timeout;
  private waitTimer?: NodeJS.Timeout;
  /** The CLI has reported system/init: start-up is over. */
  private initialised = false;

  private armWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    if (this.state !== 'busy') return;
    // The watchdog judges the upstream's silence, not the CLI's start-up: until the process
    // has initialised (seconds on a busy machine) it gets a start-up allowance instead.
    const starting = !this.initialised;
    const ms = starting ? Math.max(this.opts.idleTimeoutMs, STARTUP_ALLOWANCE_MS) : this.opts.idleTimeoutMs;
    this.watchdog = setTimeout(() => {
      const secs = Math.round(ms / 1000);
      this.opts.log.warn({ sessionId: this.id, pid: this.pid, idleTimeoutMs: ms, starting }, 'turn inactive; stopping Claude Code');
      this.fail({
        kind: 'timeout',
        code: 'inactivity_timeout',
        message: starting
          ? `Claude Code did not start within ${secs} s; the turn was stopped`
          : `Claude Code produced no output for ${secs} s; the turn was stopped (--idle-timeout-ms)`,
      });
    }, ms);
    this.watchdog.unref();
  }

  private async readLoop(): Promise<void> {
    try {
      for await (const msg of this.q) {
        const init = msg.type === 'system' && msg.subtype === 'init' ? msg : undefined;
        if (init) this.initialised = true;
        if (init && this.state === 'starting') this.state = 'idle';
        if (init && this.opts.autoContinue && this.bridge && this.turns === 1) {
          if (!init.tools.some((t) => fromCliToolName(t) !== undefined)) {
            // The CLI began the resumed turn before the client's tools were registered: stop it
            // before it asks upstream without them (the engine starts it again).
            this.fail({ kind: 'unavailable', code: 'tools_not_ready', message: 'the client tools were not registered in time for the resumed turn' });
            continue;
          }
        }
        const cur = this.current;
        if (!cur) continue;
        this.armWatchdog();
        const events = cur.tr.push(msg);
        for (const ev of events) this.record(cur, ev);
        const tooLong = msg.type === 'system' && msg.subtype === 'api_retry' ? longRetryWait(msg, this.opts.maxRetryWaitMs) : undefined;
        if (tooLong) {
          this.fail(tooLong);
          return;
        }
        if (cur.tr.done) this.finishTurn(cur);
      }
    } catch (e) {
      this.fail(resourceFailure(e)?.error ?? { kind: 'upstream', message: `Claude Code failed: ${(e as Error).message}` });
      return;
    }
    this.fail({ kind: 'upstream', message: 'Claude Code ended the conversation unexpectedly' });
  }

  /** Forwards an event and keeps what the client will see, to fingerprint the conversation after the turn. */
  private record(cur: NonNullable<LiveSession['current']>, ev: TurnEvent): void {
    if (cur.firstOutputAt === undefined && ev.type === 'block_start') cur.firstOutputAt = Date.now();
    cur.seen.push(ev);
    cur.out.push(ev);
  }

  private assistantOf(cur: NonNullable<LiveSession['current']>): TurnMessage {
    return { role: 'assistant', content: cur.seen.content() };
  }

  private finishTurn(cur: NonNullable<LiveSession['current']>): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.current = undefined;
    cur.out.end();
    this.lastUsed = Date.now();
    if (cur.tr.suspended) {
      this.state = 'waiting_tools';
      this.pendingToolIds = cur.tr.pendingToolIds;
      // A client that never comes back with results must not keep a process alive.
      this.waitTimer = setTimeout(() => {
        this.opts.log.info({ sessionId: this.id, pid: this.pid, pending: this.pendingToolIds }, 'client never returned tool results; ending the session');
        this.close();
      }, this.opts.idleTimeoutMs);
      this.waitTimer.unref();
    } else {
      this.state = 'idle';
    }
    // A failed turn leaves a synthetic error message in the CLI's history: don't reuse it.
    const ok = !cur.tr.failed;
    cur.onEnd({
      ok,
      assistant: this.assistantOf(cur),
      closed: false,
      fold: cur.seen.summary(),
      collected: cur.seen.outcome(),
      firstOutputAt: cur.firstOutputAt,
    });
  }

  private fail(err: TurnError): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.bridge?.abortAll();
    const cur = this.current;
    this.current = undefined;
    if (cur) {
      cur.out.push({ type: 'error', error: err });
      cur.seen.push({ type: 'error', error: err });
      cur.out.end();
      cur.onEnd({
        ok: false,
        assistant: this.assistantOf(cur),
        closed: true,
        fold: cur.seen.summary(),
        collected: cur.seen.outcome(),
        firstOutputAt: cur.firstOutputAt,
      });
    }
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const unmount of this.unmounts) unmount();
    if (this.unmounts.length) fs.rm(path.join(path.dirname(this.opts.cwd), 'mcp', `${this.id}.json`), { force: true }, () => undefined);
    if (this.opts.autoContinue) fs.rm(path.join(path.dirname(this.opts.cwd), 'prompts', `${this.id}.txt`), { force: true }, () => undefined);
    this.input.end();
    try {
      this.q.close();
    } catch {
      /* already closed */
    }
    if (this.child) void this.opts.groups.stop(this.child, 2000);
    for (const fn of this.closedHandlers) fn();
  }
}
