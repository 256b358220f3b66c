import { describe, expect, it } from 'vitest';
import { RecordCompactor } from './compact-record.js';
import { turn } from './testing.js';

// A fresh copy of a string each time, as JSON.parse gives one per request.
const fresh = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

describe('RecordCompactor', () => {
  it('keeps every value and leaves the input alone', () => {
    const c = new RecordCompactor();
    const r = turn({ endedAt: 1000, client: 'OpenClaw', errorKind: 'rate_limit', status: 'error', fiveHour: { utilization: 0.2, resetsAt: 99 } });
    const before = structuredClone(r);
    const out = c.compact(r);
    expect(out).toEqual(before);
    expect(r).toEqual(before);
    expect(out).not.toBe(r);
  });

  it('adds no keys the record did not have', () => {
    const out = new RecordCompactor().compact(turn({ endedAt: 1 }));
    expect('errorKind' in out).toBe(false);
    expect('fiveHour' in out).toBe(false);
    expect('weekly' in out).toBe(false);
  });

  it('shares a window reading until it changes', () => {
    const c = new RecordCompactor();
    const a = c.compact(turn({ endedAt: 1, fiveHour: { utilization: 0.2, resetsAt: 99 }, weekly: { resetsAt: 500 } }));
    const b = c.compact(turn({ endedAt: 2, fiveHour: { utilization: 0.2, resetsAt: 99 }, weekly: { resetsAt: 500 } }));
    expect(b.fiveHour).toBe(a.fiveHour);
    expect(b.weekly).toBe(a.weekly);
    const d = c.compact(turn({ endedAt: 3, fiveHour: { utilization: 0.3, resetsAt: 99 }, weekly: { utilization: 0, resetsAt: 500 } }));
    expect(d.fiveHour).not.toBe(a.fiveHour);
    expect(d.fiveHour).toEqual({ utilization: 0.3, resetsAt: 99 });
    // A reading that gained its utilisation is a different reading, not the same one.
    expect(d.weekly).toEqual({ utilization: 0, resetsAt: 500 });
    expect(d.weekly).not.toBe(a.weekly);
    expect(a.weekly).toEqual({ resetsAt: 500 });
  });

  it('does not share the caller’s reading objects (a later change to them cannot reach the ledger)', () => {
    const c = new RecordCompactor();
    const reading = { utilization: 0.1, resetsAt: 7 };
    const out = c.compact(turn({ endedAt: 1, fiveHour: reading }));
    reading.utilization = 0.9;
    expect(out.fiveHour).toEqual({ utilization: 0.1, resetsAt: 7 });
  });

  it('holds each distinct name once, and forgets them at clear()', () => {
    const c = new RecordCompactor();
    const opencode = (endedAt: number, sessionId: string) =>
      turn({
        endedAt,
        sessionId: fresh(sessionId),
        client: fresh('opencode'),
        endpoint: 'messages',
        modelRequested: fresh('claude-opus-4-5'),
        modelServed: fresh('claude-opus-4-5'),
      });
    for (let i = 0; i < 50; i++) c.compact(opencode(i, 's1'));
    // opencode, messages, claude-opus-4-5 (asked for and served: one name), s1.
    expect(c.size).toBe(4);
    c.compact(opencode(50, 's2'));
    expect(c.size).toBe(5);
    c.clear();
    expect(c.size).toBe(0);
    const out = c.compact(opencode(51, 's3'));
    expect(out).toMatchObject({ client: 'opencode', sessionId: 's3', modelRequested: 'claude-opus-4-5' });
    expect(c.size).toBe(4);
  });
});
