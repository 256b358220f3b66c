import type { ContentBlock, HostedTools, ToolDef, TurnEvent } from '../turn/types.js';
import type { LiveState, TurnOptions, TurnOutcome } from './live-session.js';
import type { CliModelInfo } from './models.js';
import type { TurnSettings } from './turn-settings.js';

/** What the engine needs of a live CLI session: LiveSession, or a fake in unit tests. */
export interface EngineSession {
  readonly id: string;
  readonly state: LiveState;
  readonly model: string;
  readonly pid?: number;
  readonly turns: number;
  readonly lastUsed: number;
  readonly pendingToolIds: readonly string[];
  /** The CLI runs this session's first turn by itself (a rebuilt tool-result turn). */
  readonly autoContinues: boolean;
  setModel(model: string): Promise<void>;
  setToolsEnabled(on: boolean): Promise<void>;
  /** The client's effort, thinking and max_tokens for the next turn (a live process is changed in place). */
  applySettings(settings: TurnSettings): Promise<void>;
  /** The models this Claude Code reports it can use. */
  supportedModels(): Promise<CliModelInfo[]>;
  runTurn(content: ContentBlock[], opts?: TurnOptions): { events: AsyncIterable<TurnEvent>; done: Promise<TurnOutcome> };
  close(): void;
  onClosed(fn: () => void): void;
}

/** What a new session is asked to be; the factory adds the process-level options. */
export interface SessionSpec {
  model: string;
  system?: string;
  tools: ToolDef[];
  outputSchema?: Record<string, unknown>;
  /** Hosted tools the client offered (the CLI's WebSearch); part of the session shape. */
  hostedTools?: HostedTools;
  /** CLI session to resume (a transcript on disk). */
  resume?: string;
  autoContinue?: boolean;
  /** The request's settings, given at start (a spare gets them when claimed). */
  settings?: TurnSettings;
}

export type SessionFactory = (spec: SessionSpec) => EngineSession;
