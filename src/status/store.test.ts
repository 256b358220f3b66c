import { describe, expect, it } from 'vitest';
import { StatusStore } from './store.js';

describe('StatusStore.recordRateLimit', () => {
  it('reads every window from unifiedWindows (below thresholds too), as Claude Code 2.1.330 reports them', () => {
    const s = new StatusStore('t');
    // Captured shape: status allowed, no top-level utilisation, both windows in unifiedWindows.
    s.recordRateLimit({
      status: 'allowed',
      isUsingOverage: false,
      unifiedWindows: {
        five_hour: { utilization: 0.1, resetsAt: 1796207889, status: 'allowed' },
        seven_day: { utilization: 0.05, resetsAt: 1796290689, status: 'allowed' },
      },
    });
    const u = s.usageStatus();
    expect(u.fiveHour).toEqual({ utilization: 0.1, resetsAt: 1796207889, status: 'allowed' });
    expect(u.weekly).toEqual({ utilization: 0.05, resetsAt: 1796290689, status: 'allowed' });
    expect(u.other).toEqual({});
    expect(u.isUsingOverage).toBe(false);
    expect(u.extraUsage).toBeUndefined();
  });

  it('a threshold warning keeps its status; extra usage in use is remembered with its window and reset', () => {
    const s = new StatusStore('t');
    s.recordRateLimit({
      status: 'allowed_warning',
      resetsAt: 1796207948,
      rateLimitType: 'five_hour',
      utilization: 0.8,
      isUsingOverage: false,
      surpassedThreshold: 0.75,
      unifiedWindows: { five_hour: { utilization: 0.8, resetsAt: 1796207948, status: 'allowed', surpassedThreshold: 0.75 } },
    });
    expect(s.usageStatus().fiveHour).toEqual({ utilization: 0.8, resetsAt: 1796207948, status: 'allowed_warning' });
    s.recordRateLimit({
      status: 'rejected',
      resetsAt: 1796207918,
      rateLimitType: 'five_hour',
      overageStatus: 'allowed',
      isUsingOverage: true,
      overageInUse: true,
      unifiedWindows: { five_hour: { utilization: 1, resetsAt: 1796207918, status: 'rejected' } },
    });
    const u = s.usageStatus();
    expect(u.fiveHour).toEqual({ utilization: 1, resetsAt: 1796207918, status: 'rejected' });
    expect(u.extraUsage).toMatchObject({ window: 'five_hour', resetsAt: 1796207918 });
    expect(u.overageStatus).toBe('allowed');
    s.recordRateLimit({ status: 'allowed', isUsingOverage: false });
    expect(s.usageStatus().extraUsage).toBeUndefined();
  });
});
