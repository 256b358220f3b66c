import { describe, expect, it } from 'vitest';
import { emptyUsage } from '../turn/types.js';
import { billingOf, buildTurnRecord, type TurnFacts, windowsOf } from './turn-record-builder.js';

const facts = (over: Partial<TurnFacts> = {}, fold: Partial<TurnFacts['fold']> = {}): TurnFacts => ({
  requestId: 'req-1',
  sessionId: 'sess-1',
  client: 'OpenClaw',
  endpoint: 'chat.completions',
  modelRequested: 'sonnet',
  modelResolved: 'sonnet',
  startedAt: 1_000,
  endedAt: 1_900,
  firstOutputAt: 1_250,
  cancelled: false,
  ...over,
  fold: { model: 'claude-sonnet-4-6', usage: { ...emptyUsage(), inputTokens: 10, outputTokens: 4 }, rateLimits: [], stopReason: 'end_turn', ...fold },
});

describe('billingOf', () => {
  it('is extra usage when any rate-limit event says overage is in use', () => {
    expect(
      billingOf([
        { status: 'allowed', rateLimitType: 'five_hour' },
        { status: 'rejected', isUsingOverage: true, rateLimitType: 'five_hour' },
      ]),
    ).toBe('extra_usage');
  });
  it('is the plan when rate limits were reported without overage', () => {
    expect(billingOf([{ status: 'allowed_warning', isUsingOverage: false, rateLimitType: 'five_hour' }])).toBe('plan');
  });
  it('is unknown when Claude Code reported no rate limits (API-key credentials)', () => {
    expect(billingOf([])).toBe('unknown');
  });
});

describe('windowsOf', () => {
  it('reads every window from unifiedWindows, utilisation below the thresholds included', () => {
    expect(
      windowsOf([
        {
          status: 'allowed',
          unifiedWindows: {
            five_hour: { utilization: 0.31, resetsAt: 100 },
            seven_day: { utilization: 0.12, resetsAt: 900 },
            seven_day_opus: { utilization: 0.5 },
          },
        },
      ]),
    ).toEqual({ fiveHour: { utilization: 0.31, resetsAt: 100 }, weekly: { utilization: 0.12, resetsAt: 900 } });
  });
  it('lets the top-level fields of a warning window win where they are set', () => {
    expect(windowsOf([{ rateLimitType: 'five_hour', utilization: 0.92, unifiedWindows: { five_hour: { utilization: 0.9, resetsAt: 100 } } }])).toEqual({
      fiveHour: { utilization: 0.92, resetsAt: 100 },
    });
  });

  it('keeps the last reading of the 5-hour and weekly windows and ignores others', () => {
    expect(
      windowsOf([
        { rateLimitType: 'five_hour', utilization: 0.5, resetsAt: 100 },
        { rateLimitType: 'seven_day_opus', utilization: 0.9, resetsAt: 300 },
        { rateLimitType: 'five_hour', utilization: 0.6, resetsAt: 100 },
        { rateLimitType: 'seven_day', resetsAt: 200 },
      ]),
    ).toEqual({ fiveHour: { utilization: 0.6, resetsAt: 100 }, weekly: { utilization: undefined, resetsAt: 200 } });
  });
});

describe('buildTurnRecord', () => {
  it('records an answered turn with its timing, usage and the served model', () => {
    const r = buildTurnRecord(facts());
    expect(r).toEqual({
      startedAt: 1_000,
      endedAt: 1_900,
      requestId: 'req-1',
      sessionId: 'sess-1',
      client: 'OpenClaw',
      endpoint: 'chat.completions',
      modelRequested: 'sonnet',
      modelServed: 'claude-sonnet-4-6',
      status: 'ok',
      usage: { inputTokens: 10, outputTokens: 4, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
      ttftMs: 250,
      durationMs: 900,
      billing: 'unknown',
    });
  });
  it('records a failed turn with its error kind and falls back to the resolved model', () => {
    const r = buildTurnRecord(facts({ firstOutputAt: undefined }, { model: '', stopReason: undefined, error: { kind: 'rate_limit', message: 'x' } }));
    expect(r.status).toBe('error');
    expect(r.errorKind).toBe('rate_limit');
    expect(r.modelServed).toBe('sonnet');
    expect(r.ttftMs).toBeUndefined();
  });
  it('records a turn the client left as cancelled, whatever error the stop produced', () => {
    const r = buildTurnRecord(facts({ cancelled: true }, { stopReason: undefined, error: { kind: 'upstream', message: 'stopped' } }));
    expect(r.status).toBe('cancelled');
    expect(r.errorKind).toBeUndefined();
  });
  it('never carries text: only the fields of the record', () => {
    const r = buildTurnRecord(facts({}, { rateLimits: [{ rateLimitType: 'five_hour', utilization: 0.42, resetsAt: 7, isUsingOverage: true }] }));
    expect(Object.keys(r).sort()).toEqual(
      [
        'billing',
        'client',
        'durationMs',
        'endedAt',
        'endpoint',
        'fiveHour',
        'modelRequested',
        'modelServed',
        'requestId',
        'sessionId',
        'startedAt',
        'status',
        'ttftMs',
        'usage',
      ].sort(),
    );
    expect(r.billing).toBe('extra_usage');
    expect(r.fiveHour).toEqual({ utilization: 0.42, resetsAt: 7 });
  });
});
