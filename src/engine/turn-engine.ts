import type { CollectOutcome } from '../turn/collect.js';
import type { PhaseMarks } from '../turn/phase-marks.js';
import type { Endpoint } from '../turn/turn-record.js';
import type { TurnEvent, TurnRequest } from '../turn/types.js';
import type { ModelInfo } from './models.js';

/** The engine as the server, the daemon and the desktop use it: one small surface. */

export interface RunContext {
  requestId: string;
  signal?: AbortSignal;
  /** The wire endpoint the request came through (for the turn's record). */
  endpoint: Endpoint;
  /** Phase timestamps for the bench (MAXPROXY_PHASE_LOG); undefined otherwise. */
  phases?: PhaseMarks;
}

/** A started turn: its events as they come, and the turn's one fold once it has ended. */
export interface TurnRun {
  events: AsyncIterable<TurnEvent>;
  /** Resolves when the turn has ended, with the message it produced or its error. */
  outcome: Promise<CollectOutcome>;
  sessionId: string;
  continuity: Continuity;
  pid?: number;
  /** Request fields Claude Code cannot honour for this model (reported to the client). */
  ignored: string[];
}

/** How a request found its session, for logs and tests. */
export type Continuity = 'live' | 'resumed' | 'rebuilt' | 'new' | 'warm';

/** Counts the server, the tray and /metrics show. */
export interface EngineStats {
  liveSessions: number;
  warmSpares: number;
  running: number;
  queued: number;
  liveProcesses: number;
}

/** What the server and the daemon use of the engine: one small surface instead of its members. */
export interface TurnEngine {
  run(req: TurnRequest, ctx: RunContext): Promise<TurnRun>;
  countTokens(req: TurnRequest, ctx: Omit<RunContext, 'endpoint'>): Promise<number>;
  resolveModel(name: unknown): ModelInfo;
  listModels(): ModelInfo[];
  /** Reads the CLI's own model list once, on first need; waits at most `maxWaitMs`. */
  ensureModels(maxWaitMs?: number): Promise<void>;
  endSession(id: string): boolean;
  stats(): EngineStats;
  shutdown(graceMs: number): Promise<void>;
}
