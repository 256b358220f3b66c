import { describe, expect, it } from 'vitest';
import { StatusStore } from '../status/store.js';
import { Admission, watchExtraUsage } from './admission.js';
import type { CurrentShares } from './reader.js';

const NOW = 1_900_000_000_000;
const RESET = NOW / 1000 + 3600;

function setup(policy: 'refuse' | 'notify' | 'allow', shares: CurrentShares = { fiveHour: {}, weekly: {}, clients: [] }, budgets = {}) {
  const status = new StatusStore('test');
  const a = new Admission({ status, shares: () => shares, policy: () => policy, budgets: () => budgets, now: () => NOW });
  return { status, a };
}

describe('Admission', () => {
  it('refuses turns while extra usage is in use, with retry-after until the reset', () => {
    const { status, a } = setup('refuse');
    expect(a.check('curl')).toBeUndefined();
    status.recordRateLimit({ status: 'rejected', resetsAt: RESET, rateLimitType: 'five_hour', overageStatus: 'allowed', isUsingOverage: true });
    const e = a.check('curl');
    expect(e).toMatchObject({ kind: 'rate_limit', code: 'extra_usage_refused', retryAfterSeconds: 3600 });
    expect(e?.message).toContain('5-hour limit is used up (resets at 2030-03-17T18:46:40Z)');
    expect(e?.message).toContain('--extra-usage allow');
  });

  it('notify and allow let turns through', () => {
    for (const p of ['notify', 'allow'] as const) {
      const { status, a } = setup(p);
      status.recordRateLimit({ status: 'rejected', resetsAt: RESET, rateLimitType: 'five_hour', isUsingOverage: true });
      expect(a.check('curl')).toBeUndefined();
    }
  });

  it('stops refusing once the window has reset, or Claude Code says the plan is back', () => {
    const { status, a } = setup('refuse');
    status.recordRateLimit({ status: 'rejected', resetsAt: NOW / 1000 - 1, rateLimitType: 'five_hour', isUsingOverage: true });
    expect(a.check('curl')).toBeUndefined();
    status.recordRateLimit({ status: 'rejected', resetsAt: RESET, rateLimitType: 'five_hour', isUsingOverage: true });
    expect(a.check('curl')).toBeDefined();
    status.recordRateLimit({ status: 'allowed', isUsingOverage: false });
    expect(a.check('curl')).toBeUndefined();
  });

  it('refuses only the client over its budget (any case)', () => {
    const shares: CurrentShares = {
      fiveHour: { utilization: 0.5, resetsAt: RESET },
      weekly: {},
      clients: [
        { client: 'OpenClaw', turns: 9, fiveHour: 0.31, weekly: 0.1 },
        { client: 'curl', turns: 1, fiveHour: 0.01, weekly: 0 },
      ],
    };
    const { a } = setup('refuse', shares, { openclaw: 30, curl: 5 });
    expect(a.check('OpenClaw')).toMatchObject({ kind: 'rate_limit', code: 'client_budget_exceeded', retryAfterSeconds: 3600 });
    expect(a.check('OpenClaw')?.message).toContain('31.0% of the current 5-hour window, over its budget of 30%');
    expect(a.check('curl')).toBeUndefined();
    expect(a.check('Codex')).toBeUndefined();
  });

  it('notifies once per window for refuse and notify, never for allow', async () => {
    for (const [policy, expected] of [
      ['refuse', 1],
      ['notify', 1],
      ['allow', 0],
    ] as const) {
      const status = new StatusStore('t');
      const notices: unknown[] = [];
      status.onNotice((n) => notices.push(n));
      watchExtraUsage(
        status,
        () => policy,
        () => NOW,
      );
      for (let i = 0; i < 3; i++) {
        status.recordRateLimit({ status: 'rejected', resetsAt: RESET, rateLimitType: 'five_hour', isUsingOverage: true });
        await new Promise((r) => setImmediate(r));
      }
      expect(notices).toHaveLength(expected);
      if (expected) expect(notices[0]).toEqual({ kind: 'extra-usage', policy, window: '5-hour', resetsAt: RESET });
    }
  });
});
