// Over 400 lines on purpose: the whole menu as one pure function of status, so every line of it is tested together.
/**
 * The tray menu as a pure function of the live status, the user's preferences and the
 * clock. Nothing here touches the tray binary: `tray-process.ts` renders a MenuModel.
 *
 * Shape stability: the tray binary (systray2's Go program) cannot add or remove items
 * after its first menu; it can only update, hide and show them. So the menu always has
 * the same shape for the same `portPresets`: lists that grow and shrink (sessions,
 * warnings) live in a fixed number of slots, and unused slots are `hidden`. Ids are
 * stable for what an item means ('session-end:<id>', 'port:3456'); hidden slots get
 * placeholder ids that map to no action.
 */
import { formatAgo, formatIn } from '../status/relative-time.js';
import type { SessionInfo, StatusSnapshot, UsageWindow } from '../status/types.js';

export type TrayIconName = 'idle' | 'serving' | 'warning' | 'error';

export interface MenuItem {
  /** Stable id; `menuActions(id)` says what a click on it does. */
  id: string;
  title: string;
  enabled: boolean;
  /** Present only on checkable items. */
  checked?: boolean;
  /** Unused slot or a line that has nothing to say right now. */
  hidden?: boolean;
  tooltip?: string;
  separator?: boolean;
  /** A submenu. Clicking its parent does nothing. */
  children?: MenuItem[];
}

export interface MenuModel {
  icon: TrayIconName;
  /** Text beside the icon (macOS menu bar, Linux indicator label); '' for none. */
  title: string;
  tooltip: string;
  items: MenuItem[];
}

export interface MenuThresholds {
  /** Percent (0-100) of a usage window at which the tray turns to 'warning'. */
  warn: number;
  /** Percent (0-100) at which the warning says the window is nearly used up. */
  critical: number;
}

export interface MenuPrefs {
  startAtLogin: boolean;
  notifications: boolean;
  port: number;
  portPresets: number[];
  thresholds: MenuThresholds;
  /** The extra-usage policy; the "Allow extra usage" toggle shows only when given. */
  extraUsage?: 'refuse' | 'notify' | 'allow';
}

export const DEFAULT_THRESHOLDS: MenuThresholds = { warn: 75, critical: 90 };
/** Sessions shown individually; more are summed up in the header. */
export const SESSION_SLOTS = 8;
/** Clients shown with their share of the current 5-hour window. */
export const CLIENT_SLOTS = 3;
/** Warning lines; the last slot says "… and N more" when there are more. */
export const WARNING_SLOTS = 5;

export type MenuAction =
  | { type: 'toggle-login' }
  | { type: 'set-port'; port: number }
  | { type: 'toggle-notifications' }
  | { type: 'toggle-extra-usage' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'end-session'; id: string }
  | { type: 'copy-url' }
  | { type: 'open-dashboard' }
  | { type: 'open-logs' }
  | { type: 'open-settings' }
  | { type: 'quit' };

/** What a click on the item with this id does; null for info lines, parents and slots. */
export function menuActions(id: string): MenuAction | null {
  switch (id) {
    case 'toggle-login':
    case 'toggle-notifications':
    case 'toggle-extra-usage':
    case 'pause':
    case 'resume':
    case 'copy-url':
    case 'open-dashboard':
    case 'open-logs':
    case 'open-settings':
    case 'quit':
      return { type: id };
  }
  const port = /^port:(\d{1,5})$/.exec(id);
  if (port) {
    const n = Number(port[1]);
    return n >= 1 && n <= 65535 ? { type: 'set-port', port: n } : null;
  }
  if (id.startsWith('session-end:') && id.length > 'session-end:'.length) {
    return { type: 'end-session', id: id.slice('session-end:'.length) };
  }
  // A warning is worth a look at the logs; its line is enabled so it reads clearly.
  if (id.startsWith('warning:')) return { type: 'open-logs' };
  return null;
}

// ---------------------------------------------------------------------------------------
// Formatting helpers (exported for tests and for other renderers of the same status).

/** 950 → "950", 12345 → "12.3k", 123456 → "123k", 1234567 → "1.2M". */
export function formatTokens(n: number): string {
  if (n < 1000) return String(Math.max(0, Math.round(n)));
  if (n < 100_000) return `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  if (n < 100_000_000) return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, '')}M`;
  return `${Math.round(n / 1_000_000)}M`;
}

/** "claude-opus-4-1-20250805" → "opus-4-1": the part that tells models apart. */
export function shortModel(model: string): string {
  return model.replace(/^claude-/, '').replace(/-\d{8}$/, '') || model;
}

function formatMs(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

export function baseUrl(host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}/v1`;
}

const pct = (w: UsageWindow | undefined): number | undefined =>
  typeof w?.utilization === 'number' && Number.isFinite(w.utilization) ? Math.round(w.utilization * 100) : undefined;

/** Turns the CLI's rateLimitType keys into words ("seven_day_opus" → "7-day opus"). */
function windowName(key: string): string {
  return key
    .replace(/^seven_day/, '7-day')
    .replace(/^five_hour/, '5-hour')
    .replace(/_/g, ' ');
}

// ---------------------------------------------------------------------------------------

interface Warning {
  key: string;
  level: 'warning' | 'error';
  text: string;
}

function usageWarnings(s: StatusSnapshot, t: MenuThresholds, now: number): Warning[] {
  const out: Warning[] = [];
  const windows: Array<[string, string, UsageWindow | undefined]> = [
    ['usage-5h', '5-hour limit', s.usage.fiveHour],
    ['usage-weekly', 'Weekly limit', s.usage.weekly],
    ...Object.entries(s.usage.other).map(([k, w]): [string, string, UsageWindow] => [`usage-${k}`, `${windowName(k)} limit`, w]),
  ];
  for (const [key, name, w] of windows) {
    if (!w) continue;
    const p = pct(w);
    const resets = typeof w.resetsAt === 'number' ? ` — resets ${formatIn(w.resetsAt * 1000, now)}` : '';
    if (w.status === 'rejected') {
      out.push({ key, level: 'error', text: `${name} reached${resets}` });
    } else if (p !== undefined && p >= t.critical) {
      out.push({ key, level: 'warning', text: `${name} at ${p}%, nearly used up${resets}` });
    } else if (p !== undefined && p >= t.warn) {
      out.push({ key, level: 'warning', text: `${name} at ${p}%${resets}` });
    }
  }
  if (s.usage.isUsingOverage) {
    const st = s.usage.overageStatus ? ` (${s.usage.overageStatus})` : '';
    out.push({ key: 'overage', level: 'warning', text: `Using extra usage beyond your plan${st}` });
  }
  return out;
}

function allWarnings(s: StatusSnapshot, prefs: MenuPrefs, now: number): Warning[] {
  const out: Warning[] = [];
  if (s.claude.login === 'not_logged_in') {
    out.push({ key: 'login', level: 'error', text: 'Claude Code is not logged in: run `maxproxy login`' });
  }
  out.push(...usageWarnings(s, prefs.thresholds, now));
  const fromStatus = [...s.warnings].sort((a, b) => a.since - b.since || a.id.localeCompare(b.id));
  // Ids must stay unique in the menu: a status warning cannot shadow a computed one.
  const keys = new Set(out.map((w) => w.key));
  for (const w of fromStatus) if (!keys.has(w.id)) out.push({ key: w.id, level: w.level, text: w.message });
  // Errors first: they are what stops requests.
  return [...out.filter((w) => w.level === 'error'), ...out.filter((w) => w.level === 'warning')];
}

function pickIcon(s: StatusSnapshot, warnings: Warning[]): TrayIconName {
  if (s.server.state === 'error' || warnings.some((w) => w.level === 'error')) return 'error';
  if (warnings.length > 0) return 'warning';
  if (s.server.state === 'running' && s.requests.active + s.requests.queued > 0) return 'serving';
  return 'idle';
}

function statusLine(s: StatusSnapshot): string {
  const where = `${s.server.host}:${s.server.port}`;
  switch (s.server.state) {
    case 'starting':
      return `Starting on ${where}…`;
    case 'running':
      return `Running on ${where}`;
    case 'paused':
      return `Paused on ${where}: requests are refused`;
    case 'stopping':
      return 'Stopping…';
    case 'error':
      return `Not running: ${s.server.error || 'unknown error'}`;
  }
}

function claudeLine(s: StatusSnapshot): string {
  const v = s.claude.version && s.claude.version !== 'unknown' ? `Claude Code ${s.claude.version}` : 'Claude Code (version unknown)';
  const login = s.claude.login === 'logged_in' ? 'logged in' : s.claude.login === 'not_logged_in' ? 'NOT logged in' : 'login not checked yet';
  return `${v} · ${login}`;
}

function requestsLine(s: StatusSnapshot): string {
  const { active, queued, oldestQueuedMs } = s.requests;
  if (active === 0 && queued === 0) return 'No requests in flight';
  const q = queued > 0 ? ` · ${queued} queued${oldestQueuedMs > 0 ? ` (oldest ${formatMs(oldestQueuedMs)})` : ''}` : '';
  return `${active} request${active === 1 ? '' : 's'} in flight${q}`;
}

const info = (id: string, title: string, hidden = false): MenuItem => ({ id, title, enabled: false, hidden });
const sep = (n: number): MenuItem => ({ id: `sep:${n}`, title: '', enabled: false, separator: true });

function usageItems(s: StatusSnapshot, now: number): MenuItem[] {
  const line = (name: string, w: UsageWindow | undefined): string | undefined => {
    if (!w) return undefined;
    const p = pct(w);
    const used = w.status === 'rejected' ? 'limit reached' : p !== undefined ? `${p}% used` : undefined;
    const resets = typeof w.resetsAt === 'number' ? `resets ${formatIn(w.resetsAt * 1000, now)}` : undefined;
    const parts = [used, resets].filter(Boolean);
    return parts.length ? `${name}: ${parts.join(' · ')}` : undefined;
  };
  const fiveHour = line('5-hour limit', s.usage.fiveHour);
  const weekly = line('Weekly limit', s.usage.weekly);
  const others = Object.entries(s.usage.other)
    .map(([k, w]) => {
      const p = pct(w);
      return p === undefined ? undefined : `${windowName(k)} ${p}%`;
    })
    .filter((x): x is string => !!x)
    .sort();
  const overage = s.usage.isUsingOverage ? `Extra usage in use${s.usage.overageStatus ? ` (${s.usage.overageStatus})` : ''}` : undefined;
  return [
    info('usage-5h', fiveHour ?? '5-hour limit: no data yet', fiveHour === undefined),
    info('usage-weekly', weekly ?? 'Weekly limit: no data yet', weekly === undefined),
    info('usage-other', others.length ? `Other limits: ${others.join(', ')}` : 'Other limits: none', others.length === 0),
    info('usage-overage', overage ?? 'Extra usage: not in use', overage === undefined),
    info('usage-today', `Tokens today: ${formatTokens(s.usage.tokensToday)}`),
    ...ledgerItems(s, now),
  ];
}

const BILLING_WORDS = { plan: 'plan', extra_usage: 'EXTRA USAGE', unknown: 'not reported' } as const;

/** The ledger's lines: billing path of the last turn, extra-usage turns today, top clients by share of the 5-hour window. */
function ledgerItems(s: StatusSnapshot, now: number): MenuItem[] {
  const l = s.ledger;
  const last = l?.lastTurn;
  const items: MenuItem[] = [
    info(
      'usage-last-billing',
      last ? `Last turn billed to: ${BILLING_WORDS[last.billing]} (${last.client}, ${formatAgo(last.endedAt, now)})` : 'Last turn: none yet',
      !last,
    ),
    info('usage-extra-today', `Extra-usage turns today: ${l?.extraUsageTurnsToday ?? 0}`, !l || (l.extraUsageTurnsToday === 0 && !s.usage.isUsingOverage)),
  ];
  for (let i = 0; i < CLIENT_SLOTS; i++) {
    const c = l?.topClients[i];
    if (!c) {
      items.push(info(`usage-client-slot:${i}`, '', true));
      continue;
    }
    const budget = c.budgetPercent !== undefined ? ` (budget ${c.budgetPercent}%)` : '';
    const over = c.budgetPercent !== undefined && c.fiveHour * 100 > c.budgetPercent ? ' · over budget' : '';
    items.push(info(`usage-client:${c.client}`, `${c.client}: ${(c.fiveHour * 100).toFixed(1)}% of the 5-hour window${budget}${over}`));
  }
  return items;
}

function warningItems(warnings: Warning[]): MenuItem[] {
  const items: MenuItem[] = [];
  const overflow = warnings.length > WARNING_SLOTS;
  const shown = overflow ? warnings.slice(0, WARNING_SLOTS - 1) : warnings;
  for (const w of shown) {
    items.push({ id: `warning:${w.key}`, title: `${w.level === 'error' ? '✖' : '⚠'} ${w.text}`, enabled: true });
  }
  if (overflow) {
    const rest = warnings.length - shown.length;
    items.push({ id: 'warning:more', title: `… and ${rest} more warnings (see logs)`, enabled: true });
  }
  while (items.length < WARNING_SLOTS) items.push(info(`warning-slot:${items.length}`, '', true));
  return items;
}

const sessionState = (st: SessionInfo['state']): string => (st === 'busy' ? 'answering' : st === 'waiting_tools' ? 'waiting for client tools' : 'idle');

function sessionItems(s: StatusSnapshot, now: number): MenuItem[] {
  const sessions = [...s.sessions].sort((a, b) => b.lastActivity - a.lastActivity || a.id.localeCompare(b.id));
  const n = sessions.length;
  const header = n === 0 ? 'No active sessions' : n <= SESSION_SLOTS ? `Sessions (${n})` : `Sessions (${n}, ${SESSION_SLOTS} most recent shown)`;
  const items: MenuItem[] = [info('sessions-header', header)];
  for (let i = 0; i < SESSION_SLOTS; i++) {
    const x = sessions[i];
    if (!x) {
      items.push({
        id: `session-slot:${i}`,
        title: '',
        enabled: false,
        hidden: true,
        children: [info(`session-slot:${i}:info`, ''), info(`session-slot:${i}:end`, '')],
      });
      continue;
    }
    const turns = `${x.turns} turn${x.turns === 1 ? '' : 's'}`;
    const tokens = `${formatTokens(x.inputTokens + x.outputTokens)} tokens`;
    items.push({
      id: `session:${x.id}`,
      title: `${x.client} · ${shortModel(x.model)} · ${turns} · ${tokens} · ${formatAgo(x.lastActivity, now)}`,
      enabled: true,
      tooltip: x.id,
      children: [
        info(`session-info:${x.id}`, `${x.model} · ${sessionState(x.state)}${x.pid ? ` · pid ${x.pid}` : ''}`),
        { id: `session-end:${x.id}`, title: 'End session', enabled: true },
      ],
    });
  }
  return items;
}

function portItem(s: StatusSnapshot, prefs: MenuPrefs): MenuItem {
  const presets = [...new Set(prefs.portPresets)];
  const children: MenuItem[] = presets.map((p) => ({
    id: `port:${p}`,
    title: String(p),
    enabled: true,
    checked: p === prefs.port,
  }));
  // One extra slot keeps the shape fixed whether or not the configured port is a preset.
  children.push(
    presets.includes(prefs.port)
      ? { id: 'port-slot', title: '', enabled: false, checked: false, hidden: true }
      : { id: `port:${prefs.port}`, title: String(prefs.port), enabled: true, checked: true },
  );
  const pending = s.server.port > 0 && s.server.port !== prefs.port ? ` (now ${s.server.port})` : '';
  return { id: 'port', title: `Port: ${prefs.port}${pending}`, enabled: true, children };
}

export function buildMenu(status: StatusSnapshot, prefs: MenuPrefs, now: number): MenuModel {
  const warnings = allWarnings(status, prefs, now);
  const icon = pickIcon(status, warnings);
  const state = status.server.state;
  const port = status.server.port > 0 ? status.server.port : prefs.port;
  const url = baseUrl(status.server.host, port);

  const paused = state === 'paused';
  const pauseItem: MenuItem = paused ? { id: 'resume', title: 'Resume', enabled: true } : { id: 'pause', title: 'Pause', enabled: state === 'running' };

  const items: MenuItem[] = [
    info('header', `maxproxy ${status.version}`),
    info('status', statusLine(status)),
    info('claude', claudeLine(status)),
    info('requests', requestsLine(status)),
    ...warningItems(warnings),
    sep(1),
    ...usageItems(status, now),
    sep(2),
    ...sessionItems(status, now),
    sep(3),
    { id: 'toggle-login', title: 'Start at login', enabled: true, checked: prefs.startAtLogin },
    portItem(status, prefs),
    { id: 'toggle-notifications', title: 'Notifications', enabled: true, checked: prefs.notifications },
    {
      id: 'toggle-extra-usage',
      title: 'Allow extra usage',
      enabled: true,
      checked: prefs.extraUsage !== undefined && prefs.extraUsage !== 'refuse',
      hidden: prefs.extraUsage === undefined,
      tooltip: "When your plan's window is used up: unchecked refuses requests (429) instead of paying as extra usage",
    },
    pauseItem,
    sep(4),
    { id: 'copy-url', title: `Copy base URL (${url})`, enabled: true, tooltip: url },
    { id: 'open-dashboard', title: 'Open dashboard', enabled: state === 'running' || paused, tooltip: url.replace(/\/v1$/, '/') },
    { id: 'open-logs', title: 'Open logs', enabled: true },
    { id: 'open-settings', title: 'Open settings', enabled: true },
    sep(5),
    { id: 'quit', title: 'Quit maxproxy', enabled: true },
  ];

  // The highest usage in the menu bar once it is worth attention.
  const worst = Math.max(-1, ...[status.usage.fiveHour, status.usage.weekly, ...Object.values(status.usage.other)].map((w) => pct(w) ?? -1));
  const title = worst >= prefs.thresholds.warn ? `${worst}%` : '';

  const tooltipParts = [`maxproxy: ${statusLine(status)}`];
  if (status.requests.active + status.requests.queued > 0) tooltipParts.push(requestsLine(status));
  if (warnings.length > 0) tooltipParts.push(warnings[0].text + (warnings.length > 1 ? ` (+${warnings.length - 1} more)` : ''));

  return { icon, title, tooltip: tooltipParts.join('\n'), items };
}
