// The live panel: server, Claude Code, requests, spares, windows, warnings and sessions.
import { api } from './api.js';
import { $, el, formatAgo, formatIn, pct, setText, shortModel, tokens } from './format.js';

const STATE_WORDS = { starting: 'Starting', running: 'Running', paused: 'Paused', stopping: 'Stopping', error: 'Not running' };
const SESSION_WORDS = { busy: 'answering', waiting_tools: 'waiting for client tools', idle: 'idle' };

function windowText(w, thresholds) {
  if (!w) return { value: 'no data yet', cls: 'muted' };
  if (w.status === 'rejected') return { value: 'limit reached', cls: 'error' };
  if (typeof w.utilization !== 'number') return { value: w.status ?? 'no reading', cls: '' };
  const cls = w.utilization >= thresholds.critical ? 'error' : w.utilization >= thresholds.warn ? 'warn' : 'ok';
  return { value: `${pct(w.utilization)} used`, cls };
}

/** The warnings the tray shows (its wording), computed from the same snapshot. */
function warnings(s) {
  const out = [];
  if (s.claude.login === 'not_logged_in')
    out.push({ level: 'error', text: 'Claude Code is not logged in: run `maxproxy login` on the machine maxproxy runs on.' });
  const windows = [
    ['5-hour limit', s.usage.fiveHour],
    ['Weekly limit', s.usage.weekly],
  ];
  for (const [name, w] of windows) {
    if (!w) continue;
    const resets = typeof w.resetsAt === 'number' ? ` — resets ${formatIn(w.resetsAt * 1000, s.now)}` : '';
    if (w.status === 'rejected') out.push({ level: 'error', text: `${name} reached${resets}` });
    else if (typeof w.utilization === 'number' && w.utilization >= s.thresholds.critical)
      out.push({ level: 'warning', text: `${name} at ${pct(w.utilization)}, nearly used up${resets}` });
    else if (typeof w.utilization === 'number' && w.utilization >= s.thresholds.warn)
      out.push({ level: 'warning', text: `${name} at ${pct(w.utilization)}${resets}` });
  }
  if (s.usage.isUsingOverage)
    out.push({ level: 'warning', text: `Using extra usage beyond your plan${s.usage.overageStatus ? ` (${s.usage.overageStatus})` : ''}` });
  for (const w of s.warnings) out.push({ level: w.level, text: w.message });
  return out;
}

export function renderLive(s) {
  const pill = $('state-pill');
  pill.textContent = STATE_WORDS[s.server.state] ?? s.server.state;
  pill.className = `pill ${s.server.state}`;
  setText('version', `v${s.version}`);
  setText('live-server', STATE_WORDS[s.server.state] ?? s.server.state);
  setText('live-url', s.server.state === 'error' ? (s.server.error ?? '') : `${location.host} · up ${formatAgo(s.startedAt, s.now).replace(' ago', '')}`);
  setText('live-claude', s.claude.version && s.claude.version !== 'unknown' ? s.claude.version : 'version unknown');
  const login = s.claude.login === 'logged_in' ? 'logged in' : s.claude.login === 'not_logged_in' ? 'NOT logged in' : 'login not checked yet';
  const loginEl = $('live-login');
  loginEl.textContent = login;
  loginEl.className = s.claude.login === 'not_logged_in' ? 'error' : 'muted';
  setText('live-requests', `${s.requests.active} in flight`);
  setText('live-queued', `${s.requests.queued} queued${s.requests.oldestQueuedMs > 0 ? ` · oldest ${Math.round(s.requests.oldestQueuedMs / 1000)}s` : ''}`);
  setText('live-spares', String(s.warmSpares));
  setText('live-processes', `${s.liveProcesses} live CLI session${s.liveProcesses === 1 ? '' : 's'}`);
  for (const [id, w] of [
    ['live-5h', s.usage.fiveHour],
    ['live-weekly', s.usage.weekly],
  ]) {
    const t = windowText(w, s.thresholds);
    const e = $(id);
    e.textContent = t.value;
    e.className = `big ${t.cls}`;
    setText(`${id}-reset`, typeof w?.resetsAt === 'number' ? `resets ${formatIn(w.resetsAt * 1000, s.now)}` : '');
  }

  const box = $('warnings');
  box.replaceChildren(
    ...warnings(s).map((w) => el('div', { class: `warning level-${w.level}`, role: 'status', text: `${w.level === 'error' ? '✖' : '⚠'} ${w.text}` })),
  );
  renderSessions(s);
}

function renderSessions(s) {
  const body = $('sessions').tBodies[0];
  setText('sessions-count', s.sessions.length ? `(${s.sessions.length})` : '');
  $('sessions-empty').hidden = s.sessions.length > 0;
  $('sessions').hidden = s.sessions.length === 0;
  body.replaceChildren(
    ...s.sessions.map((x) =>
      el(
        'tr',
        { 'data-session': x.id },
        el('td', { text: x.client }),
        el('td', { text: shortModel(x.model), title: x.model }),
        el('td', { class: 'num', text: String(x.turns) }),
        el('td', { class: 'num', text: tokens(x.inputTokens + x.outputTokens), title: `${x.inputTokens} in / ${x.outputTokens} out` }),
        el('td', { text: formatAgo(x.lastActivity, s.now) }),
        el('td', { text: SESSION_WORDS[x.state] ?? x.state }),
        el(
          'td',
          {},
          el('button', {
            type: 'button',
            class: 'secondary end-session',
            text: 'End',
            title: `End session ${x.id}`,
            onclick: (ev) => endSession(ev.target, x.id),
          }),
        ),
      ),
    ),
  );
}

async function endSession(button, id) {
  button.disabled = true;
  try {
    await api.endSession(id);
  } catch (e) {
    button.disabled = false;
    button.title = e.message;
  }
}
