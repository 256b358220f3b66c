// ---------------------------------------------------------------- statistics

export const quantile = (xs: number[], q: number): number => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
};
export interface Dist {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}
export const dist = (xs: number[]): Dist => ({
  n: xs.length,
  p50: quantile(xs, 0.5),
  p95: quantile(xs, 0.95),
  p99: quantile(xs, 0.99),
  min: Math.min(...xs),
  max: Math.max(...xs),
});
export const ms = (ns: bigint): number => Number(ns) / 1e6;
export const now = () => process.hrtime.bigint();

export interface TurnTiming {
  ttftMs: number;
  totalMs: number;
  text: string;
  /** hrtime when the request was sent (maxproxy clients only). */
  sentAt?: bigint;
}
