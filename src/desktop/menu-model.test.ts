import { describe, expect, it } from 'vitest';
import type { SessionInfo, StatusSnapshot } from '../status/types.js';
import {
  buildMenu,
  DEFAULT_THRESHOLDS,
  formatTokens,
  type MenuItem,
  type MenuModel,
  type MenuPrefs,
  menuActions,
  SESSION_SLOTS,
  shortModel,
  WARNING_SLOTS,
} from './menu-model.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

function snapshot(patch: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    version: '0.1.0',
    startedAt: NOW - 3600_000,
    server: { state: 'running', host: '127.0.0.1', port: 3456 },
    claude: { path: '/usr/local/bin/claude', version: '2.1.330', login: 'logged_in' },
    sessions: [],
    requests: { active: 0, queued: 0, oldestQueuedMs: 0 },
    usage: { other: {}, tokensToday: 0, day: '2026-11-21' },
    warnings: [],
    ...patch,
  };
}

const prefs = (patch: Partial<MenuPrefs> = {}): MenuPrefs => ({
  startAtLogin: true,
  notifications: false,
  port: 3456,
  portPresets: [3456, 8080, 11434],
  thresholds: DEFAULT_THRESHOLDS,
  ...patch,
});

function session(i: number, patch: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id: `s${i}`,
    client: 'OpenClaw',
    model: 'claude-sonnet-5-5',
    turns: i,
    inputTokens: 1000 * i,
    outputTokens: 234,
    lastActivity: NOW - i * 60_000,
    state: 'idle',
    ...patch,
  };
}

function flatten(items: MenuItem[]): MenuItem[] {
  return items.flatMap((i) => [i, ...flatten(i.children ?? [])]);
}
const find = (m: MenuModel, id: string): MenuItem => {
  const it = flatten(m.items).find((i) => i.id === id);
  if (!it) throw new Error(`no item ${id}`);
  return it;
};
const visible = (m: MenuModel): MenuItem[] => m.items.filter((i) => !i.hidden && !i.separator);
const warningLines = (m: MenuModel): string[] => m.items.filter((i) => i.id.startsWith('warning:') && !i.hidden).map((i) => i.title);
const shape = (items: MenuItem[]): unknown => items.map((i) => (i.separator ? 'S' : i.children ? shape(i.children) : 'I'));

describe('buildMenu', () => {
  it('idle: running with nothing in flight', () => {
    const m = buildMenu(snapshot(), prefs(), NOW);
    expect(m.icon).toBe('idle');
    expect(m.title).toBe('');
    expect(m.tooltip).toBe('maxproxy: Running on 127.0.0.1:3456');
    expect(find(m, 'header').title).toBe('maxproxy 0.1.0');
    expect(find(m, 'status')).toMatchObject({ title: 'Running on 127.0.0.1:3456', enabled: false });
    expect(find(m, 'claude').title).toBe('Claude Code 2.1.330 · logged in');
    expect(find(m, 'requests').title).toBe('No requests in flight');
    expect(warningLines(m)).toEqual([]);
    expect(find(m, 'usage-5h').hidden).toBe(true);
    expect(find(m, 'usage-weekly').hidden).toBe(true);
    expect(find(m, 'usage-today')).toMatchObject({ title: 'Tokens today: 0', hidden: false });
    expect(find(m, 'sessions-header').title).toBe('No active sessions');
    expect(find(m, 'pause')).toMatchObject({ title: 'Pause', enabled: true });
    expect(find(m, 'toggle-login')).toMatchObject({ title: 'Start at login', checked: true });
    expect(find(m, 'toggle-notifications')).toMatchObject({ title: 'Notifications', checked: false });
    expect(find(m, 'copy-url').title).toBe('Copy base URL (http://127.0.0.1:3456/v1)');
    expect(m.items.at(-1)).toMatchObject({ id: 'quit', title: 'Quit maxproxy', enabled: true });
    expect(visible(m).map((i) => i.id)).toEqual([
      'header',
      'status',
      'claude',
      'requests',
      'usage-today',
      'sessions-header',
      'toggle-login',
      'port',
      'toggle-notifications',
      'pause',
      'copy-url',
      'open-dashboard',
      'open-logs',
      'open-settings',
      'quit',
    ]);
  });

  it('serving: requests in flight and queued', () => {
    const m = buildMenu(
      snapshot({
        requests: { active: 2, queued: 1, oldestQueuedMs: 12_400 },
        sessions: [session(1, { state: 'busy', pid: 4242 })],
        usage: { other: {}, tokensToday: 123_456, day: '2026-11-21' },
      }),
      prefs(),
      NOW,
    );
    expect(m.icon).toBe('serving');
    expect(find(m, 'requests').title).toBe('2 requests in flight · 1 queued (oldest 12s)');
    expect(m.tooltip).toBe('maxproxy: Running on 127.0.0.1:3456\n2 requests in flight · 1 queued (oldest 12s)');
    expect(find(m, 'usage-today').title).toBe('Tokens today: 123k');
    expect(find(m, 'sessions-header').title).toBe('Sessions (1)');
    const s = find(m, 'session:s1');
    expect(s).toMatchObject({
      title: 'OpenClaw · sonnet-5-5 · 1 turn · 1.2k tokens · 1m ago',
      enabled: true,
    });
    expect(s.hidden).toBeUndefined();
    expect(s.children).toEqual([
      { id: 'session-info:s1', title: 'claude-sonnet-5-5 · answering · pid 4242', enabled: false, hidden: false },
      { id: 'session-end:s1', title: 'End session', enabled: true },
    ]);
    expect(buildMenu(snapshot({ requests: { active: 1, queued: 0, oldestQueuedMs: 0 } }), prefs(), NOW).icon).toBe('serving');
  });

  it('below the warn threshold stays idle but shows usage', () => {
    const m = buildMenu(
      snapshot({
        usage: {
          fiveHour: { utilization: 0.744, resetsAt: NOW / 1000 + 2 * 3600 + 14 * 60 + 30, status: 'allowed' },
          weekly: { utilization: 0.3, resetsAt: NOW / 1000 + 3 * 86400 + 4 * 3600 },
          other: {},
          tokensToday: 999,
          day: '2026-11-21',
        },
      }),
      prefs(),
      NOW,
    );
    expect(m.icon).toBe('idle');
    expect(m.title).toBe('');
    expect(find(m, 'usage-5h')).toMatchObject({ title: '5-hour limit: 74% used · resets in 2h 14m', hidden: false });
    expect(find(m, 'usage-weekly')).toMatchObject({ title: 'Weekly limit: 30% used · resets in 3d 4h', hidden: false });
    expect(find(m, 'usage-today').title).toBe('Tokens today: 999');
  });

  it('warning at 75%', () => {
    const m = buildMenu(
      snapshot({
        usage: {
          fiveHour: { utilization: 0.75, resetsAt: NOW / 1000 + 2 * 3600 + 14 * 60 },
          other: {},
          tokensToday: 0,
          day: '2026-11-21',
        },
      }),
      prefs(),
      NOW,
    );
    expect(m.icon).toBe('warning');
    expect(m.title).toBe('75%');
    expect(warningLines(m)).toEqual(['⚠ 5-hour limit at 75% — resets in 2h 14m']);
    expect(find(m, 'warning:usage-5h').enabled).toBe(true);
    expect(m.tooltip).toBe('maxproxy: Running on 127.0.0.1:3456\n5-hour limit at 75% — resets in 2h 14m');
  });

  it('warning at 90% says nearly used up', () => {
    const m = buildMenu(
      snapshot({
        requests: { active: 1, queued: 0, oldestQueuedMs: 0 },
        usage: {
          fiveHour: { utilization: 0.5 },
          weekly: { utilization: 0.9, resetsAt: NOW / 1000 + 86400 },
          other: {},
          tokensToday: 0,
          day: '2026-11-21',
        },
      }),
      prefs(),
      NOW,
    );
    // A warning outranks serving.
    expect(m.icon).toBe('warning');
    expect(m.title).toBe('90%');
    expect(warningLines(m)).toEqual(['⚠ Weekly limit at 90%, nearly used up — resets in 1d']);
    expect(find(m, 'usage-5h').title).toBe('5-hour limit: 50% used');
  });

  it('honours custom thresholds', () => {
    const s = snapshot({ usage: { fiveHour: { utilization: 0.6 }, other: {}, tokensToday: 0, day: 'x' } });
    expect(buildMenu(s, prefs({ thresholds: { warn: 50, critical: 60 } }), NOW).items.map((i) => i.title)).toContain('⚠ 5-hour limit at 60%, nearly used up');
    expect(buildMenu(s, prefs({ thresholds: { warn: 61, critical: 95 } }), NOW).icon).toBe('idle');
  });

  it('error: Claude Code not logged in', () => {
    const m = buildMenu(snapshot({ claude: { path: '/usr/local/bin/claude', version: '2.1.330', login: 'not_logged_in' } }), prefs(), NOW);
    expect(m.icon).toBe('error');
    expect(find(m, 'claude').title).toBe('Claude Code 2.1.330 · NOT logged in');
    expect(warningLines(m)).toEqual(['✖ Claude Code is not logged in: run `maxproxy login`']);
  });

  it('error: port taken', () => {
    const m = buildMenu(snapshot({ server: { state: 'error', host: '127.0.0.1', port: 3456, error: 'port 3456 is already in use' } }), prefs(), NOW);
    expect(m.icon).toBe('error');
    expect(find(m, 'status').title).toBe('Not running: port 3456 is already in use');
    expect(find(m, 'pause')).toMatchObject({ enabled: false });
    expect(m.tooltip).toBe('maxproxy: Not running: port 3456 is already in use');
  });

  it('paused offers Resume', () => {
    const m = buildMenu(snapshot({ server: { state: 'paused', host: '127.0.0.1', port: 3456 } }), prefs(), NOW);
    expect(m.icon).toBe('idle');
    expect(find(m, 'status').title).toBe('Paused on 127.0.0.1:3456: requests are refused');
    expect(find(m, 'resume')).toMatchObject({ title: 'Resume', enabled: true });
    expect(flatten(m.items).some((i) => i.id === 'pause')).toBe(false);
  });

  it('starting and stopping', () => {
    const starting = buildMenu(snapshot({ server: { state: 'starting', host: '127.0.0.1', port: 0 } }), prefs(), NOW);
    expect(find(starting, 'status').title).toBe('Starting on 127.0.0.1:0…');
    expect(find(starting, 'pause').enabled).toBe(false);
    // Before the server has a port, the URL uses the configured one.
    expect(find(starting, 'copy-url').title).toBe('Copy base URL (http://127.0.0.1:3456/v1)');
    const stopping = buildMenu(snapshot({ server: { state: 'stopping', host: '127.0.0.1', port: 3456 } }), prefs(), NOW);
    expect(find(stopping, 'status').title).toBe('Stopping…');
  });

  it('many sessions: most recent in slots, the rest counted', () => {
    const sessions = Array.from({ length: 11 }, (_, i) => session(i + 1));
    const m = buildMenu(snapshot({ sessions: [...sessions].reverse() }), prefs(), NOW);
    expect(find(m, 'sessions-header').title).toBe(`Sessions (11, ${SESSION_SLOTS} most recent shown)`);
    const shown = m.items.filter((i) => i.id.startsWith('session:'));
    expect(shown.map((i) => i.id)).toEqual(['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'].map((s) => `session:${s}`));
    expect(shown[7].title).toBe('OpenClaw · sonnet-5-5 · 8 turns · 8.2k tokens · 8m ago');
    expect(m.items.filter((i) => i.id.startsWith('session-slot:'))).toEqual([]);
    for (const s of shown) expect(s.children?.[1].id).toBe(`session-end:${s.id.slice('session:'.length)}`);
  });

  it('few sessions leave hidden slots with the same submenu shape', () => {
    const m = buildMenu(snapshot({ sessions: [session(1), session(2, { state: 'waiting_tools' })] }), prefs(), NOW);
    const slots = m.items.filter((i) => i.id.startsWith('session-slot:'));
    expect(slots).toHaveLength(SESSION_SLOTS - 2);
    for (const s of slots) {
      expect(s.hidden).toBe(true);
      expect(s.children).toHaveLength(2);
    }
    expect(find(m, 'session-info:s2').title).toBe('claude-sonnet-5-5 · waiting for client tools');
  });

  it('warnings from status: queue full, error level, overflow', () => {
    const one = buildMenu(
      snapshot({ warnings: [{ id: 'queue-full', level: 'warning', message: 'Request queue is full (16 waiting)', since: NOW }] }),
      prefs(),
      NOW,
    );
    expect(one.icon).toBe('warning');
    expect(warningLines(one)).toEqual(['⚠ Request queue is full (16 waiting)']);
    expect(menuActions('warning:queue-full')).toEqual({ type: 'open-logs' });

    const err = buildMenu(snapshot({ warnings: [{ id: 'cli-missing', level: 'error', message: 'claude not found', since: NOW }] }), prefs(), NOW);
    expect(err.icon).toBe('error');

    const many = buildMenu(
      snapshot({
        claude: { path: '', version: 'unknown', login: 'not_logged_in' },
        warnings: Array.from({ length: 6 }, (_, i) => ({ id: `w${i}`, level: 'warning' as const, message: `w${i}`, since: NOW + i })),
      }),
      prefs(),
      NOW,
    );
    expect(find(many, 'claude').title).toBe('Claude Code (version unknown) · NOT logged in');
    expect(warningLines(many)).toEqual(['✖ Claude Code is not logged in: run `maxproxy login`', '⚠ w0', '⚠ w1', '⚠ w2', '… and 3 more warnings (see logs)']);
  });

  it('a status warning cannot shadow a computed one (ids stay unique)', () => {
    const m = buildMenu(
      snapshot({
        claude: { path: '', version: '2.1.330', login: 'not_logged_in' },
        warnings: [{ id: 'login', level: 'error', message: 'duplicate', since: NOW }],
      }),
      prefs(),
      NOW,
    );
    expect(warningLines(m)).toEqual(['✖ Claude Code is not logged in: run `maxproxy login`']);
  });

  it('limit reached and overage', () => {
    const m = buildMenu(
      snapshot({
        usage: {
          fiveHour: { utilization: 1, status: 'rejected', resetsAt: NOW / 1000 + 65 * 60 },
          other: { seven_day_opus: { utilization: 0.42 } },
          isUsingOverage: true,
          overageStatus: 'allowed',
          tokensToday: 2_500_000,
          day: '2026-11-21',
        },
      }),
      prefs(),
      NOW,
    );
    expect(m.icon).toBe('error');
    expect(m.title).toBe('100%');
    expect(warningLines(m)).toEqual(['✖ 5-hour limit reached — resets in 1h 5m', '⚠ Using extra usage beyond your plan (allowed)']);
    expect(find(m, 'usage-5h').title).toBe('5-hour limit: limit reached · resets in 1h 5m');
    expect(find(m, 'usage-other')).toMatchObject({ title: 'Other limits: 7-day opus 42%', hidden: false });
    expect(find(m, 'usage-overage')).toMatchObject({ title: 'Extra usage in use (allowed)', hidden: false });
    expect(find(m, 'usage-today').title).toBe('Tokens today: 2.5M');

    const overageOnly = buildMenu(snapshot({ usage: { other: {}, isUsingOverage: true, tokensToday: 0, day: 'x' } }), prefs(), NOW);
    expect(overageOnly.icon).toBe('warning');
  });

  it('port submenu: presets plus the configured port, checked = configured', () => {
    const inPresets = find(buildMenu(snapshot(), prefs(), NOW), 'port');
    expect(inPresets.title).toBe('Port: 3456');
    expect(inPresets.children).toEqual([
      { id: 'port:3456', title: '3456', enabled: true, checked: true },
      { id: 'port:8080', title: '8080', enabled: true, checked: false },
      { id: 'port:11434', title: '11434', enabled: true, checked: false },
      { id: 'port-slot', title: '', enabled: false, checked: false, hidden: true },
    ]);
    const custom = find(buildMenu(snapshot(), prefs({ port: 4000 }), NOW), 'port');
    expect(custom.title).toBe('Port: 4000 (now 3456)');
    expect(custom.children?.map((c) => [c.id, c.checked, c.hidden ?? false])).toEqual([
      ['port:3456', false, false],
      ['port:8080', false, false],
      ['port:11434', false, false],
      ['port:4000', true, false],
    ]);
  });

  it('keeps the same shape in every state and unique ids', () => {
    const states: StatusSnapshot[] = [
      snapshot(),
      snapshot({ server: { state: 'paused', host: '127.0.0.1', port: 3456 } }),
      snapshot({ server: { state: 'error', host: '127.0.0.1', port: 3456, error: 'x' } }),
      snapshot({ sessions: Array.from({ length: 20 }, (_, i) => session(i)) }),
      snapshot({ warnings: Array.from({ length: 9 }, (_, i) => ({ id: `w${i}`, level: 'error' as const, message: 'm', since: i })) }),
      snapshot({
        usage: {
          fiveHour: { utilization: 0.99 },
          weekly: { utilization: 0.99 },
          other: { a: { utilization: 1 } },
          isUsingOverage: true,
          tokensToday: 5,
          day: 'x',
        },
      }),
    ];
    const shapes = new Set<string>();
    for (const s of states) {
      for (const p of [prefs(), prefs({ port: 9999 }), prefs({ startAtLogin: false, notifications: true })]) {
        const m = buildMenu(s, p, NOW);
        shapes.add(JSON.stringify(shape(m.items)));
        const ids = flatten(m.items).map((i) => i.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(m.items.filter((i) => i.id.startsWith('warning')).length).toBe(WARNING_SLOTS);
      }
    }
    expect(shapes.size).toBe(1);
  });

  it('is pure: same input, same output; input untouched', () => {
    const s = snapshot({ sessions: [session(2), session(1)] });
    const copy = structuredClone(s);
    expect(buildMenu(s, prefs(), NOW)).toEqual(buildMenu(s, prefs(), NOW));
    expect(s).toEqual(copy);
  });

  it('brackets an IPv6 host in the URL', () => {
    const m = buildMenu(snapshot({ server: { state: 'running', host: '::1', port: 3456 } }), prefs(), NOW);
    expect(find(m, 'copy-url').title).toBe('Copy base URL (http://[::1]:3456/v1)');
  });
});

describe('menuActions', () => {
  it('maps every actionable id', () => {
    expect(menuActions('toggle-login')).toEqual({ type: 'toggle-login' });
    expect(menuActions('port:8080')).toEqual({ type: 'set-port', port: 8080 });
    expect(menuActions('toggle-notifications')).toEqual({ type: 'toggle-notifications' });
    expect(menuActions('pause')).toEqual({ type: 'pause' });
    expect(menuActions('resume')).toEqual({ type: 'resume' });
    expect(menuActions('session-end:abc:def')).toEqual({ type: 'end-session', id: 'abc:def' });
    expect(menuActions('copy-url')).toEqual({ type: 'copy-url' });
    expect(menuActions('open-dashboard')).toEqual({ type: 'open-dashboard' });
    expect(menuActions('open-logs')).toEqual({ type: 'open-logs' });
    expect(menuActions('open-settings')).toEqual({ type: 'open-settings' });
    expect(menuActions('quit')).toEqual({ type: 'quit' });
  });

  it('returns null for info lines, parents, slots and nonsense', () => {
    for (const id of [
      'header',
      'status',
      'claude',
      'requests',
      'usage-5h',
      'sessions-header',
      'session:s1',
      'session-info:s1',
      'session-slot:0',
      'session-slot:0:end',
      'port',
      'port-slot',
      'port:0',
      'port:70000',
      'port:abc',
      'session-end:',
      'warning-slot:1',
      'sep:1',
      '',
    ]) {
      expect(menuActions(id), id).toBeNull();
    }
  });

  it('every enabled leaf of a full menu has an action', () => {
    const m = buildMenu(snapshot({ sessions: [session(1)], warnings: [{ id: 'q', level: 'warning', message: 'q', since: 0 }] }), prefs({ port: 4000 }), NOW);
    const leaves = flatten(m.items).filter((i) => i.enabled && !i.hidden && !i.children && !i.separator);
    for (const l of leaves) expect(menuActions(l.id), l.id).not.toBeNull();
  });
});

describe('formatters', () => {
  it('formatTokens', () => {
    expect(formatTokens(0)).toBe('0');
    expect(formatTokens(999)).toBe('999');
    expect(formatTokens(1000)).toBe('1k');
    expect(formatTokens(12_345)).toBe('12.3k');
    expect(formatTokens(123_456)).toBe('123k');
    expect(formatTokens(1_234_567)).toBe('1.2M');
    expect(formatTokens(234_000_000)).toBe('234M');
  });
  it('shortModel', () => {
    expect(shortModel('claude-opus-4-1-20250805')).toBe('opus-4-1');
    expect(shortModel('gpt-4o')).toBe('gpt-4o');
    expect(shortModel('claude-')).toBe('claude-');
  });
});

describe('usage ledger lines and the extra-usage toggle', () => {
  const ledger = {
    lastTurn: { billing: 'extra_usage' as const, client: 'OpenClaw', endedAt: NOW - 120_000 },
    turnsToday: 12,
    tokensToday: 34_000,
    extraUsageTurnsToday: 3,
    topClients: [
      { client: 'OpenClaw', turns: 9, fiveHour: 0.315, weekly: 0.05, budgetPercent: 30 },
      { client: 'curl', turns: 3, fiveHour: 0.02, weekly: 0.01 },
    ],
    extraUsagePolicy: 'refuse' as const,
  };

  it('shows the billing path of the last turn, extra-usage turns today and the top clients with budgets', () => {
    const m = buildMenu(snapshot({ ledger }), prefs({ extraUsage: 'refuse' }), NOW);
    expect(find(m, 'usage-last-billing')).toMatchObject({ title: 'Last turn billed to: EXTRA USAGE (OpenClaw, 2m ago)', hidden: false });
    expect(find(m, 'usage-extra-today')).toMatchObject({ title: 'Extra-usage turns today: 3', hidden: false });
    expect(find(m, 'usage-client:OpenClaw').title).toBe('OpenClaw: 31.5% of the 5-hour window (budget 30%) · over budget');
    expect(find(m, 'usage-client:curl').title).toBe('curl: 2.0% of the 5-hour window');
    expect(find(m, 'usage-client-slot:2').hidden).toBe(true);
    expect(find(m, 'toggle-extra-usage')).toMatchObject({ title: 'Allow extra usage', checked: false, hidden: false, enabled: true });
    expect(find(m, 'toggle-extra-usage').checked).toBe(false);
    expect(buildMenu(snapshot({ ledger }), prefs({ extraUsage: 'notify' }), NOW).items.find((i) => i.id === 'toggle-extra-usage')?.checked).toBe(true);
    expect(menuActions('toggle-extra-usage')).toEqual({ type: 'toggle-extra-usage' });
  });

  it('keeps its shape with and without ledger data', () => {
    const a = buildMenu(snapshot(), prefs({ extraUsage: 'refuse' }), NOW);
    const b = buildMenu(snapshot({ ledger }), prefs({ extraUsage: 'refuse' }), NOW);
    expect(shape(a.items)).toEqual(shape(b.items));
    expect(find(a, 'usage-last-billing').hidden).toBe(true);
    expect(find(a, 'usage-extra-today').hidden).toBe(true);
  });
});
