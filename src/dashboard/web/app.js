// The dashboard page: log in when the daemon has an API key, then live state over
// server-sent events, usage and recent turns from the ledger, and the settings.
import { ApiError, api } from './api.js';
import { charts, drawStacked, drawWindows, resizeCharts } from './charts.js';
import { $ } from './format.js';
import { refreshKeys, wireKeys } from './keys.js';
import { renderLive } from './live.js';
import { loadSettings } from './settings.js';
import { renderShares, renderTurns } from './tables.js';

const DAYS = 7;
const filters = { client: '', status: '' };
const state = { live: undefined, usage: undefined, turns: undefined, events: 0 };
// For whoever wants to look at what the page drew (the browser tests do).
window.maxproxyDashboard = { charts, state };

function showLogin(message) {
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message ?? '';
  $('login-key').focus();
}

async function start() {
  const s = await api.session();
  $('logout').hidden = !s.keyRequired;
  if (!s.loggedIn) return showLogin();
  $('login').hidden = true;
  $('app').hidden = false;
  state.live = await api.live();
  renderLive(state.live);
  connect();
  await Promise.all([refreshUsage(), refreshTurns(), refreshKeys(), loadSettings(portMoved, () => refreshUsage().catch(failed))]);
  document.body.dataset.ready = 'true';
}

function failed(e) {
  if (e instanceof ApiError && e.status === 401) return showLogin('Your session ended; log in again.');
  $('conn').textContent = `⚠ ${e.message}`;
}

// --- live state: server-sent events, with polling while the stream is down ------------
let source;
let pollTimer;
function connect() {
  source?.close();
  source = new EventSource('/dashboard/api/events');
  source.addEventListener('live', (ev) => {
    const next = JSON.parse(ev.data);
    const prev = state.live;
    state.live = next;
    state.events++;
    $('conn').textContent = '';
    renderLive(next);
    if (turnsMoved(prev, next)) scheduleRefresh();
  });
  source.addEventListener('bye', (ev) => {
    const { port } = JSON.parse(ev.data);
    source.close();
    if (port && String(port) !== location.port) portMoved(port);
    else setTimeout(connect, 2000);
  });
  source.onerror = () => {
    $('conn').textContent = 'reconnecting…';
    if (source.readyState === EventSource.CLOSED) {
      clearTimeout(pollTimer);
      pollTimer = setTimeout(() => api.session().then((s) => (s.loggedIn ? connect() : showLogin('Your session ended; log in again.')), failed), 2000);
    }
  };
}

/**
 * A turn ended (or started): the ledger recorded one (its summary moved), or the requests
 * in flight or a session's turn count moved.
 */
function turnsMoved(a, b) {
  if (!a) return true;
  const turns = (s) => s.sessions.reduce((n, x) => n + x.turns, 0);
  const ledger = (s) => JSON.stringify([s.ledger?.lastTurn, s.ledger?.turnsToday]);
  return (
    ledger(a) !== ledger(b) ||
    a.requests.active !== b.requests.active ||
    a.requests.queued !== b.requests.queued ||
    turns(a) !== turns(b) ||
    a.sessions.length !== b.sessions.length
  );
}

let refreshTimer;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  // Turns first (a small query); the charts after, so the table is not held up by them.
  refreshTimer = setTimeout(() => {
    refreshTurns()
      .then(() => Promise.all([refreshUsage(), refreshKeys()]))
      .catch(failed);
  }, 100);
}

function portMoved(port) {
  // The session cookie belongs to the host name, not the port: it follows.
  location.href = `${location.protocol}//${location.hostname}:${port}/`;
}

// --- usage and turns from the ledger --------------------------------------------------
async function refreshUsage() {
  const u = await api.usage(DAYS);
  state.usage = u;
  $('usage-none').hidden = u.available;
  for (const id of ['chart-windows', 'chart-hourly', 'chart-daily']) $(id).hidden = !u.available;
  if (!u.available) {
    renderShares(undefined);
    return;
  }
  $('windows-range').textContent = `(last ${u.days} days)`;
  $('daily-range').textContent = `(${u.days} days)`;
  drawWindows($('chart-windows'), u);
  // Daily first: its clients are a superset of the hourly ones, so colours are assigned in its order.
  drawStacked('daily', $('chart-daily'), u.daily, 'day');
  drawStacked('hourly', $('chart-hourly'), u.hourly, 'hour');
  renderShares(u.shares);
}

async function refreshTurns() {
  const q = { limit: '50' };
  if (filters.client) q.client = filters.client;
  if (filters.status) q.status = filters.status;
  const t = await api.turns(q);
  state.turns = t;
  renderTurns(t, filters);
}

// --- wiring ---------------------------------------------------------------------------
$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const key = $('login-key').value;
  try {
    await api.login(key);
    $('login-key').value = '';
    await start();
  } catch (e) {
    $('login-error').textContent = e.message;
  }
});
$('logout').addEventListener('click', async () => {
  source?.close();
  await api.logout().catch(() => undefined);
  showLogin();
});
wireKeys();
$('filter-client').addEventListener('change', (ev) => {
  filters.client = ev.target.value;
  refreshTurns().catch(failed);
});
$('filter-status').addEventListener('change', (ev) => {
  filters.status = ev.target.value;
  refreshTurns().catch(failed);
});
new ResizeObserver(() => resizeCharts()).observe($('app'));
// Colours come from the stylesheet: redraw when the system switches light/dark.
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => state.usage?.available && refreshUsage().catch(failed));
// Slow refresh for what moves without a live event (window resets, other days).
setInterval(() => {
  if (!$('app').hidden && document.visibilityState === 'visible') scheduleRefresh();
}, 15_000);

addEventListener('DOMContentLoaded', () => start().catch(failed));
