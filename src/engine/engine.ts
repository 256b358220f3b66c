import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { clientName } from '../status/client-name.js';
import type { StatusStore } from '../status/store.js';
import { rejoin } from '../turn/rejoin.js';
import type { ContentBlock, TurnEvent, TurnMessage, TurnRequest } from '../turn/types.js';
import { invalid, TurnFailure } from '../turn/types.js';
import { buildChildEnv } from './child-env.js';
import { CliModelLoader, fetchCliModels } from './cli-models.js';
import { toCliToolName } from './client-tool-names.js';
import { fingerprint, normalizeToolId, shapeKey } from './fingerprint.js';
import { Limiter } from './limiter.js';
import { LiveSession } from './live-session.js';
import { type ModelInfo, ModelRegistry } from './models.js';
import { ProcessGroups } from './process-group.js';
import { SessionMap } from './session-map.js';
import { countTokens } from './token-counter.js';
import { ToolHttpHost } from './tool-http-host.js';
import { writeTranscript } from './transcript.js';
import { settingsOf, type TurnSettings, unsupportedSettings } from './turn-settings.js';

export interface EngineOptions {
  dataDir: string;
  claudePath: string;
  claudeVersion: string;
  claudeEnv: Record<string, string>;
  cliMaxRetries: number;
  maxRetryWaitMs: number;
  idleTimeoutMs: number;
  maxConcurrent: number;
  maxQueue: number;
  maxLiveSessions: number;
  sessionIdleMs: number;
  /** Pre-started CLI processes kept for new conversations (0 = none). */
  warmSpares: number;
  models: Record<string, string>;
  status: StatusStore;
  log: Logger;
  /** Parent environment the child's is derived from (tests pass their own). */
  parentEnv?: NodeJS.ProcessEnv;
  /** A CLI process died unexpectedly (for metrics and a notification). */
  onCliCrash?: (info: { sessionId: string; pid?: number; code: number | null; signal: string | null; stderr: string[] }) => void;
}

export interface RunContext {
  requestId: string;
  signal?: AbortSignal;
}

/** A live session plus what the engine needs to recognise its conversation. */
interface Slot {
  session: LiveSession;
  shape: string;
  /** Fingerprint of the conversation the process holds, after its last answer. */
  fp?: string;
  client: string;
  explicitId?: string;
  inputTokens: number;
  outputTokens: number;
}

/** How a request found its session, for logs and tests. */
export type Continuity = 'live' | 'resumed' | 'rebuilt' | 'new' | 'warm';

type SpawnOptions = {
  model: string;
  system?: string;
  tools: TurnRequest['tools'];
  outputSchema?: Record<string, unknown>;
  resume?: string;
  autoContinue?: boolean;
  settings?: TurnSettings;
};

/**
 * The only code that knows Claude Code: it maps each canonical request onto a live
 * CLI session (continuing, resuming or rebuilding the conversation), runs the turn
 * under the concurrency cap, and reports everything to the status store.
 */
export class Engine {
  readonly models: ModelRegistry;
  readonly limiter: Limiter;
  readonly groups: ProcessGroups;
  private readonly slots = new Set<Slot>();
  private readonly map: SessionMap;
  private readonly cwd: string;
  private readonly childEnv: Record<string, string>;
  private sweeper: NodeJS.Timeout;

  constructor(private readonly opts: EngineOptions) {
    this.models = new ModelRegistry(opts.models);
    this.cwd = path.join(opts.dataDir, 'workdir');
    fs.mkdirSync(this.cwd, { recursive: true });
    this.groups = new ProcessGroups(path.join(opts.dataDir, 'pids'));
    const reaped = this.groups.reapOrphans();
    if (reaped.length) opts.log.warn({ pids: reaped }, 'reaped Claude Code processes left by an earlier run');
    this.map = new SessionMap(path.join(opts.dataDir, 'sessions.json'));
    this.childEnv = buildChildEnv(opts.parentEnv ?? process.env, { explicit: opts.claudeEnv, maxRetries: opts.cliMaxRetries });
    this.limiter = new Limiter(opts.maxConcurrent, opts.maxQueue, () => {
      opts.status.setRequests({ active: this.limiter.running, queued: this.limiter.queued, oldestQueuedMs: this.limiter.oldestWaitMs });
      if (this.limiter.queued >= opts.maxQueue && opts.maxQueue > 0)
        opts.status.setWarning({
          id: 'queue-full',
          level: 'warning',
          message: `Queue full: ${this.limiter.running} running, ${this.limiter.queued} waiting; new requests get 503`,
        });
      else opts.status.clearWarning('queue-full');
    });
    this.sweeper = setInterval(() => this.evictIdle(), Math.min(30_000, opts.sessionIdleMs)).unref();
    const fresh = () => fetchCliModels({ claudePath: opts.claudePath, cwd: this.cwd, env: this.childEnv, groups: this.groups, timeoutMs: 60_000 });
    this.modelLoader = new CliModelLoader(this.models, fresh, opts.log);
  }

  private readonly modelLoader: CliModelLoader;

  /** The CLI's own model list, read once on first need (cli-models.ts); waits at most `maxWaitMs`. */
  ensureModels(maxWaitMs?: number): Promise<void> {
    const live = () =>
      [...this.slots]
        .map((s) => s.session)
        .find((s) => s.state !== 'closed')
        ?.supportedModels();
    const loading = this.modelLoader.ensure(live);
    if (maxWaitMs === undefined) return loading;
    return Promise.race([loading, new Promise<void>((r) => setTimeout(r, maxWaitMs).unref())]);
  }

  /** The environment the CLI runs with (secrets included: never log it). */
  get env(): Record<string, string> {
    return this.childEnv;
  }

  get workdir(): string {
    return this.cwd;
  }

  resolveModel(name: unknown): ModelInfo {
    return this.models.resolve(name);
  }

  /**
   * Runs one request. Errors before the first event are thrown as TurnFailure (so the
   * server can still answer with a proper status); later ones arrive as error events.
   */
  async run(
    req: TurnRequest,
    ctx: RunContext,
  ): Promise<{ events: AsyncIterable<TurnEvent>; sessionId: string; continuity: Continuity; pid?: number; ignored: string[] }> {
    const model = this.models.resolve(req.model);
    const settings = settingsOf(req);
    const ignored = unsupportedSettings(req, this.models.capabilitiesOf(model.cliModel));
    const { history, input } = splitTurn(req.messages);
    const outputSchema = outputSchemaOf(req);
    const shape = shapeKey(req.system, req.tools, outputSchema);
    const fpHistory = fingerprint(shape, history);
    // The MCP server behind client tools is loaded the first time a request brings tools.
    if (req.tools.length && !this.toolsModule) this.toolsModule = await import('./client-tools.js');
    if (req.tools.length && !this.toolHost) this.toolHost = await (this.toolHostStarting ??= ToolHttpHost.start(this.opts.log));
    const release = await this.limiter.acquire(ctx.signal);
    let released = false;
    const releaseOnce = () => {
      if (!released) {
        released = true;
        release();
      }
    };
    try {
      for (let attempt = 1; ; attempt++) {
        const { slot, continuity } = this.findOrStart(req, model, shape, history, input, fpHistory, outputSchema);
        void this.ensureModels();
        if (slot.session.state !== 'waiting_tools') {
          try {
            await slot.session.setModel(model.cliModel);
          } catch (e) {
            // The CLI refuses a model it cannot use: that is the client's model name, not our failure.
            throw new TurnFailure({
              kind: 'not_found',
              code: 'model_not_found',
              param: 'model',
              message: `Claude Code cannot switch this conversation to '${req.model}': ${(e as Error).message}`,
            });
          }
          await slot.session.setToolsEnabled(req.toolChoice?.type !== 'none');
          await slot.session.applySettings(settings);
        }
        const { events, done } = slot.session.runTurn(withToolChoice(input, req), { signal: ctx.signal, requestId: ctx.requestId });
        let stream: AsyncIterable<TurnEvent> = events;
        if (slot.session.autoContinues) {
          // A turn the CLI starts by itself can race the SDK's registration of the client's
          // tools (measured: ~1 in 6 under load). The session refuses such a start; try again.
          const it = events[Symbol.asyncIterator]();
          const first = await it.next();
          if (!first.done && first.value.type === 'error' && first.value.error.code === 'tools_not_ready' && attempt < 3) {
            this.opts.log.info({ requestId: ctx.requestId, attempt }, 'client tools were not ready for the resumed turn; starting it again');
            continue;
          }
          stream = rejoin(first.done ? [] : [first.value], undefined, it);
        }
        this.publish(slot, 'busy');
        this.opts.log.debug({ requestId: ctx.requestId, sessionId: slot.session.id, pid: slot.session.pid, continuity }, 'turn started');
        void done.then((outcome) => {
          releaseOnce();
          if (outcome.ok) {
            const prev = slot.fp;
            slot.fp = fingerprint(shape, [...history, { role: 'user', content: input }, outcome.assistant]);
            this.map.put(
              {
                fingerprint: slot.fp,
                cliSessionId: slot.session.id,
                model: model.id,
                client: slot.client,
                explicitId: slot.explicitId,
                turns: slot.session.turns,
                inputTokens: slot.inputTokens,
                outputTokens: slot.outputTokens,
                updatedAt: Date.now(),
              },
              prev,
            );
            this.publish(slot, slot.session.state === 'waiting_tools' ? 'waiting_tools' : 'idle');
            this.evictOverflow();
          } else if (!outcome.closed) {
            // The CLI history now ends in an error the client never accepted: retire the process.
            slot.session.close();
          }
        });
        const tracked = this.track(slot, stream);
        return { events: tracked, sessionId: slot.session.id, continuity, pid: slot.session.pid, ignored };
      }
    } catch (e) {
      releaseOnce();
      throw e;
    }
  }

  /** Input tokens of a request, counted by Claude Code through upstream's token-count API. */
  async countTokens(req: TurnRequest, ctx: RunContext): Promise<number> {
    const model = this.models.resolve(req.model);
    const release = await this.limiter.acquire(ctx.signal);
    try {
      return await countTokens(req, {
        claudePath: this.opts.claudePath,
        claudeVersion: this.opts.claudeVersion,
        cwd: this.cwd,
        env: this.childEnv,
        model: model.cliModel,
        groups: this.groups,
        timeoutMs: Math.min(this.opts.idleTimeoutMs, 60_000),
      });
    } catch (e) {
      if (e instanceof TurnFailure) throw e;
      throw new TurnFailure({ kind: 'upstream', message: `Claude Code could not count tokens: ${(e as Error).message}` });
    } finally {
      release();
    }
  }

  /** Counts tokens and rate limits as they pass, for status and the tray. */
  private async *track(slot: Slot, events: AsyncIterable<TurnEvent>): AsyncIterable<TurnEvent> {
    for await (const ev of events) {
      if (ev.type === 'stop') {
        const u = ev.usage;
        slot.inputTokens += u.inputTokens + u.cacheReadInputTokens + u.cacheCreationInputTokens;
        slot.outputTokens += u.outputTokens;
        this.opts.status.addTokens(u.inputTokens + u.cacheReadInputTokens + u.cacheCreationInputTokens + u.outputTokens);
        this.opts.status.setClaude({ login: 'logged_in' });
        this.opts.status.clearWarning('upstream-retry');
      } else if (ev.type === 'keepalive') {
        // The CLI is retrying upstream: visible in the tray and /health until a turn succeeds.
        this.opts.status.setWarning({ id: 'upstream-retry', level: 'warning', message: `Anthropic API trouble: ${ev.reason}` });
      } else if (ev.type === 'rate_limit') {
        this.opts.status.recordRateLimit(ev.info);
      } else if (ev.type === 'error' && ev.error.code === 'not_logged_in') {
        this.opts.status.setClaude({ login: 'not_logged_in' });
      }
      yield ev;
    }
  }

  private findOrStart(
    req: TurnRequest,
    model: ModelInfo,
    shape: string,
    history: TurnMessage[],
    input: ContentBlock[],
    fpHistory: string,
    outputSchema: Record<string, unknown> | undefined,
  ): { slot: Slot; continuity: Continuity } {
    const client = clientName(req.conversation.userAgent);
    const explicitId = req.conversation.explicitId;
    const bringsResults = input.some((b) => b.type === 'tool_result');
    if (history.length > 0) {
      const matching = [...this.slots].filter((s) => s.fp === fpHistory && s.shape === shape);
      // A process suspended in tool calls can only go on with their results; one that is idle, with anything.
      const usable = matching.filter((s) => (s.session.state === 'waiting_tools' ? bringsResults : s.session.state === 'idle'));
      const live = usable.find((s) => s.explicitId === explicitId) ?? usable[0];
      if (live) return { slot: live, continuity: 'live' };
      // Some clients re-send a tool-call turn without its text (content:null): the results
      // themselves still name the calls a waiting process is suspended in.
      if (bringsResults) {
        const ids = new Set(input.filter((b) => b.type === 'tool_result').map((b) => normalizeToolId((b as { tool_use_id: string }).tool_use_id)));
        const byIds = [...this.slots].find(
          (s) =>
            s.shape === shape &&
            s.session.state === 'waiting_tools' &&
            s.session.pendingToolIds.length === ids.size &&
            s.session.pendingToolIds.every((id) => ids.has(normalizeToolId(id))),
        );
        if (byIds) return { slot: byIds, continuity: 'live' };
      }
      // The client moved on without answering the calls: that process cannot serve it any more.
      for (const s of matching) if (s.session.state === 'waiting_tools') s.session.close();
    }
    let resume: string | undefined;
    let continuity: Continuity = 'new';
    let autoContinue = false;
    if (bringsResults) {
      // Tool results can only enter a new process through its transcript (see LiveSession.autoContinue).
      resume = writeTranscript([...history, { role: 'user', content: input }], this.childEnv, {
        cwd: this.cwd,
        version: this.opts.claudeVersion,
        model: model.cliModel,
        toolName: toCliToolName,
      });
      continuity = 'rebuilt';
      autoContinue = true;
      this.opts.log.info({ messages: history.length + 1 }, 'rebuilding a tool-call conversation for a new Claude Code session');
    } else if (history.length > 0) {
      const rec = this.map.get(fpHistory);
      const busy = rec && [...this.slots].some((s) => s.session.id === rec.cliSessionId && s.session.state !== 'closed');
      if (rec && !busy) {
        resume = rec.cliSessionId;
        continuity = 'resumed';
        // The map entry moves with the session: a second resume of the same point would fork it.
        this.map.delete(fpHistory);
      } else {
        resume = writeTranscript(history, this.childEnv, { cwd: this.cwd, version: this.opts.claudeVersion, model: model.cliModel, toolName: toCliToolName });
        continuity = 'rebuilt';
        this.opts.log.info({ messages: history.length }, 'rebuilding conversation history for a new Claude Code session');
      }
    }
    const spawnOpts = { model: model.cliModel, system: req.system, tools: req.tools, outputSchema };
    let session: LiveSession | undefined;
    if (continuity === 'new') {
      // Spares are per shape and model: switching a parked process's model can fail for names it does not know.
      const spareKey = `${shape}|${model.cliModel}`;
      session = this.takeSpare(spareKey);
      if (session) continuity = 'warm';
      // The next conversation of this shape starts warm too.
      this.replenish(spareKey, spawnOpts);
    }
    session ??= this.spawn({ ...spawnOpts, resume, autoContinue, settings: settingsOf(req) });
    const slot: Slot = {
      session,
      shape,
      fp: continuity === 'new' || continuity === 'warm' ? undefined : fpHistory,
      client,
      explicitId,
      inputTokens: 0,
      outputTokens: 0,
    };
    this.slots.add(slot);
    session.onClosed(() => {
      this.slots.delete(slot);
      this.opts.status.removeSession(session.id);
    });
    return { slot, continuity };
  }

  private spawn(o: SpawnOptions): LiveSession {
    const { tools, ...rest } = o;
    return new LiveSession({
      claudePath: this.opts.claudePath,
      cwd: this.cwd,
      env: this.childEnv,
      ...rest,
      bridge: tools.length && this.toolsModule ? new this.toolsModule.ClientToolBridge(tools) : undefined,
      toolHost: this.toolHost,
      idleTimeoutMs: this.opts.idleTimeoutMs,
      maxRetryWaitMs: this.opts.maxRetryWaitMs,
      groups: this.groups,
      log: this.opts.log,
      onCrash: this.opts.onCliCrash,
    });
  }

  /**
   * Warm spares: a started, initialised CLI process per recently seen request shape
   * (system prompt + tools + output schema; the model is switched at claim time), so
   * a new conversation skips the CLI's start-up. Bounded by `warmSpares` in total.
   */
  private readonly spares = new Map<string, LiveSession>();
  private toolsModule?: typeof import('./client-tools.js');
  private toolHost?: ToolHttpHost;
  private toolHostStarting?: Promise<ToolHttpHost>;

  private takeSpare(shape: string): LiveSession | undefined {
    const s = this.spares.get(shape);
    this.spares.delete(shape);
    if (s && (s.state === 'idle' || s.state === 'starting')) return s;
    s?.close();
    return undefined;
  }

  private replenish(shape: string, o: SpawnOptions): void {
    if (this.opts.warmSpares <= 0 || this.closing || this.spares.has(shape)) return;
    while (this.spares.size >= this.opts.warmSpares) {
      const [oldest, spare] = this.spares.entries().next().value as [string, LiveSession];
      this.spares.delete(oldest);
      spare.close();
    }
    const spare = this.spawn(o);
    this.spares.set(shape, spare);
    spare.onClosed(() => {
      if (this.spares.get(shape) === spare) this.spares.delete(shape);
    });
  }

  get spareCount(): number {
    return this.spares.size;
  }

  private publish(slot: Slot, state: 'idle' | 'busy' | 'waiting_tools'): void {
    this.opts.status.upsertSession({
      id: slot.session.id,
      client: slot.client,
      model: slot.session.model,
      turns: slot.session.turns,
      inputTokens: slot.inputTokens,
      outputTokens: slot.outputTokens,
      lastActivity: Date.now(),
      state,
      pid: slot.session.pid,
    });
  }

  /** Idle processes beyond the cap go, least recently used first. */
  private evictOverflow(): void {
    const idle = [...this.slots].filter((s) => s.session.state === 'idle').sort((a, b) => a.session.lastUsed - b.session.lastUsed);
    let excess = this.slots.size - this.opts.maxLiveSessions;
    for (const s of idle) {
      if (excess <= 0) break;
      this.opts.log.debug({ sessionId: s.session.id, pid: s.session.pid }, 'evicting idle session (cap)');
      s.session.close();
      excess--;
    }
  }

  private evictIdle(): void {
    const now = Date.now();
    for (const [shape, spare] of [...this.spares]) {
      if (now - spare.lastUsed > this.opts.sessionIdleMs) {
        this.spares.delete(shape);
        spare.close();
      }
    }
    for (const s of [...this.slots]) {
      if (s.session.state === 'idle' && now - s.session.lastUsed > this.opts.sessionIdleMs) {
        this.opts.log.debug({ sessionId: s.session.id, pid: s.session.pid }, 'evicting idle session (idle time)');
        s.session.close();
      }
    }
  }

  /** Ends one session by id (tray "End session"). */
  endSession(id: string): boolean {
    for (const s of this.slots) {
      if (s.session.id === id) {
        s.session.close();
        return true;
      }
    }
    return false;
  }

  get liveSessions(): number {
    return this.slots.size;
  }

  private closing = false;

  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    for (const s of this.spares.values()) s.close();
    this.spares.clear();
    await this.map.flushed();
    this.map.save();
    for (const s of [...this.slots]) s.session.close();
    await this.groups.stopAll(graceMs);
    await this.toolHost?.close();
  }
}

/** JSON output requested by the client, as the schema the CLI must enforce. */
export function outputSchemaOf(req: TurnRequest): Record<string, unknown> | undefined {
  const f = req.responseFormat;
  if (!f || f.type === 'text') return undefined;
  return f.type === 'json_schema' ? f.schema : { type: 'object' };
}

/**
 * The CLI has no per-turn tool_choice (DESIGN.md §3): "required", a named tool and
 * parallel_tool_calls:false become an explicit instruction in the user turn — the
 * closest the CLI allows, and documented as not guaranteed (docs/tool-calling.md).
 */
export function withToolChoice(input: ContentBlock[], req: TurnRequest): ContentBlock[] {
  if (req.tools.length === 0) return input;
  const notes: string[] = [];
  const tc = req.toolChoice;
  if (tc?.type === 'any') notes.push('You must call one or more of the available tools in this response.');
  else if (tc?.type === 'tool') notes.push(`You must call the tool "${tc.name}" in this response.`);
  if (req.parallelToolCalls === false && tc?.type !== 'none') notes.push('Call at most one tool in this response.');
  if (notes.length === 0 || input.every((b) => b.type === 'tool_result')) return input;
  return [...input, { type: 'text', text: `<tool-choice>${notes.join(' ')}</tool-choice>` }];
}

/**
 * Splits a request into the history the CLI must already hold and the new user input
 * (the trailing run of user messages, merged: the CLI takes one user message per turn).
 */
export function splitTurn(messages: TurnMessage[]): { history: TurnMessage[]; input: ContentBlock[] } {
  let i = messages.length;
  while (i > 0 && messages[i - 1].role === 'user') i--;
  const input = messages.slice(i).flatMap((m) => m.content);
  if (input.length === 0) {
    if (messages.length === 0) throw invalid('messages must not be empty', 'messages');
    throw invalid('the last message must be from the user (assistant prefill is not supported through Claude Code)', `messages.${messages.length - 1}.role`);
  }
  return { history: messages.slice(0, i), input };
}
