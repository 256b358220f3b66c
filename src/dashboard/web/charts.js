// The usage charts, drawn with uPlot (vendored at build time; see docs/decisions).
// Each chart keeps its uPlot instance in `charts` so the page (and its tests) can read
// exactly what was drawn: `charts.windows.data`, `charts.hourly.data`, ...
import { tokens } from './format.js';

/* global uPlot */

export const charts = {};

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const palette = () => ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6'].map(css);
/** One colour per client for the life of the page, so both stacks and reloads agree. */
const clientSlots = new Map();
const clientColor = (client) => {
  if (!clientSlots.has(client)) clientSlots.set(client, clientSlots.size);
  const p = palette();
  return p[clientSlots.get(client) % p.length];
};

function axes(yLabel, yFormat) {
  const stroke = css('--muted');
  const grid = { stroke: css('--grid'), width: 1 };
  return [
    { stroke, grid, ticks: grid },
    { stroke, grid, ticks: grid, label: yLabel, size: 56, values: (_u, vals) => vals.map(yFormat) },
  ];
}

function widthOf(container) {
  return Math.max(280, container.clientWidth);
}

function place(name, container, opts, data) {
  charts[name]?.destroy();
  container.replaceChildren();
  const u = new uPlot({ width: widthOf(container), height: container.clientWidth < 500 ? 200 : 240, ...opts }, data, container);
  charts[name] = u;
  return u;
}

/** Vertical dashed lines at reset times and horizontal ones at the warning thresholds. */
function markers(resets, thresholds) {
  return (u) => {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.lineWidth = devicePixelRatio;
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
    // uPlot leaves the alignment of its last axis label in the context.
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    for (const t of thresholds) {
      const y = Math.round(u.valToPos(t.value, 'y', true));
      ctx.strokeStyle = t.color;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      ctx.fillStyle = t.color;
      ctx.fillText(t.label, left + 4 * devicePixelRatio, y - 4 * devicePixelRatio);
    }
    // Reset labels at the bottom (the thresholds' are at the top), one row per window.
    for (const r of resets) {
      const x = Math.round(u.valToPos(r.t, 'x', true));
      if (x < left || x > left + width) continue;
      ctx.strokeStyle = r.color;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillStyle = r.color;
      ctx.fillText(r.label, x + 3 * devicePixelRatio, top + height - (r.row * 13 + 4) * devicePixelRatio);
    }
    ctx.restore();
  };
}

const triangle = (size) => (u, seriesIdx) => {
  // Points-only series: a red triangle where a turn was billed as extra usage.
  const s = u.series[seriesIdx];
  const xs = u.data[0];
  const ys = u.data[seriesIdx];
  const ctx = u.ctx;
  ctx.save();
  ctx.fillStyle = s._stroke ?? css('--err');
  for (let i = 0; i < xs.length; i++) {
    if (ys[i] === null || ys[i] === undefined) continue;
    const x = u.valToPos(xs[i], 'x', true);
    const y = u.valToPos(ys[i], 'y', true);
    const h = size * devicePixelRatio;
    ctx.beginPath();
    ctx.moveTo(x, y - h);
    ctx.lineTo(x - h * 0.8, y + h * 0.6);
    ctx.lineTo(x + h * 0.8, y + h * 0.6);
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
  return null;
};

/**
 * No line across a reset: readings of different windows (their reset time differs) are
 * not joined. Readings that lack this window (null) are stepped over: uPlot's own null
 * gaps are dropped (this refiner runs only with spanGaps off).
 */
const windowGaps = (resets) => (u, sidx, idx0, idx1) => {
  const xs = u.data[0];
  const ys = u.data[sidx];
  const gaps = [];
  let prev = -1;
  for (let i = idx0; i <= idx1; i++) {
    if (ys[i] === null || ys[i] === undefined) continue;
    if (prev >= 0 && resets[prev] !== resets[i]) gaps.push([Math.round(u.valToPos(xs[prev], 'x', true)) + 1, Math.round(u.valToPos(xs[i], 'x', true))]);
    prev = i;
  }
  return gaps.sort((a, b) => a[0] - b[0]);
};

/** 5-hour and weekly utilisation over time, with resets, thresholds and extra-usage turns. */
export function drawWindows(container, usage) {
  const w = usage.windows;
  const [c1, c2] = palette();
  const err = css('--err');
  const warn = css('--warn');
  const now = Math.floor(usage.now / 1000);
  const from = now - usage.days * 86400;
  const resets = [
    ...w.fiveHourResets.map((t) => ({ t, color: c1, label: '5h reset', row: 0 })),
    ...w.weeklyResets.map((t) => ({ t, color: c2, label: 'weekly reset', row: 1 })),
  ];
  const thresholds = [
    { value: usage.thresholds.warn * 100, color: warn, label: `warn ${Math.round(usage.thresholds.warn * 100)}%` },
    { value: usage.thresholds.critical * 100, color: err, label: `critical ${Math.round(usage.thresholds.critical * 100)}%` },
  ];
  const fmt = (_u, v) => (v === null || v === undefined ? '–' : `${v}%`);
  return place(
    'windows',
    container,
    {
      scales: { x: { time: true, range: () => [from, now] }, y: { range: [0, 100] } },
      axes: axes('% of window', (v) => `${v}%`),
      series: [
        {},
        { label: '5-hour', stroke: c1, width: 2, spanGaps: false, gaps: windowGaps(w.fiveHourWindow), value: fmt, points: { show: true, size: 5 } },
        { label: 'weekly', stroke: c2, width: 2, spanGaps: false, gaps: windowGaps(w.weeklyWindow), value: fmt, points: { show: true, size: 5 } },
        {
          label: 'extra usage',
          stroke: err,
          fill: err,
          paths: triangle(6),
          points: { show: false },
          value: (_u, v) => (v === null || v === undefined ? '–' : 'yes'),
        },
      ],
      hooks: { draw: [markers(resets, thresholds)] },
    },
    [w.t, w.fiveHour, w.weekly, w.extraUsage],
  );
}

/**
 * Tokens per client per bucket, stacked. uPlot has no stacking of its own: series j
 * holds the running sum of the clients from the bottom up to j, drawn top first so each
 * lower bar paints over the one above it; the legend shows each client's own value.
 */
export function drawStacked(name, container, s, bucket) {
  const n = s.clients.length;
  // Bottom of the stack = clients[0] (most tokens).
  const cumulative = [];
  for (let i = 0; i < n; i++) cumulative.push(s.tokens[i].map((v, j) => v + (i > 0 ? cumulative[i - 1][j] : 0)));
  const order = [...Array(n).keys()].reverse();
  const bars = uPlot.paths.bars({ size: [0.75, 48], align: 1 });
  const series = [{}];
  const data = [s.t];
  for (const i of order) {
    const c = clientColor(s.clients[i]);
    series.push({
      label: s.clients[i],
      stroke: c,
      fill: c,
      width: 0,
      paths: bars,
      points: { show: false },
      value: (_u, _v, _si, idx) => (idx === null || idx === undefined ? '–' : tokens(s.tokens[i][idx])),
    });
    data.push(cumulative[i]);
  }
  const err = css('--err');
  const extraMarks = (u) => {
    const top = n > 0 ? cumulative[n - 1] : s.t.map(() => 0);
    const ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = err;
    ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    for (let j = 0; j < s.t.length; j++) {
      if (!s.extraUsageTurns[j]) continue;
      const x = u.valToPos(s.t[j], 'x', true) + (u.bbox.width / Math.max(1, s.t.length)) * 0.375;
      const y = u.valToPos(top[j], 'y', true) - 4 * devicePixelRatio;
      ctx.fillText('▲', x, y);
    }
    ctx.restore();
  };
  const step = bucket === 'hour' ? 3600 : 86400;
  const last = s.t.length ? s.t[s.t.length - 1] + step : Math.floor(Date.now() / 1000);
  const first = s.t.length ? s.t[0] : last - step;
  const u = place(
    name,
    container,
    {
      scales: { x: { time: true, range: () => [first, last] }, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.12)] } },
      axes: axes('tokens', (v) => tokens(v)),
      series,
      legend: { show: true },
      hooks: { draw: [extraMarks] },
    },
    data,
  );
  // The clients' own values, bottom of the stack first (what the legend shows).
  u.stacked = { clients: s.clients, tokens: s.tokens, extraUsageTurns: s.extraUsageTurns };
  return u;
}

export function resizeCharts() {
  for (const u of Object.values(charts)) {
    const w = widthOf(u.root.parentElement);
    if (Math.abs(u.width - w) > 2) u.setSize({ width: w, height: u.height });
  }
}
