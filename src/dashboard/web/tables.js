// Each client's share of the current windows against its budget, and the recent turns.
import { $, clock, el, ms, shortModel, tokens } from './format.js';

const share = (f) => `${(Math.round(f * 1000) / 10).toFixed(1)}%`;

export function renderShares(shares) {
  const rows = [...(shares?.clients ?? [])].sort((a, b) => b.fiveHour - a.fiveHour || a.client.localeCompare(b.client));
  $('shares-empty').hidden = rows.length > 0;
  $('shares').hidden = rows.length === 0;
  $('shares').tBodies[0].replaceChildren(
    ...rows.map((c) => {
      const used = c.fiveHour * 100;
      const budget = c.budgetPercent;
      const over = typeof budget === 'number' && used > budget;
      const bar = el(
        'div',
        { class: 'share', title: `${share(c.fiveHour)} of the 5-hour window${typeof budget === 'number' ? `, budget ${budget}%` : ''}` },
        el('div', { class: `fill${over ? ' over' : ''}`, style: { width: `${Math.min(100, used)}%` } }),
        typeof budget === 'number' ? el('div', { class: 'budget', style: { left: `${Math.min(100, budget)}%` } }) : null,
      );
      const label = `${share(c.fiveHour)}${typeof budget === 'number' ? ` of ${budget}% budget${over ? ' — over' : ''}` : ' · no budget'}`;
      return el(
        'tr',
        { 'data-client': c.client },
        el('td', { text: c.client }),
        el('td', { class: 'num', text: String(c.turns) }),
        el('td', {}, bar, el('span', { class: `share-label${over ? ' error' : ' muted'}`, text: label })),
        el('td', { class: 'num', text: share(c.weekly) }),
      );
    }),
  );
}

const BILLING = { plan: 'plan', extra_usage: 'extra usage', unknown: 'unknown' };

export function renderTurns(data, filters) {
  const select = $('filter-client');
  const want = ['', ...data.clients];
  const have = [...select.options].map((o) => o.value);
  if (want.join('\n') !== have.join('\n')) {
    select.replaceChildren(...want.map((c) => el('option', { value: c, text: c === '' ? 'all' : c })));
    select.value = want.includes(filters.client) ? filters.client : '';
  }
  $('turns-empty').hidden = data.turns.length > 0;
  $('turns-empty').textContent = data.available ? 'No turns recorded yet.' : 'No usage data: this daemon has no usage ledger.';
  $('turns').hidden = data.turns.length === 0;
  $('turns').tBodies[0].replaceChildren(
    ...data.turns.map((t) => {
      const cache = t.usage.cacheReadInputTokens || t.usage.cacheCreationInputTokens;
      return el(
        'tr',
        { class: t.billing === 'extra_usage' ? 'extra' : '', 'data-request': t.requestId, 'data-session': t.sessionId },
        el('td', { text: clock(t.startedAt), title: new Date(t.startedAt).toLocaleString() }),
        el('td', { text: t.client }),
        el('td', { text: shortModel(t.modelServed), title: `asked for ${t.modelRequested}, served by ${t.modelServed}` }),
        el(
          'td',
          {},
          el('span', { class: `badge ${t.status === 'ok' ? '' : 'error'}`, text: t.status === 'error' && t.errorKind ? `error: ${t.errorKind}` : t.status }),
        ),
        el('td', {
          class: 'num',
          text: `${tokens(t.usage.inputTokens)} / ${tokens(t.usage.outputTokens)}`,
          title: cache ? `cache read ${t.usage.cacheReadInputTokens ?? 0}, cache write ${t.usage.cacheCreationInputTokens ?? 0}` : undefined,
        }),
        el('td', { class: 'num', text: ms(t.ttftMs) }),
        el('td', { class: 'num', text: ms(t.durationMs) }),
        el('td', {}, el('span', { class: `badge ${t.billing}`, text: BILLING[t.billing] ?? t.billing })),
      );
    }),
  );
}
