import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/defaults.js';
import { formatTokens } from '../desktop/menu-model.js';
import { formatIn } from '../status/relative-time.js';
import { Ledger } from '../usage/ledger.js';
import type { GroupBy, UsageGroup } from '../usage/reader.js';
import type { Output } from './status-command.js';

const stdio: Output = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
const BY: readonly GroupBy[] = ['client', 'model', 'day', 'hour', 'path'];

/** `5h`, `24h`, `7d`, `30d` (any whole number of h or d), or an ISO date/time, to epoch ms. */
export function parseSince(v: string, now = Date.now()): number {
  const rel = /^(\d+)([hd])$/.exec(v.trim());
  if (rel) return now - Number(rel[1]) * (rel[2] === 'h' ? 3_600_000 : 86_400_000);
  // A bare date is the local midnight starting it, like `--by day` keys.
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v.trim());
  const t = day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])).getTime() : Date.parse(v);
  if (!Number.isFinite(t)) throw new Error(`--since takes 5h, 24h, 7d, 30d or an ISO date such as 2026-12-01, got "${v}"`);
  return t;
}

/** The documented `--json` shape (README, "Usage ledger"). */
export interface UsageJson {
  since: string;
  by: GroupBy;
  windows: {
    fiveHour: { utilization: number | null; resetsAt: string | null };
    weekly: { utilization: number | null; resetsAt: string | null };
  };
  groups: Array<UsageGroup & { totalTokens: number }>;
}

const iso = (s: number | undefined): string | null => (s === undefined ? null : new Date(s * 1000).toISOString());
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

export function formatUsageTable(j: UsageJson, now = Date.now()): string {
  const win = (name: string, w: UsageJson['windows']['fiveHour']) =>
    w.utilization === null
      ? `${name}: no reading yet`
      : `${name}: ${pct(w.utilization)} used${w.resetsAt ? `, resets ${formatIn(Date.parse(w.resetsAt), now)}` : ''}`;
  const lines = [
    `Usage since ${new Date(j.since).toLocaleString()} by ${j.by}`,
    `${win('5-hour window', j.windows.fiveHour)}; ${win('weekly window', j.windows.weekly)}`,
  ];
  if (!j.groups.length) return [...lines, 'No turns recorded in this period.'].join('\n');
  const head = [j.by.toUpperCase(), 'TURNS', 'INPUT', 'OUTPUT', 'CACHE READ', 'CACHE WRITE', '5H SHARE', 'WEEK SHARE', 'EXTRA USAGE'];
  const rows = j.groups.map((g) => [
    g.key,
    String(g.turns),
    formatTokens(g.inputTokens),
    formatTokens(g.outputTokens),
    formatTokens(g.cacheReadInputTokens),
    formatTokens(g.cacheCreationInputTokens),
    pct(g.fiveHourShare),
    pct(g.weeklyShare),
    g.extraUsageTurns ? `${g.extraUsageTurns} turns` : '-',
  ]);
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const table = all.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  return [...lines, '', ...table].join('\n');
}

/**
 * `maxproxy usage`: reads the ledger's files directly (read-only), so it answers with the
 * daemon stopped or running (the daemon writes what it records within 250 ms).
 */
export async function usageCommand(
  opts: { since?: string; by?: string; json: boolean },
  config: Config,
  io: Output = stdio,
  now = Date.now(),
): Promise<number> {
  let sinceMs: number;
  try {
    sinceMs = parseSince(opts.since ?? '7d', now);
  } catch (e) {
    io.err(`maxproxy: ${(e as Error).message}\n`);
    return 2;
  }
  const by = (opts.by ?? 'client') as GroupBy;
  if (!BY.includes(by)) {
    io.err(`maxproxy: --by takes ${BY.join(', ')}, got "${opts.by}"\n`);
    return 2;
  }
  if (!fs.existsSync(path.join(config.dataDir, 'usage'))) {
    io.err(`no usage recorded yet in ${config.dataDir}\n`);
  }
  const ledger = new Ledger({ dataDir: config.dataDir, retentionDays: config.usageRetentionDays, readOnly: true, budgets: () => config.clientBudgets });
  const shares = ledger.sharesSync();
  const groups = ledger.groupsSync(sinceMs, by).map((g) => ({
    ...g,
    totalTokens: g.inputTokens + g.outputTokens + g.cacheReadInputTokens + g.cacheCreationInputTokens,
  }));
  const j: UsageJson = {
    since: new Date(sinceMs).toISOString(),
    by,
    windows: {
      fiveHour: { utilization: shares.fiveHour.utilization ?? null, resetsAt: iso(shares.fiveHour.resetsAt) },
      weekly: { utilization: shares.weekly.utilization ?? null, resetsAt: iso(shares.weekly.resetsAt) },
    },
    groups,
  };
  io.out(`${opts.json ? JSON.stringify(j, null, 2) : formatUsageTable(j, now)}\n`);
  return 0;
}
