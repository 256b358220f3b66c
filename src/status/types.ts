/** Live state shared by the tray, /health, `maxproxy status` and logs. Plain data only. */

export type ServerState = 'starting' | 'running' | 'paused' | 'stopping' | 'error';

export interface ServerStatus {
  state: ServerState;
  host: string;
  port: number;
  /** Why the server is not running (port taken...), when state is 'error'. */
  error?: string;
}

export type LoginState = 'unknown' | 'logged_in' | 'not_logged_in';

export interface ClaudeStatus {
  path: string;
  version: string;
  login: LoginState;
}

export type SessionState = 'idle' | 'busy' | 'waiting_tools';

export interface SessionInfo {
  id: string;
  /** A readable client name derived from the user-agent (OpenClaw, opencode, Codex, OpenAI SDK...). */
  client: string;
  model: string;
  turns: number;
  inputTokens: number;
  outputTokens: number;
  /** Epoch ms. */
  lastActivity: number;
  state: SessionState;
  /** Pid of the CLI process serving it, when live. */
  pid?: number;
}

export interface UsageWindow {
  /** 0..1 */
  utilization?: number;
  /** Epoch seconds. */
  resetsAt?: number;
  status?: string;
}

export interface UsageStatus {
  fiveHour?: UsageWindow;
  weekly?: UsageWindow;
  /** Other windows the CLI reported, keyed by its rateLimitType. */
  other: Record<string, UsageWindow>;
  isUsingOverage?: boolean;
  overageStatus?: string;
  /** Output+input tokens from CLI results since local midnight. */
  tokensToday: number;
  /** Local date (YYYY-MM-DD) tokensToday belongs to. */
  day: string;
}

export type WarningLevel = 'warning' | 'error';

export interface StatusWarning {
  id: string;
  level: WarningLevel;
  message: string;
  since: number;
}

export interface RequestsStatus {
  active: number;
  queued: number;
  /** Longest current wait in the queue, ms. */
  oldestQueuedMs: number;
}

export interface StatusSnapshot {
  version: string;
  startedAt: number;
  server: ServerStatus;
  claude: ClaudeStatus;
  sessions: SessionInfo[];
  requests: RequestsStatus;
  usage: UsageStatus;
  warnings: StatusWarning[];
}
