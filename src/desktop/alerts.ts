import type { StatusNotice } from '../status/notices.js';
import type { StatusSnapshot } from '../status/types.js';
import type { Notifier } from './notifier.js';

const seconds = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
};

/** The last non-empty line of a process's stderr, bounded: enough to recognise the failure. */
function lastLine(text: string | undefined, max = 160): string {
  const line =
    (text ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * Turns status changes into notifications: usage thresholds (once per window and
 * level), login lost; and notices (timeouts, CLI crashes) into their own. Pure
 * bookkeeping over snapshots, so it is unit-testable. Thresholds are fractions (0..1),
 * as in the settings.
 */
export class Alerts {
  private notified = new Set<string>();
  private lastLogin?: string;

  constructor(
    private readonly notifier: Notifier,
    private readonly thresholds: () => { warn: number; critical: number },
  ) {}

  onStatus(s: StatusSnapshot): void {
    const t = this.thresholds();
    const windows: Array<[string, { utilization?: number; resetsAt?: number; status?: string } | undefined]> = [
      ['5-hour', s.usage.fiveHour],
      ['weekly', s.usage.weekly],
    ];
    for (const [name, w] of windows) {
      if (!w) continue;
      const util = typeof w.utilization === 'number' ? w.utilization : undefined;
      const level = w.status === 'rejected' ? 'limit' : util === undefined ? undefined : util >= t.critical ? 'critical' : util >= t.warn ? 'warn' : undefined;
      if (!level) continue;
      const key = `${name}:${level}:${w.resetsAt ?? ''}`;
      if (this.notified.has(key)) continue;
      this.notified.add(key);
      const reset = w.resetsAt ? ` Resets ${new Date(w.resetsAt * 1000).toLocaleString()}.` : '';
      if (level === 'limit') {
        this.notifier.notify('usage-limit', 'Claude usage limit reached', `The ${name} limit is used up.${reset}`);
      } else {
        const pct = Math.round(util! * 100);
        this.notifier.notify('usage-warning', `Claude ${name} usage at ${pct}%`, `You have used ${pct}% of your ${name} limit.${reset}`);
      }
    }
    if (s.claude.login !== this.lastLogin) {
      if (s.claude.login === 'not_logged_in') {
        this.notifier.notify('not-logged-in', 'Claude Code is not logged in', 'Run `maxproxy login` (or `claude auth login`) in a terminal, then retry.');
      }
      this.lastLogin = s.claude.login;
    }
  }

  notice(n: StatusNotice): void {
    if (n.kind === 'timeout') this.timeout(n.client, n.sessionId, n.afterMs);
    else if (n.kind === 'cli-crash') this.cliCrash(n);
    else if (n.kind === 'extra-usage') this.extraUsage(n);
    else if (n.kind === 'model-needs-newer-cli') this.modelNeedsNewerCli(n);
  }

  /** Once per model and required version: every retry of the client would repeat it otherwise. */
  modelNeedsNewerCli(n: Extract<StatusNotice, { kind: 'model-needs-newer-cli' }>): void {
    const key = `model-floor:${n.model}:${n.required ?? ''}`;
    if (this.notified.has(key)) return;
    this.notified.add(key);
    const need = n.required ? `Claude Code ${n.required} or newer` : 'a newer Claude Code';
    this.notifier.notify(
      'model-needs-newer-cli',
      `${n.model} needs a newer Claude Code`,
      `${n.model} needs ${need}; maxproxy runs ${n.cliVersion}. Upgrade maxproxy, or start it with --claude-path pointing at a newer claude.`,
    );
  }

  extraUsage(n: Extract<StatusNotice, { kind: 'extra-usage' }>): void {
    const reset = n.resetsAt ? ` It resets ${new Date(n.resetsAt * 1000).toLocaleString()}.` : '';
    const what =
      n.policy === 'refuse'
        ? 'maxproxy refuses new requests until then (429). To allow extra usage, check "Allow extra usage" in the tray menu.'
        : 'Requests go on, billed as extra usage.';
    this.notifier.notify('extra-usage', 'Claude is now billing extra usage', `Your plan's ${n.window} limit is used up.${reset} ${what}`);
  }

  timeout(client: string, sessionId: string | undefined, afterMs: number): void {
    this.notifier.notify(
      'request-timeout',
      'A request timed out',
      `${client}${sessionId ? ` (session ${sessionId.slice(0, 8)})` : ''}: stopped after ${seconds(afterMs)} without output from Claude Code.`,
    );
  }

  cliCrash(n: Extract<StatusNotice, { kind: 'cli-crash' }>): void {
    const who = n.client ? `${n.client}${n.sessionId ? ` (session ${n.sessionId.slice(0, 8)})` : ''}: ` : '';
    const how = n.signal ? `was killed by ${n.signal}` : `exited with code ${n.code ?? 'unknown'}`;
    const pid = n.pid ? ` (pid ${n.pid})` : '';
    const why = lastLine(n.stderr);
    this.notifier.notify('cli-crash', 'Claude Code crashed', `${who}Claude Code${pid} ${how}.${why ? ` ${why}` : ''} The next request starts a new process.`);
  }

  /** A port the user chose from the menu could not be used. */
  portConflict(port: number, err: NodeJS.ErrnoException, stillOn: number): void {
    const why =
      err.code === 'EADDRINUSE' ? 'Another program is using it' : err.code === 'EACCES' ? 'Not allowed (ports below 1024 need extra privileges)' : err.message;
    this.notifier.notify('port-conflict', `Port ${port} is not available`, `${why}. Still listening on port ${stillOn}.`);
  }
}
