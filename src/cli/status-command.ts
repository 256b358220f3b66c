import type { Config } from '../config/defaults.js';
import { formatTokens, shortModel } from '../desktop/menu-model.js';
import { formatAgo, formatIn } from '../status/relative-time.js';
import type { StatusSnapshot, UsageWindow } from '../status/types.js';
import { readLock } from './instance-lock.js';

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Output = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

function usageText(name: string, w: UsageWindow | undefined, now: number): string {
  if (!w || (w.utilization === undefined && w.status !== 'rejected')) return `${name} no data yet`;
  const used = w.status === 'rejected' ? 'limit reached' : `${Math.round(w.utilization! * 100)}%`;
  return `${name} ${used}${typeof w.resetsAt === 'number' ? ` (resets ${formatIn(w.resetsAt * 1000, now)})` : ''}`;
}

/** The `maxproxy status` text for a snapshot (pure, for tests). */
export function formatStatus(s: StatusSnapshot, where: { pid: number; url: string }, now = Date.now()): string {
  const lines: string[] = [];
  const state = s.server.state === 'error' ? `not serving: ${s.server.error ?? 'unknown error'}` : s.server.state;
  lines.push(`maxproxy ${s.version} (pid ${where.pid}): ${state} on ${where.url}`);
  lines.push(`Base URL: ${where.url}/v1`);
  const login =
    s.claude.login === 'logged_in' ? 'logged in' : s.claude.login === 'not_logged_in' ? 'NOT logged in (run `maxproxy login`)' : 'login not checked yet';
  lines.push(`Claude Code ${s.claude.version}, ${login}${s.claude.path ? ` (${s.claude.path})` : ''}`);
  const q = s.requests.queued ? `, ${s.requests.queued} queued` : '';
  lines.push(`Requests: ${s.requests.active} in flight${q}; sessions: ${s.sessions.length}`);
  const other = Object.entries(s.usage.other).map(([k, w]) => usageText(k.replace(/_/g, ' '), w, now));
  lines.push(
    `Usage: ${[usageText('5-hour', s.usage.fiveHour, now), usageText('weekly', s.usage.weekly, now), ...other].join('; ')}; tokens today ${formatTokens(s.usage.tokensToday)}`,
  );
  if (s.usage.isUsingOverage) lines.push(`Extra usage in use${s.usage.overageStatus ? ` (${s.usage.overageStatus})` : ''}`);
  if (s.ledger) {
    const l = s.ledger;
    const last = l.lastTurn ? `${l.lastTurn.billing} (${l.lastTurn.client}, ${formatAgo(l.lastTurn.endedAt, now)})` : 'no turns yet';
    lines.push(`Last turn billed to: ${last}; extra-usage turns today: ${l.extraUsageTurnsToday}; extra usage policy: ${l.extraUsagePolicy}`);
    const top = l.topClients.map((c) => `${c.client} ${(c.fiveHour * 100).toFixed(1)}%${c.budgetPercent !== undefined ? ` (budget ${c.budgetPercent}%)` : ''}`);
    lines.push(`Top clients (share of the 5-hour window): ${top.length ? top.join(', ') : 'none yet'}`);
  }
  for (const w of s.warnings) lines.push(`${w.level}: ${w.message}`);
  return lines.join('\n');
}

/** The `maxproxy sessions` table for a snapshot (pure, for tests). */
export function formatSessions(s: StatusSnapshot, now = Date.now()): string {
  if (s.sessions.length === 0) return 'No active sessions.';
  const rows = [['SESSION', 'CLIENT', 'MODEL', 'TURNS', 'TOKENS IN/OUT', 'STATE', 'LAST ACTIVITY', 'PID']];
  for (const x of s.sessions) {
    rows.push([
      x.id,
      x.client,
      shortModel(x.model),
      String(x.turns),
      `${formatTokens(x.inputTokens)}/${formatTokens(x.outputTokens)}`,
      x.state === 'waiting_tools' ? 'waiting for tools' : x.state,
      formatAgo(x.lastActivity, now),
      x.pid ? String(x.pid) : '-',
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

/** `maxproxy status|sessions`: asks the running daemon over its local API. */
export async function printStatus(what: 'status' | 'sessions', config: Config, io: Output = stdio): Promise<number> {
  const lock = readLock(config.dataDir);
  if (!lock) {
    io.err(`maxproxy is not running for ${config.dataDir}\n`);
    return 1;
  }
  if (!lock.url) {
    io.err(`maxproxy (pid ${lock.pid}) is starting for ${config.dataDir}; try again in a moment\n`);
    return 1;
  }
  const headers: Record<string, string> = config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {};
  let s: StatusSnapshot;
  try {
    const r = await fetch(`${lock.url}/status`, { headers, signal: AbortSignal.timeout(5_000) });
    if (!r.ok) throw new Error(`HTTP ${r.status}${r.status === 401 ? ' (pass --api-key or set MAXPROXY_API_KEY)' : ''}`);
    s = (await r.json()) as StatusSnapshot;
  } catch (e) {
    io.err(`maxproxy (pid ${lock.pid}) did not answer at ${lock.url}: ${(e as Error).message}\n`);
    return 1;
  }
  io.out(`${what === 'status' ? formatStatus(s, { pid: lock.pid, url: lock.url }) : formatSessions(s)}\n`);
  return 0;
}
