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
  /** When Claude Code last said answers are billed as extra usage: the window that ran out and its reset. */
  extraUsage?: ExtraUsageInfo;
  /** Output+input tokens from CLI results since local midnight. */
  tokensToday: number;
  /** Local date (YYYY-MM-DD) tokensToday belongs to. */
  day: string;
}

export interface ExtraUsageInfo {
  /** The CLI's rateLimitType of the window that is used up (five_hour, seven_day...). */
  window?: string;
  /** Epoch seconds. */
  resetsAt?: number;
  /** Epoch ms when it was first reported. */
  since: number;
}

/** What the usage ledger says, for the tray and `maxproxy status` (all from the stored turns, so it survives restarts). */
export interface LedgerStatus {
  lastTurn?: { billing: 'plan' | 'extra_usage' | 'unknown'; client: string; endedAt: number };
  turnsToday: number;
  tokensToday: number;
  extraUsageTurnsToday: number;
  /** Clients by share (0..1) of the current 5-hour window, largest first; with their budget (percent) if set. */
  topClients: Array<{ client: string; turns: number; fiveHour: number; weekly: number; budgetPercent?: number }>;
  /** The extra-usage policy in force. */
  extraUsagePolicy: 'refuse' | 'notify' | 'allow';
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
  /** Absent until the ledger has started. */
  ledger?: LedgerStatus;
  warnings: StatusWarning[];
}
