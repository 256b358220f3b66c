import type { ErrorKind, Usage } from './types.js';

/** Which wire endpoint a turn came through (the ledger's `endpoint` column). */
export type Endpoint = 'chat.completions' | 'responses' | 'messages';

/**
 * How Claude Code said the turn was billed: against the plan's windows, as extra usage
 * (the plan's window was used up and the account pays on), or not reported (API-key
 * credentials never report it).
 */
export type BillingPath = 'plan' | 'extra_usage' | 'unknown';

export type TurnOutcomeStatus = 'ok' | 'error' | 'cancelled';

/** Utilisation Claude Code reported for a window, as a fraction 0..1, with its reset (epoch s). */
export interface WindowReading {
  utilization?: number;
  resetsAt?: number;
}

/**
 * One turn that reached Claude Code, once it has ended: what the usage ledger stores,
 * `/metrics` counts and the status store sums. Produced once per turn by the engine's
 * fold of the turn's events. Never holds prompt or answer text.
 */
export interface TurnRecord {
  /** Epoch ms when the request reached the engine. */
  startedAt: number;
  /** Epoch ms when the turn ended (answered, failed or cancelled). */
  endedAt: number;
  requestId: string;
  sessionId: string;
  /** Readable client name (OpenClaw, opencode, Codex, OpenAI SDK, curl…). */
  client: string;
  endpoint: Endpoint;
  /** The model name as the client asked for it. */
  modelRequested: string;
  /** The model Claude Code answered with (the upstream's id), or the resolved one when none was reported. */
  modelServed: string;
  status: TurnOutcomeStatus;
  /** Error kind when status is 'error'. */
  errorKind?: ErrorKind;
  usage: Usage;
  /** Time to the first output event, ms; absent when there was none. */
  ttftMs?: number;
  durationMs: number;
  billing: BillingPath;
  /** Utilisation Claude Code reported after the turn, when it did. */
  fiveHour?: WindowReading;
  weekly?: WindowReading;
}
