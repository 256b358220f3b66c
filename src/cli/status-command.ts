import type { Config } from '../config/defaults.js';
import type { StatusSnapshot } from '../status/types.js';
import { readLock } from './instance-lock.js';

const ago = (t: number) => {
  const s = Math.round((Date.now() - t) / 1000);
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};

/** `maxproxy status|sessions`: asks the running daemon over its local API. */
export async function printStatus(what: 'status' | 'sessions', config: Config): Promise<number> {
  const lock = readLock(config.dataDir);
  if (!lock?.url) {
    process.stderr.write(`maxproxy is not running for ${config.dataDir}\n`);
    return 1;
  }
  const headers: Record<string, string> = config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {};
  let s: StatusSnapshot;
  try {
    const r = await fetch(`${lock.url}/status`, { headers });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    s = (await r.json()) as StatusSnapshot;
  } catch (e) {
    process.stderr.write(`maxproxy (pid ${lock.pid}) did not answer at ${lock.url}: ${(e as Error).message}\n`);
    return 1;
  }
  const out: string[] = [];
  if (what === 'status') {
    out.push(`maxproxy ${s.version} (pid ${lock.pid}) — ${s.server.state} on ${lock.url}`);
    out.push(`Claude Code ${s.claude.version} (${s.claude.login.replace('_', ' ')}) at ${s.claude.path}`);
    out.push(`Requests: ${s.requests.active} running, ${s.requests.queued} queued; live sessions: ${s.sessions.length}`);
    const w = (name: string, x?: { utilization?: number; resetsAt?: number }) =>
      x?.utilization !== undefined ? `${name} ${Math.round(x.utilization * 100)}%${x.resetsAt ? ` (resets ${new Date(x.resetsAt * 1000).toLocaleString()})` : ''}` : `${name} unknown`;
    out.push(`Usage: ${w('5-hour', s.usage.fiveHour)}; ${w('weekly', s.usage.weekly)}; tokens today ${s.usage.tokensToday}`);
    for (const warn of s.warnings) out.push(`${warn.level}: ${warn.message}`);
  } else {
    if (s.sessions.length === 0) out.push('No live sessions.');
    for (const x of s.sessions) out.push(`${x.id}  ${x.client.padEnd(14)} ${x.model.padEnd(20)} ${String(x.turns).padStart(3)} turns  in ${x.inputTokens} / out ${x.outputTokens} tokens  ${x.state}  ${ago(x.lastActivity)}${x.pid ? `  pid ${x.pid}` : ''}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
