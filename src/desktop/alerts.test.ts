import { describe, expect, it } from 'vitest';
import type { StatusSnapshot, UsageWindow } from '../status/types.js';
import { Alerts } from './alerts.js';
import type { Notifier } from './notifier.js';

function snap(patch: { fiveHour?: UsageWindow; weekly?: UsageWindow; login?: StatusSnapshot['claude']['login'] } = {}): StatusSnapshot {
  return {
    version: '0.1.0',
    startedAt: 0,
    server: { state: 'running', host: '127.0.0.1', port: 3456 },
    claude: { path: '', version: '2.1.330', login: patch.login ?? 'logged_in' },
    sessions: [],
    requests: { active: 0, queued: 0, oldestQueuedMs: 0 },
    usage: { fiveHour: patch.fiveHour, weekly: patch.weekly, other: {}, tokensToday: 0, day: '2026-11-20' },
    warnings: [],
  };
}

function setup(thresholds = { warn: 0.75, critical: 0.9 }) {
  const sent: Array<{ kind: string; title: string; message: string }> = [];
  const notifier: Notifier = { notify: (kind, title, message) => void sent.push({ kind, title, message }) };
  return { sent, alerts: new Alerts(notifier, () => thresholds) };
}

const RESET = 1_795_300_000;
const resetText = new Date(RESET * 1000).toLocaleString();

describe('Alerts: usage thresholds (fractions, as in the settings)', () => {
  it('below the warn threshold: nothing', () => {
    const { sent, alerts } = setup();
    alerts.onStatus(snap({ fiveHour: { utilization: 0.74, resetsAt: RESET } }));
    expect(sent).toEqual([]);
  });

  it('warn, then critical: one notification each per window', () => {
    const { sent, alerts } = setup();
    alerts.onStatus(snap({ fiveHour: { utilization: 0.75, resetsAt: RESET } }));
    alerts.onStatus(snap({ fiveHour: { utilization: 0.8, resetsAt: RESET } }));
    alerts.onStatus(snap({ fiveHour: { utilization: 0.9, resetsAt: RESET } }));
    alerts.onStatus(snap({ fiveHour: { utilization: 0.95, resetsAt: RESET } }));
    expect(sent).toEqual([
      { kind: 'usage-warning', title: 'Claude 5-hour usage at 75%', message: `You have used 75% of your 5-hour limit. Resets ${resetText}.` },
      { kind: 'usage-warning', title: 'Claude 5-hour usage at 90%', message: `You have used 90% of your 5-hour limit. Resets ${resetText}.` },
    ]);
  });

  it('a new window (another reset time) warns again', () => {
    const { sent, alerts } = setup();
    alerts.onStatus(snap({ weekly: { utilization: 0.8, resetsAt: RESET } }));
    alerts.onStatus(snap({ weekly: { utilization: 0.8, resetsAt: RESET + 7 * 86400 } }));
    expect(sent.map((s) => s.title)).toEqual(['Claude weekly usage at 80%', 'Claude weekly usage at 80%']);
  });

  it('a rejected window says the limit is reached, even without a utilisation', () => {
    const { sent, alerts } = setup();
    alerts.onStatus(snap({ fiveHour: { status: 'rejected', resetsAt: RESET } }));
    expect(sent).toEqual([{ kind: 'usage-limit', title: 'Claude usage limit reached', message: `The 5-hour limit is used up. Resets ${resetText}.` }]);
  });

  it('configured thresholds are honoured', () => {
    const { sent, alerts } = setup({ warn: 0.5, critical: 0.6 });
    alerts.onStatus(snap({ fiveHour: { utilization: 0.55 } }));
    expect(sent.map((s) => s.title)).toEqual(['Claude 5-hour usage at 55%']);
    expect(sent[0].message).toBe('You have used 55% of your 5-hour limit.');
  });
});

describe('Alerts: login, notices, port', () => {
  it('not logged in: once per change to that state, with what to run', () => {
    const { sent, alerts } = setup();
    alerts.onStatus(snap({ login: 'unknown' }));
    alerts.onStatus(snap({ login: 'not_logged_in' }));
    alerts.onStatus(snap({ login: 'not_logged_in' }));
    alerts.onStatus(snap({ login: 'logged_in' }));
    alerts.onStatus(snap({ login: 'not_logged_in' }));
    expect(sent).toEqual([
      { kind: 'not-logged-in', title: 'Claude Code is not logged in', message: 'Run `maxproxy login` (or `claude auth login`) in a terminal, then retry.' },
      { kind: 'not-logged-in', title: 'Claude Code is not logged in', message: 'Run `maxproxy login` (or `claude auth login`) in a terminal, then retry.' },
    ]);
  });

  it('timeouts say which client and session, after how long', () => {
    const { sent, alerts } = setup();
    alerts.notice({ kind: 'timeout', client: 'OpenClaw', sessionId: '5f0c1d2e-aaaa-bbbb', afterMs: 600_400 });
    alerts.notice({ kind: 'timeout', client: 'curl', afterMs: 2_200 });
    expect(sent).toEqual([
      {
        kind: 'request-timeout',
        title: 'A request timed out',
        message: 'OpenClaw (session 5f0c1d2e): stopped after 10 min 0 s without output from Claude Code.',
      },
      { kind: 'request-timeout', title: 'A request timed out', message: 'curl: stopped after 2 s without output from Claude Code.' },
    ]);
  });

  it('CLI crashes: exit code or signal, and the last line it printed (bounded)', () => {
    const { sent, alerts } = setup();
    alerts.notice({ kind: 'cli-crash', code: 1, signal: null });
    alerts.notice({ kind: 'cli-crash', client: 'Codex', pid: 9, code: null, signal: 'SIGSEGV', stderr: `a\n${'x'.repeat(300)}\n\n` });
    expect(sent[0]).toEqual({
      kind: 'cli-crash',
      title: 'Claude Code crashed',
      message: 'Claude Code exited with code 1. The next request starts a new process.',
    });
    expect(sent[1].message).toMatch(/^Codex: Claude Code \(pid 9\) was killed by SIGSEGV\. x{159}… The next request starts a new process\.$/);
  });

  it('a model that needs a newer Claude Code: once per model and required version, naming both versions and the way out', () => {
    const { sent, alerts } = setup();
    const n = { kind: 'model-needs-newer-cli', model: 'claude-opus-9-9', required: '2.2.0', cliVersion: '2.1.330' } as const;
    alerts.notice(n);
    alerts.notice(n); // the client retried: no second notification
    alerts.notice({ ...n, required: undefined, model: 'claude-sonnet-9' });
    expect(sent).toEqual([
      {
        kind: 'model-needs-newer-cli',
        title: 'claude-opus-9-9 needs a newer Claude Code',
        message:
          'claude-opus-9-9 needs Claude Code 2.2.0 or newer; maxproxy runs 2.1.330. Upgrade maxproxy, or start it with --claude-path pointing at a newer claude.',
      },
      {
        kind: 'model-needs-newer-cli',
        title: 'claude-sonnet-9 needs a newer Claude Code',
        message:
          'claude-sonnet-9 needs a newer Claude Code; maxproxy runs 2.1.330. Upgrade maxproxy, or start it with --claude-path pointing at a newer claude.',
      },
    ]);
  });

  it('port conflicts name the port and the one still in use', () => {
    const { sent, alerts } = setup();
    const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8080'), { code: 'EADDRINUSE' });
    const denied = Object.assign(new Error('listen EACCES: permission denied 127.0.0.1:80'), { code: 'EACCES' });
    alerts.portConflict(8080, inUse, 3456);
    alerts.portConflict(80, denied, 3456);
    alerts.portConflict(1234, new Error('something else'), 3456);
    expect(sent).toEqual([
      { kind: 'port-conflict', title: 'Port 8080 is not available', message: 'Another program is using it. Still listening on port 3456.' },
      {
        kind: 'port-conflict',
        title: 'Port 80 is not available',
        message: 'Not allowed (ports below 1024 need extra privileges). Still listening on port 3456.',
      },
      { kind: 'port-conflict', title: 'Port 1234 is not available', message: 'something else. Still listening on port 3456.' },
    ]);
  });
});
