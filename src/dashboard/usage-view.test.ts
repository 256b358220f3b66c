import { describe, expect, it } from 'vitest';
import type { SeriesPoint, WindowPoint } from '../usage/reader.js';
import { bucketAxis, bucketStart, stackSeries, windowSeries } from './usage-view.js';

const totals = { turns: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, extraUsageTurns: 0, fiveHourShare: 0, weeklyShare: 0 };
const point = (t: number, client: string, input: number, output: number, extra = 0): SeriesPoint => ({
  ...totals,
  t,
  client,
  inputTokens: input,
  outputTokens: output,
  extraUsageTurns: extra,
});

describe('bucketAxis', () => {
  it('has every local hour from the start to now, so empty hours are zero bars', () => {
    const since = new Date(2026, 11, 2, 9, 40).getTime();
    const now = new Date(2026, 11, 2, 13, 5).getTime();
    expect(bucketAxis(since, now, 'hour').map((t) => new Date(t).getHours())).toEqual([9, 10, 11, 12, 13]);
  });

  it('steps days by local midnight (a DST day is 23 or 25 hours)', () => {
    const days = bucketAxis(new Date(2026, 2, 27, 15).getTime(), new Date(2026, 2, 31, 1).getTime(), 'day');
    expect(days.map((t) => new Date(t).getDate())).toEqual([27, 28, 29, 30, 31]);
    for (const t of days) expect(new Date(t).getHours()).toBe(0);
  });
});

describe('stackSeries', () => {
  const since = new Date(2026, 11, 2, 8, 0).getTime();
  const now = new Date(2026, 11, 2, 11, 30).getTime();
  const h = (n: number) => new Date(2026, 11, 2, 8 + n).getTime();

  it('puts each client on the shared axis, most tokens first (the bottom of the stack), in input+output tokens', () => {
    const s = stackSeries(
      [point(h(0), 'opencode', 10, 5), point(h(2), 'OpenClaw', 100, 50), point(h(2), 'opencode', 1, 1, 1), point(h(3), 'OpenClaw', 7, 3)],
      since,
      now,
      'hour',
    );
    expect(s.t).toEqual([h(0), h(1), h(2), h(3)].map((t) => t / 1000));
    expect(s.clients).toEqual(['OpenClaw', 'opencode']);
    expect(s.tokens).toEqual([
      [0, 0, 150, 10],
      [15, 0, 2, 0],
    ]);
    expect(s.extraUsageTurns).toEqual([0, 0, 1, 0]);
  });

  it('places a point that is not on a bucket start in its bucket, and leaves out points outside the range', () => {
    const s = stackSeries([point(h(1) + 17 * 60_000, 'curl', 3, 4), point(h(-5), 'curl', 1000, 1000)], since, now, 'hour');
    expect(s.tokens).toEqual([[0, 7, 0, 0]]);
  });

  it('is empty but has its axis when there is no usage', () => {
    const s = stackSeries([], since, now, 'hour');
    expect(s.clients).toEqual([]);
    expect(s.t).toHaveLength(4);
  });
});

describe('windowSeries', () => {
  const now = 1_800_000_000_000;
  const since = now - 7 * 86_400_000;
  const p = (t: number, over: Partial<WindowPoint>): WindowPoint => ({ t, billing: 'plan', ...over });

  it('gives percent per reading in time order, the window each belongs to, and the resets within the range', () => {
    const pastReset = (now - 3_600_000) / 1000;
    const futureReset = (now + 3_600_000) / 1000;
    const w = windowSeries(
      [
        p(now - 1_000, { fiveHour: 0.123, fiveHourResetsAt: futureReset }),
        p(now - 7_200_000, { fiveHour: 0.9, fiveHourResetsAt: pastReset, weekly: 0.5, weeklyResetsAt: futureReset + 86_400, billing: 'extra_usage' }),
        p(since - 1, { fiveHour: 0.1 }),
      ],
      since,
      now,
    );
    expect(w.t).toEqual([(now - 7_200_000) / 1000, (now - 1_000) / 1000]);
    expect(w.fiveHour).toEqual([90, 12.3]);
    expect(w.weekly).toEqual([50, null]);
    expect(w.extraUsage).toEqual([90, null]);
    expect(w.fiveHourWindow).toEqual([pastReset, futureReset]);
    expect(w.fiveHourResets).toEqual([pastReset]);
    expect(w.weeklyResets).toEqual([]);
  });

  it('marks an extra-usage reading without a 5-hour value at its weekly value, or at 100', () => {
    const w = windowSeries([p(now - 10, { weekly: 0.4, billing: 'extra_usage' }), p(now - 5, { billing: 'extra_usage', fiveHour: undefined })], since, now);
    expect(w.extraUsage).toEqual([40, 100]);
  });
});

describe('bucketStart', () => {
  it('is the local hour or day', () => {
    const t = new Date(2026, 11, 2, 13, 47, 12).getTime();
    expect(bucketStart(t, 'hour')).toBe(new Date(2026, 11, 2, 13).getTime());
    expect(bucketStart(t, 'day')).toBe(new Date(2026, 11, 2).getTime());
  });
});
