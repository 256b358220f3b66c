// Over 400 lines on purpose: one class whose steps (prepare, open, configure, run, settle) share the
// session bookkeeping; its pure parts live in conversation-index, turn-input, turn-record-builder, status-publisher.

import fs from 'node:fs';
import path from 'node:path';
import { TimeSlicer } from '../event-loop/time-slicer.js';
import type { Logger } from '../log/logger.js';
import { clientName } from '../status/client-name.js';
import type { StatusStore } from '../status/store.js';
import { rejoin } from '../turn/rejoin.js';
import type { TurnRecord } from '../turn/turn-record.js';
import type { ContentBlock, TurnEvent, TurnMessage, TurnRequest } from '../turn/types.js';
import { TurnFailure } from '../turn/types.js';
import { buildChildEnv } from './child-env.js';
import { CliModelLoader, fetchCliModels } from './cli-models.js';
import { toCliToolName } from './client-tool-names.js';
import { ConversationIndex, type Slot } from './conversation-index.js';
import { fingerprint, prepareFingerprint, shapeKey } from './fingerprint.js';
import { applyFetchPolicy } from './hosted-fetch-policy.js';
import { Limiter } from './limiter.js';
import { LiveSession, type TurnOutcome } from './live-session.js';
import { type ModelInfo, ModelRegistry } from './models.js';
import { ProcessGroups } from './process-group.js';
import { resourceFailure } from './resource-errors.js';
import type { EngineSession, SessionFactory, SessionSpec } from './session-factory.js';
import { SessionMap } from './session-map.js';
import { SparePool } from './spare-pool.js';
import { onceOnly, publishQueue, publishSession, trackStatus } from './status-publisher.js';
import { countTokens } from './token-counter.js';
import type { ToolHttpHost } from './tool-http-host.js';
import { loadToolsModule, type ToolsModule } from './tools-module.js';
import { transcriptPath, writeTranscript } from './transcript.js';
import { pruneTranscripts } from './transcript-retention.js';
import type { Continuity, EngineStats, RunContext, TurnEngine, TurnRun } from './turn-engine.js';
import { outputSchemaOf, splitTurn, withToolChoice } from './turn-input.js';
import { buildTurnRecord } from './turn-record-builder.js';
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
  /** Transcripts hold prompts in clear: they are removed after this many days (daily sweep). */
  transcriptRetentionDays?: number;
  /** Called once for every turn that reached Claude Code, when it has ended (the usage ledger, metrics). */
  onTurnRecord?: (record: TurnRecord) => void;
  /** A CLI process died unexpectedly (for metrics and a notification). */
  onCliCrash?: (info: { sessionId: string; client?: string; pid?: number; code: number | null; signal: string | null; stderr: string[] }) => void;
  /** Clients' hosted web_fetch may be served (the daemon fetches from this machine: decision 095). */
  allowWebFetch?: boolean;
}

type EngineSlot = Slot<EngineSession>;

/** A spare starts this long after the turn that used up the last one (a quick follow-up turn keeps the cores). */
const SPARE_AFTER_TURN_MS = 1_000;

/** A request reduced to what finding its conversation needs. */
interface Prepared {
  model: ModelInfo;
  history: TurnMessage[];
  input: ContentBlock[];
  shape: string;
  fpHistory: string;
  outputSchema?: Record<string, unknown>;
  settings: TurnSettings;
  /** Request fields Claude Code cannot honour for this model. */
  ignored: string[];
}

/**
 * The only code that knows Claude Code: it maps each canonical request onto a live
 * CLI session (continuing, resuming or rebuilding the conversation), runs the turn
 * under the concurrency cap, and reports everything to the status store.
 */
export class Engine implements TurnEngine {
  private readonly models: ModelRegistry;
  private readonly limiter: Limiter;
  private readonly groups: ProcessGroups;
  private readonly index: ConversationIndex<EngineSession>;
  private readonly map: SessionMap;
  private readonly cwd: string;
  private readonly childEnv: Record<string, string>;
  private readonly newSession: SessionFactory;
  private readonly sweeper: NodeJS.Timeout;
  private closing = false;
  /** The client each session serves, kept past the slot's removal for the crash notice. */
  private readonly clientOf = new WeakMap<EngineSession, string>();

  constructor(
    private readonly opts: EngineOptions,
    factory?: SessionFactory,
  ) {
    this.models = new ModelRegistry(opts.models);
    this.spares = new SparePool(opts.warmSpares);
    this.cwd = path.join(opts.dataDir, 'workdir');
    fs.mkdirSync(this.cwd, { recursive: true });
    this.groups = new ProcessGroups(path.join(opts.dataDir, 'pids'));
    const reaped = this.groups.reapOrphans();
    if (reaped.length) opts.log.warn({ pids: reaped }, 'reaped Claude Code processes left by an earlier run');
    this.map = new SessionMap(path.join(opts.dataDir, 'sessions.json'), undefined, (err) => opts.log.warn({ err }, 'session map not saved'));
    // A session whose transcript the retention sweep removed cannot be resumed: it is rebuilt instead.
    this.index = new ConversationIndex({
      get: (fp) => {
        const rec = this.map.get(fp);
        return rec && fs.existsSync(transcriptPath(this.childEnv, this.cwd, rec.cliSessionId)) ? rec : undefined;
      },
      delete: (fp) => this.map.delete(fp),
    });
    this.childEnv = buildChildEnv(opts.parentEnv ?? process.env, { explicit: opts.claudeEnv, maxRetries: opts.cliMaxRetries });
    this.newSession = factory ?? ((spec) => this.liveSession(spec));
    this.limiter = new Limiter(opts.maxConcurrent, opts.maxQueue, () => publishQueue(this.opts.status, this.limiter, opts.maxQueue));
    this.sweeper = setInterval(() => this.evictIdle(), Math.min(30_000, opts.sessionIdleMs)).unref();
    const fresh = () => fetchCliModels({ claudePath: opts.claudePath, cwd: this.cwd, env: this.childEnv, groups: this.groups, timeoutMs: 60_000 });
    this.modelLoader = new CliModelLoader(this.models, fresh, opts.log);
    if (opts.transcriptRetentionDays) {
      this.pruneTranscripts(opts.transcriptRetentionDays);
      this.pruner = setInterval(() => this.pruneTranscripts(opts.transcriptRetentionDays ?? 0), 86_400_000).unref();
    }
  }

  private pruner?: NodeJS.Timeout;
  private readonly modelLoader: CliModelLoader;

  /** The CLI's own model list, read once on first need (cli-models.ts); waits at most `maxWaitMs`. */
  ensureModels(maxWaitMs?: number): Promise<void> {
    const live = () =>
      this.index
        .all()
        .map((s) => s.session)
        .find((s) => s.state !== 'closed')
        ?.supportedModels();
    const loading = this.modelLoader.ensure(live);
    if (maxWaitMs === undefined) return loading;
    return Promise.race([loading, new Promise<void>((r) => setTimeout(r, maxWaitMs).unref())]);
  }

  private pruneTranscripts(days: number): void {
    const removed = pruneTranscripts(path.dirname(transcriptPath(this.childEnv, this.cwd, 'x')), days);
    if (removed) this.opts.log.info({ removed, days }, 'removed old Claude Code transcripts');
  }

  resolveModel(name: unknown): ModelInfo {
    return this.models.resolve(name);
  }

  listModels(): ModelInfo[] {
    return this.models.list();
  }

  stats(): EngineStats {
    return {
      liveSessions: this.index.size,
      warmSpares: this.spares.size,
      running: this.limiter.running,
      queued: this.limiter.queued,
      liveProcesses: this.groups.pids.length,
    };
  }

  /**
   * Runs one request. Errors before the first event are thrown as TurnFailure (so the
   * server can still answer with a proper status); later ones arrive as error events.
   */
  async run(clientReq: TurnRequest, ctx: RunContext): Promise<TurnRun> {
    const startedAt = Date.now();
    const fetchPolicy = applyFetchPolicy(clientReq, { allowWebFetch: this.opts.allowWebFetch === true });
    const req = fetchPolicy.req;
    // Long strings (images, pasted files) are hashed ahead in slices: the fingerprints below are synchronous.
    await prepareFingerprint(req.messages, new TimeSlicer());
    const p = this.prepare(req);
    p.ignored.push(...fetchPolicy.ignored);
    ctx.phases?.mark('prepared');
    // The MCP server behind client tools (and the daemon's web fetch) is loaded the first time a
    // request brings tools. A failed load (EMFILE…) is not cached: the next request with tools tries again.
    const fetchOffered = req.hostedTools?.webFetch !== undefined;
    const mcpTools = req.tools.length > 0 || fetchOffered;
    if (mcpTools && !this.toolsModule) this.toolsModule = await loadToolsModule().catch((e: unknown) => Promise.reject(resourceFailure(e) ?? e));
    // The fetcher (html-to-text) is loaded only once a request offers the fetch.
    if (fetchOffered && !this.webFetchModule)
      this.webFetchModule = await import('./web-fetch-tool.js').catch((e: unknown) => Promise.reject(resourceFailure(e) ?? e));
    // Client tools are served over loopback HTTP from the CLI's start (no race with the first turn).
    // Imported on first use: the MCP SDK and its Zod schemas are ~9 MB of idle RSS (docs/performance.md).
    if (mcpTools && !this.toolHost)
      this.toolHost = await (this.toolHostStarting ??= import('./tool-http-host.js')
        .then((m) => m.ToolHttpHost.start(this.opts.log))
        .catch((e: unknown) => {
          this.toolHostStarting = undefined;
          return Promise.reject(resourceFailure(e) ?? e);
        }));
    ctx.phases?.mark('toolsReady');
    const release = onceOnly(await this.limiter.acquire(ctx.signal));
    ctx.phases?.mark('admittedByLimiter');
    try {
      for (let attempt = 1; ; attempt++) {
        const { slot, continuity } = await this.open(req, p);
        // A conversation is billed to whoever sends this turn (the server decided who: decision 090).
        if (req.conversation.client) slot.client = req.conversation.client;
        ctx.phases?.mark('sessionMatched');
        void this.ensureModels();
        await this.configure(slot, req, p);
        ctx.phases?.mark('configured');
        const { events, done } = slot.session.runTurn(withToolChoice(p.input, req), { signal: ctx.signal, requestId: ctx.requestId, phases: ctx.phases });
        const stream = await this.firstAttemptStream(slot, events, attempt, ctx);
        if (!stream) continue;
        publishSession(this.opts.status, slot, 'busy');
        this.opts.log.debug({ requestId: ctx.requestId, sessionId: slot.session.id, pid: slot.session.pid, continuity }, 'turn started');
        void done.then((outcome) => {
          release();
          this.startDeferredSpare(slot.session);
          this.emitRecord(
            buildTurnRecord({
              requestId: ctx.requestId,
              sessionId: slot.session.id,
              client: slot.client,
              endpoint: ctx.endpoint,
              modelRequested: req.model,
              modelResolved: p.model.cliModel,
              startedAt,
              endedAt: Date.now(),
              firstOutputAt: outcome.firstOutputAt,
              cancelled: ctx.signal?.aborted === true,
              fold: outcome.fold,
            }),
          );
          this.settle(slot, p, outcome);
        });
        return {
          events: trackStatus(this.opts.status, slot, stream),
          outcome: done.then((o) => o.collected),
          sessionId: slot.session.id,
          continuity,
          pid: slot.session.pid,
          ignored: p.ignored,
        };
      }
    } catch (e) {
      release();
      throw e;
    }
  }

  private prepare(req: TurnRequest): Prepared {
    const model = this.models.resolve(req.model);
    const { history, input } = splitTurn(req.messages);
    const outputSchema = outputSchemaOf(req);
    const shape = shapeKey(req.system, req.tools, outputSchema, req.hostedTools);
    const settings = settingsOf(req);
    const ignored = unsupportedSettings(req, this.models.capabilitiesOf(model.cliModel));
    return { model, history, input, shape, fpHistory: fingerprint(shape, history), outputSchema, settings, ignored };
  }

  /** The session's model and tool visibility for this turn (a waiting turn keeps what it has). */
  private async configure(slot: EngineSlot, req: TurnRequest, p: Prepared): Promise<void> {
    const { model } = p;
    if (slot.session.state === 'waiting_tools') return;
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
    await slot.session.applySettings(p.settings);
  }

  /**
   * A turn the CLI starts by itself can race the SDK's registration of the client's
   * tools (measured: ~1 in 6 under load). The session refuses such a start; undefined
   * means "start it again".
   */
  private async firstAttemptStream(
    slot: EngineSlot,
    events: AsyncIterable<TurnEvent>,
    attempt: number,
    ctx: RunContext,
  ): Promise<AsyncIterable<TurnEvent> | undefined> {
    if (!slot.session.autoContinues) return events;
    const it = events[Symbol.asyncIterator]();
    const first = await it.next();
    if (!first.done && first.value.type === 'error' && first.value.error.code === 'tools_not_ready' && attempt < 3) {
      this.opts.log.info({ requestId: ctx.requestId, attempt }, 'client tools were not ready for the resumed turn; starting it again');
      return undefined;
    }
    return rejoin(first.done ? [] : [first.value], undefined, it);
  }

  /** After a turn: remember the conversation it now holds, or retire a process whose history the client never accepted. */
  private settle(slot: EngineSlot, p: Prepared, outcome: TurnOutcome): void {
    if (outcome.ok) {
      const prev = slot.fp;
      slot.fp = fingerprint(p.shape, [...p.history, { role: 'user', content: p.input }, outcome.assistant]);
      this.map.put(
        {
          fingerprint: slot.fp,
          cliSessionId: slot.session.id,
          model: p.model.id,
          client: slot.client,
          explicitId: slot.explicitId,
          turns: slot.session.turns,
          inputTokens: slot.inputTokens,
          outputTokens: slot.outputTokens,
          updatedAt: Date.now(),
        },
        prev,
      );
      publishSession(this.opts.status, slot, slot.session.state === 'waiting_tools' ? 'waiting_tools' : 'idle');
      for (const s of this.index.evictOverflow(this.opts.maxLiveSessions))
        this.opts.log.debug({ sessionId: s.session.id, pid: s.session.pid }, 'evicted idle session (cap)');
    } else if (!outcome.closed) {
      // The CLI history now ends in an error the client never accepted: retire the process.
      slot.session.close();
    }
  }

  /** Input tokens of a request, counted by Claude Code through upstream's token-count API. */
  async countTokens(req: TurnRequest, ctx: Omit<RunContext, 'endpoint'>): Promise<number> {
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
      throw resourceFailure(e) ?? new TurnFailure({ kind: 'upstream', message: `Claude Code could not count tokens: ${(e as Error).message}` });
    } finally {
      release();
    }
  }

  /** A throwing record hook must never take a turn (or the daemon) down. */
  private emitRecord(record: TurnRecord): void {
    try {
      this.opts.onTurnRecord?.(record);
    } catch (e) {
      this.opts.log.error({ err: (e as Error).message, requestId: record.requestId }, 'turn record hook failed');
    }
  }

  /** Finds the session that continues the request's conversation, or starts one. */
  private async open(req: TurnRequest, p: Prepared): Promise<{ slot: EngineSlot; continuity: Continuity }> {
    const explicitId = req.conversation.explicitId;
    const plan = this.index.plan({ shape: p.shape, fpHistory: p.fpHistory, history: p.history, input: p.input, explicitId });
    if (plan.kind === 'live') return { slot: plan.slot, continuity: 'live' };
    const spec: SessionSpec = {
      model: p.model.cliModel,
      system: req.system,
      tools: req.tools,
      outputSchema: p.outputSchema,
      settings: p.settings,
      ...(req.hostedTools?.webSearch || req.hostedTools?.webFetch ? { hostedTools: req.hostedTools } : {}),
    };
    let session: EngineSession | undefined;
    let continuity: Continuity;
    if (plan.kind === 'resume') {
      session = this.newSession({ ...spec, resume: plan.cliSessionId });
      continuity = 'resumed';
    } else if (plan.kind === 'rebuild') {
      this.opts.log.info({ messages: plan.messages.length, toolResults: plan.autoContinue }, 'rebuilding the conversation for a new Claude Code session');
      // Awaited: a concurrent request for this history would not find this process usable
      // before its turn ends anyway (a busy slot is never a live match), so nothing races here.
      const resume = await writeTranscript(plan.messages, this.childEnv, {
        cwd: this.cwd,
        version: this.opts.claudeVersion,
        model: p.model.cliModel,
        toolName: toCliToolName,
      });
      session = this.newSession({ ...spec, resume, autoContinue: plan.autoContinue });
      continuity = 'rebuilt';
    } else {
      // Spares are per shape and model: switching a parked process's model can fail for names it does not know.
      const spareKey = `${p.shape}|${p.model.cliModel}`;
      session = this.takeSpare(spareKey);
      continuity = session ? 'warm' : 'new';
      // The next conversation of this shape starts warm too, once this turn is over: a CLI
      // starting up takes ~1 s of CPU, and on 2 cores it slowed the turn it was started beside
      // (bench: the CLI's own stdin → first delta 127 → 53 ms on the next turn, docs/performance.md).
      // A spare is shared by the shape: it starts with default settings and gets the request's when claimed.
      this.deferredSpares.set(session ?? (session = this.newSession(spec)), () => this.replenish(spareKey, { ...spec, settings: undefined }));
      session ??= this.newSession(spec);
    }
    const fresh = continuity === 'new' || continuity === 'warm';
    const slot: EngineSlot = {
      session,
      shape: p.shape,
      fp: fresh ? undefined : p.fpHistory,
      client: req.conversation.client ?? clientName(req.conversation.userAgent),
      explicitId,
      inputTokens: 0,
      outputTokens: 0,
    };
    this.index.add(slot);
    this.clientOf.set(session, slot.client);
    const opened = session;
    opened.onClosed(() => {
      this.index.remove(slot);
      this.opts.status.removeSession(opened.id);
    });
    return { slot, continuity };
  }

  /** The default session factory: a real Claude Code process. */
  private liveSession(spec: SessionSpec): EngineSession {
    const { tools, ...rest } = spec;
    const fetchOffer = spec.hostedTools?.webFetch;
    const session: LiveSession = new LiveSession({
      claudePath: this.opts.claudePath,
      cwd: this.cwd,
      env: this.childEnv,
      ...rest,
      bridge: tools.length && this.toolsModule ? new this.toolsModule.ClientToolBridge(tools) : undefined,
      toolHost: this.toolHost,
      // The fetch the policy kept (allowWebFetch on): each session counts its own max_uses.
      webFetch: fetchOffer && this.toolsModule && this.webFetchModule ? new this.webFetchModule.WebFetchTool(fetchOffer, this.toolsModule.mcp) : undefined,
      idleTimeoutMs: this.opts.idleTimeoutMs,
      maxRetryWaitMs: this.opts.maxRetryWaitMs,
      groups: this.groups,
      log: this.opts.log,
      // The crash notice names the client whose conversation the process held (its slot is gone by then).
      onCrash: (info) => this.opts.onCliCrash?.({ ...info, client: this.clientOf.get(session) }),
    });
    return session;
  }

  /**
   * Warm spares: a started, initialised CLI process per recently seen request shape
   * (system prompt + tools + output schema; the model is switched at claim time), so
   * a new conversation skips the CLI's start-up. Bounded by `warmSpares` in total.
   */
  private readonly spares: SparePool<EngineSession>;
  private toolsModule?: ToolsModule;
  private webFetchModule?: typeof import('./web-fetch-tool.js');
  private toolHost?: ToolHttpHost;
  private toolHostStarting?: Promise<ToolHttpHost>;

  /** Spares to start once the turn that claimed (or missed) one has ended. */
  private readonly deferredSpares = new WeakMap<EngineSession, () => void>();

  private startDeferredSpare(session: EngineSession): void {
    const start = this.deferredSpares.get(session);
    if (!start) return;
    this.deferredSpares.delete(session);
    setTimeout(start, SPARE_AFTER_TURN_MS).unref();
  }

  private takeSpare(key: string): EngineSession | undefined {
    return this.spares.take(key);
  }

  private replenish(key: string, spec: SessionSpec): void {
    if (!this.closing) this.spares.replenish(key, () => this.newSession(spec));
  }

  /** Spares started since start-up (bench). */
  get sparesStarted(): number {
    return this.spares.started;
  }

  private evictIdle(): void {
    const now = Date.now();
    this.spares.evictIdle(now, this.opts.sessionIdleMs);
    for (const s of this.index.evictIdle(now, this.opts.sessionIdleMs))
      this.opts.log.debug({ sessionId: s.session.id, pid: s.session.pid }, 'evicted idle session (idle time)');
  }

  /** Ends one session by id (tray "End session"). */
  endSession(id: string): boolean {
    const slot = this.index.byId(id);
    slot?.session.close();
    return slot !== undefined;
  }

  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    clearInterval(this.pruner);
    this.spares.closeAll();
    await this.map.flushed();
    this.map.save();
    for (const s of this.index.all()) s.session.close();
    await this.groups.stopAll(graceMs);
    await this.toolHost?.close();
  }
}
