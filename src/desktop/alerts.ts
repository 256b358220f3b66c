import type { StatusSnapshot } from '../status/types.js';
import type { Notifier } from './notifier.js';

/**
 * Turns status changes into notifications: usage thresholds (once per window and
 * level), login lost, server errors. Request timeouts are reported by the caller
 * through `timeout()`. Pure bookkeeping over snapshots, so it is unit-testable.
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
      if (!w || typeof w.utilization !== 'number') continue;
      const pct = Math.round(w.utilization * 100);
      const level = w.status === 'rejected' ? 'limit' : w.utilization >= t.critical ? 'critical' : w.utilization >= t.warn ? 'warn' : undefined;
      if (!level) continue;
      const key = `${name}:${level}:${w.resetsAt ?? ''}`;
      if (this.notified.has(key)) continue;
      this.notified.add(key);
      const reset = w.resetsAt ? ` Resets ${new Date(w.resetsAt * 1000).toLocaleString()}.` : '';
      if (level === 'limit') this.notifier.notify('usage-limit', 'Claude usage limit reached', `The ${name} limit is used up.${reset}`);
      else this.notifier.notify('usage-warning', `Claude ${name} usage at ${pct}%`, `You have used ${pct}% of your ${name} limit.${reset}`);
    }
    if (s.claude.login !== this.lastLogin) {
      if (s.claude.login === 'not_logged_in') this.notifier.notify('not-logged-in', 'Claude Code is not logged in', 'Run `claude login` in a terminal, then retry.');
      this.lastLogin = s.claude.login;
    }
  }

  timeout(client: string, sessionId: string | undefined, afterMs: number): void {
    this.notifier.notify('request-timeout', 'A request timed out', `${client}${sessionId ? ` (session ${sessionId.slice(0, 8)})` : ''}: no output from Claude Code for ${Math.round(afterMs / 1000)} s.`);
  }
}
