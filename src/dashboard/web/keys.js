// Client keys: listed with their usage and budgets, created (the key is shown once, in
// this page only, never fetched again), revoked. Every change goes through the same
// same-origin JSON API the settings use.
import { ApiError, api } from './api.js';
import { $, el } from './format.js';

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const withBudget = (share, budget) => (budget === undefined ? pct(share) : `${pct(share)} (${budget}%)`);

export async function refreshKeys() {
  const r = await api.keys();
  const rows = r.keys.map((k) =>
    el(
      'tr',
      { 'data-key': k.name },
      el('td', { text: k.name }),
      el('td', { text: k.state }),
      el('td', { class: 'num', text: String(k.usage.turns) }),
      el('td', { class: 'num', text: withBudget(k.usage.fiveHour, k.budgetPercent) }),
      el('td', { class: 'num', text: withBudget(k.usage.weekly, k.weeklyBudgetPercent) }),
      el('td', { text: k.models?.join(', ') ?? 'all' }),
      el('td', { text: k.expiresAt ? new Date(k.expiresAt).toLocaleDateString() : '-' }),
      el(
        'td',
        {},
        k.state === 'revoked' ? '' : el('button', { type: 'button', class: 'secondary', text: 'Revoke', 'data-revoke': k.name, onclick: () => revoke(k.name) }),
      ),
    ),
  );
  $('keys')
    .querySelector('tbody')
    .replaceChildren(...rows);
  $('keys-empty').hidden = rows.length > 0;
}

async function revoke(name) {
  if (!confirm(`Revoke the client key "${name}"? Its client gets 401 from the next request on.`)) return;
  try {
    await api.revokeKey(name);
    await refreshKeys();
  } catch (e) {
    $('key-error').textContent = e instanceof ApiError ? e.message : String(e);
  }
}

export function wireKeys() {
  $('key-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('key-error').textContent = '';
    $('key-new').hidden = true;
    const num = (id) => ($(id).value === '' ? undefined : Number($(id).value));
    try {
      const r = await api.createKey({
        name: $('key-name').value.trim(),
        budgetPercent: num('key-budget'),
        weeklyBudgetPercent: num('key-weekly'),
        models: $('key-models').value,
        expires: $('key-expires').value,
      });
      $('key-new-value').textContent = r.key;
      $('key-new').hidden = false;
      $('key-form').reset();
      await refreshKeys();
    } catch (e) {
      $('key-error').textContent = e instanceof ApiError ? e.message : String(e);
    }
  });
}
