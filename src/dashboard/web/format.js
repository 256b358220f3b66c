// Small formatting helpers shared by the page's panels (the tray's wording where it has one).

/** 950 → "950", 12345 → "12.3k", 1234567 → "1.2M". */
export function tokens(n) {
  if (n < 1000) return String(Math.max(0, Math.round(n)));
  if (n < 100_000) return `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, '')}M`;
}

// The tray's wording, from src/status/relative-time.ts: `npm run build` puts its compiled
// form in shared/.
export { formatAgo, formatIn } from './shared/relative-time.js';

export function ms(n) {
  if (n === undefined || n === null) return '–';
  if (n < 1000) return `${Math.round(n)} ms`;
  return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
}

export const pct = (fraction) => (typeof fraction === 'number' && Number.isFinite(fraction) ? `${Math.round(fraction * 100)}%` : '–');

export const shortModel = (m) =>
  String(m ?? '')
    .replace(/^claude-/, '')
    .replace(/-\d{8}$/, '') || String(m ?? '');

export function clock(tMs) {
  const d = new Date(tMs);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return sameDay ? time : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

/** A DOM element with properties and children; text only ever goes in as text. */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'style') Object.assign(e.style, v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

export const $ = (id) => document.getElementById(id);

export function setText(id, text) {
  const e = $(id);
  if (e && e.textContent !== text) e.textContent = text;
}
