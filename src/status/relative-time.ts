/**
 * How long ago, and how long until, in the tray's words. The dashboard page uses this same
 * module: `npm run build` copies its compiled form into the page's files, so it must stay
 * pure and import nothing.
 */

/** "just now", "45s ago", "2m ago", "3h ago", "2d ago". */
export function formatAgo(thenMs: number, nowMs: number): string {
  const s = Math.floor((nowMs - thenMs) / 1000);
  if (s < 10) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** "in 2h 14m", "in 3d 4h", "in 5m", "in <1m"; "now" once passed. */
export function formatIn(targetMs: number, nowMs: number): string {
  if (targetMs <= nowMs) return 'now';
  const totalMin = Math.floor((targetMs - nowMs) / 60000);
  if (totalMin < 1) return 'in <1m';
  const d = Math.floor(totalMin / 1440);
  const h = Math.floor((totalMin % 1440) / 60);
  const m = totalMin % 60;
  if (d > 0) return h > 0 ? `in ${d}d ${h}h` : `in ${d}d`;
  if (h > 0) return m > 0 ? `in ${h}h ${m}m` : `in ${h}h`;
  return `in ${m}m`;
}
