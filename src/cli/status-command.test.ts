import { describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../status/types.js';
import { formatSessions, formatStatus } from './status-command.js';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);

function snapshot(patch: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    version: '0.1.0',
    startedAt: NOW - 60_000,
    server: { state: 'running', host: '127.0.0.1', port: 3456 },
    claude: { path: '/opt/claude', version: '2.1.330', login: 'logged_in' },
    sessions: [],
    requests: { active: 0, queued: 0, oldestQueuedMs: 0 },
    usage: { other: {}, tokensToday: 0, day: '2026-11-20' },
    warnings: [],
    ...patch,
  };
}

const where = { pid: 77, url: 'http://127.0.0.1:3456' };

describe('maxproxy status', () => {
  it('an idle daemon', () => {
    expect(formatStatus(snapshot(), where, NOW)).toBe(
      [
        'maxproxy 0.1.0 (pid 77): running on http://127.0.0.1:3456',
        'Base URL: http://127.0.0.1:3456/v1',
        'Claude Code 2.1.330, logged in (/opt/claude)',
        'Requests: 0 in flight; sessions: 0',
        'Usage: 5-hour no data yet; weekly no data yet; tokens today 0',
      ].join('\n'),
    );
  });

  it('busy, with usage, overage, a limit reached and warnings', () => {
    const s = snapshot({
      server: { state: 'paused', host: '127.0.0.1', port: 3456 },
      claude: { path: '', version: '2.1.330', login: 'not_logged_in' },
      requests: { active: 2, queued: 3, oldestQueuedMs: 1200 },
      usage: {
        fiveHour: { utilization: 0.912, resetsAt: NOW / 1000 + 2 * 3600 + 9 * 60 + 30 },
        weekly: { status: 'rejected', resetsAt: NOW / 1000 + 3 * 86400 },
        other: { seven_day_opus: { utilization: 0.4 } },
        isUsingOverage: true,
        overageStatus: 'allowed',
        tokensToday: 123_456,
        day: '2026-11-20',
      },
      warnings: [{ id: 'queue', level: 'warning', message: 'queue is full', since: NOW }],
    });
    expect(formatStatus(s, where, NOW).split('\n')).toEqual([
      'maxproxy 0.1.0 (pid 77): paused on http://127.0.0.1:3456',
      'Base URL: http://127.0.0.1:3456/v1',
      'Claude Code 2.1.330, NOT logged in (run `maxproxy login`)',
      'Requests: 2 in flight, 3 queued; sessions: 0',
      'Usage: 5-hour 91% (resets in 2h 9m); weekly limit reached (resets in 3d); seven day opus 40%; tokens today 123k',
      'Extra usage in use (allowed)',
      'warning: queue is full',
    ]);
  });

  it('a server error says why', () => {
    const s = snapshot({ server: { state: 'error', host: '127.0.0.1', port: 3456, error: 'port 3456 on 127.0.0.1 is already in use' } });
    expect(formatStatus(s, where, NOW).split('\n')[0]).toBe(
      'maxproxy 0.1.0 (pid 77): not serving: port 3456 on 127.0.0.1 is already in use on http://127.0.0.1:3456',
    );
  });
});

describe('maxproxy sessions', () => {
  it('none', () => {
    expect(formatSessions(snapshot(), NOW)).toBe('No active sessions.');
  });

  it('a table, most recent first as the daemon sends them', () => {
    const s = snapshot({
      sessions: [
        {
          id: 'a1b2c3d4-0000-4000-8000-000000000001',
          client: 'OpenClaw',
          model: 'claude-sonnet-5-5',
          turns: 12,
          inputTokens: 45_200,
          outputTokens: 3_100,
          lastActivity: NOW - 5_000,
          state: 'busy',
          pid: 1234,
        },
        { id: 'short', client: 'curl', model: 'opus', turns: 1, inputTokens: 10, outputTokens: 5, lastActivity: NOW - 3_600_000, state: 'waiting_tools' },
      ],
    });
    expect(formatSessions(s, NOW).split('\n')).toEqual([
      'SESSION                               CLIENT    MODEL       TURNS  TOKENS IN/OUT  STATE              LAST ACTIVITY  PID',
      'a1b2c3d4-0000-4000-8000-000000000001  OpenClaw  sonnet-5-5  12     45.2k/3.1k     busy               just now       1234',
      'short                                 curl      opus        1      10/5           waiting for tools  1h ago         -',
    ]);
  });
});

describe('maxproxy status: the usage ledger', () => {
  it('billing path of the last turn, extra-usage turns today, top clients by share of the 5-hour window', () => {
    const s = snapshot({
      ledger: {
        lastTurn: { billing: 'plan', client: 'Codex', endedAt: NOW - 30_000 },
        turnsToday: 5,
        tokensToday: 900,
        extraUsageTurnsToday: 0,
        topClients: [
          { client: 'Codex', turns: 4, fiveHour: 0.12, weekly: 0.02, budgetPercent: 20 },
          { client: 'curl', turns: 1, fiveHour: 0.01, weekly: 0 },
        ],
        extraUsagePolicy: 'refuse',
      },
    });
    const lines = formatStatus(s, where, NOW).split('\n');
    expect(lines).toContain('Last turn billed to: plan (Codex, 30s ago); extra-usage turns today: 0; extra usage policy: refuse');
    expect(lines).toContain('Top clients (share of the 5-hour window): Codex 12.0% (budget 20%), curl 1.0%');
  });
});
