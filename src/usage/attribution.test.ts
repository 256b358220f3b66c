import { describe, expect, it } from 'vitest';
import { FIVE_HOUR_S, turnWeight, WindowAttributor } from './attribution.js';

const T0 = 1_900_000_000_000;
const RESET = T0 / 1000 + FIVE_HOUR_S - 60; // a window that began a minute before T0

describe('WindowAttributor', () => {
  it('splits each rise over the turns since the previous rise, by weight', () => {
    const a = new WindowAttributor<string>(FIVE_HOUR_S, T0 - 120_000);
    // First reading of a window that began while the ledger was recording: counted from 0.
    expect(a.push('A1', T0 + 1000, 100, { utilization: 0.1, resetsAt: RESET })).toEqual([['A1', { share: 0.1, window: RESET }]]);
    // B1 moves nothing visible (coarse steps): it waits for the next rise.
    expect(a.push('B1', T0 + 2000, 100, { utilization: 0.1, resetsAt: RESET })).toEqual([]);
    const r = a.push('A2', T0 + 3000, 300, { utilization: 0.2, resetsAt: RESET });
    expect(r.map(([id, x]) => [id, Math.round(x.share * 1e6) / 1e6])).toEqual([
      ['B1', 0.025],
      ['A2', 0.075],
    ]);
  });

  it('turns without a reading join the next rise', () => {
    const a = new WindowAttributor<string>(FIVE_HOUR_S, T0 - 120_000);
    a.push('x', T0, 1, { utilization: 0.05, resetsAt: RESET });
    expect(a.push('y', T0 + 1, 1, undefined)).toEqual([]);
    const r = a.push('z', T0 + 2, 1, { utilization: 0.15, resetsAt: RESET });
    expect(r.map(([id]) => id)).toEqual(['y', 'z']);
    expect(r[0][1].share).toBeCloseTo(0.05);
  });

  it('a window that began before the ledger recorded is a baseline, not anyone’s', () => {
    const a = new WindowAttributor<string>(FIVE_HOUR_S, T0); // window began 1 h before recording
    const reset = T0 / 1000 + 4 * 3600;
    expect(a.push('first', T0 + 1000, 10, { utilization: 0.4, resetsAt: reset })).toEqual([]);
    expect(a.push('second', T0 + 2000, 10, { utilization: 0.45, resetsAt: reset })[0][1].share).toBeCloseTo(0.05);
  });

  it('a new window starts from 0 and drops turns of the old one', () => {
    const a = new WindowAttributor<string>(FIVE_HOUR_S, T0 - 120_000);
    a.push('old', T0, 10, { utilization: 0.5, resetsAt: RESET });
    a.push('old-pending', T0 + 1000, 10, undefined);
    const later = (RESET + 10) * 1000;
    const next = RESET + FIVE_HOUR_S;
    const r = a.push('new', later, 10, { utilization: 0.02, resetsAt: next });
    expect(r).toEqual([['new', { share: 0.02, window: next }]]);
    expect(a.current(later)?.resetsAt).toBe(next);
    expect(a.current((next + 1) * 1000)).toBeUndefined();
  });

  it('ignores a stale reading of the previous window from a slower process', () => {
    const a = new WindowAttributor<string>(FIVE_HOUR_S, T0 - 120_000);
    a.push('a', T0, 10, { utilization: 0.1, resetsAt: RESET + FIVE_HOUR_S });
    expect(a.push('b', T0 + 1, 10, { utilization: 0.9, resetsAt: RESET })).toEqual([]);
    expect(a.current(T0)?.utilization).toBe(0.1);
  });

  it('weights tokens like their price', () => {
    expect(turnWeight({ inputTokens: 100, outputTokens: 10, cacheReadInputTokens: 1000, cacheCreationInputTokens: 40 })).toBe(100 + 50 + 100 + 50);
  });
});
