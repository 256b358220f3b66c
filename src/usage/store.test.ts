import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromRow, localDay, toRow } from './rows.js';
import { UsageStore } from './store.js';
import { turn } from './testing.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'usage-store-'));
const NOW = Date.now();

describe('UsageStore', () => {
  it('round-trips a turn through its compact row', () => {
    const r = turn({
      endedAt: NOW,
      errorKind: 'timeout',
      status: 'error',
      ttftMs: 12.4,
      fiveHour: { utilization: 0.42, resetsAt: 1_900_000_000 },
      weekly: { resetsAt: 1 },
    });
    expect(fromRow(JSON.parse(JSON.stringify(toRow(r))))).toEqual({ ...r, ttftMs: 12 });
  });

  it('keeps the hosted tool counts (web searches, web fetches) of a turn that offered them', () => {
    const r = turn({ endedAt: NOW });
    const hosted = { ...r, usage: { ...r.usage, serverToolUse: { webSearchRequests: 2, webFetchRequests: 3 } } };
    expect(toRow(hosted).x).toEqual([2, 3]);
    expect(fromRow(JSON.parse(JSON.stringify(toRow(hosted))))).toEqual(hosted);
    expect(toRow(r).x).toBeUndefined();
    const search = { ...r, usage: { ...r.usage, serverToolUse: { webSearchRequests: 1 } } };
    expect(fromRow(JSON.parse(JSON.stringify(toRow(search))))).toEqual(search);
  });

  it('appends to a segment per local day and reads back after flush', async () => {
    const dir = tmp();
    const s = new UsageStore({ dir, flushMs: 10 });
    s.append(turn({ endedAt: NOW - 86_400_000 }));
    s.append(turn({ endedAt: NOW }));
    s.append(turn({ endedAt: NOW + 1 }));
    await s.close();
    expect(s.days()).toEqual([localDay(NOW - 86_400_000), localDay(NOW)]);
    expect(new UsageStore({ dir, readOnly: true }).readRows(NOW - 2 * 86_400_000)).toHaveLength(3);
    expect(new UsageStore({ dir, readOnly: true }).readRows(NOW)).toHaveLength(2);
  });

  it('skips a torn last line and fences it off before the next append', async () => {
    const dir = tmp();
    const s = new UsageStore({ dir, flushMs: 10 });
    s.append(turn({ endedAt: NOW }));
    await s.close();
    const file = path.join(dir, `turns-${localDay(NOW)}.jsonl`);
    fs.appendFileSync(file, '{"t":1,"e":2,"r":"torn","c":"cu'); // a crash mid-write
    expect(new UsageStore({ dir, readOnly: true }).readRows(0)).toHaveLength(1);
    const again = new UsageStore({ dir, flushMs: 10 });
    again.append(turn({ endedAt: NOW + 5, requestId: 'after' }));
    await again.close();
    const rows = new UsageStore({ dir, readOnly: true }).readRows(0);
    expect(rows.map((r) => r.r).at(-1)).toBe('after');
    expect(rows).toHaveLength(2);
  });

  it('flushSync writes what is queued (shutdown)', () => {
    const dir = tmp();
    const s = new UsageStore({ dir, flushMs: 60_000 });
    s.append(turn({ endedAt: NOW }));
    s.flushSync();
    expect(new UsageStore({ dir, readOnly: true }).readRows(0)).toHaveLength(1);
  });

  it('rolls old days into daily totals, idempotently', async () => {
    const dir = tmp();
    const s = new UsageStore({ dir, flushMs: 10 });
    const old = NOW - 100 * 86_400_000;
    s.append(turn({ endedAt: old, client: 'OpenClaw', billing: 'extra_usage' }));
    s.append(turn({ endedAt: old + 1, client: 'OpenClaw', billing: 'extra_usage' }));
    s.append(turn({ endedAt: old + 2, client: 'curl' }));
    s.append(turn({ endedAt: NOW }));
    await s.close();
    const oldSeg = fs.readFileSync(path.join(dir, `turns-${localDay(old)}.jsonl`));
    expect(s.rollup(localDay(NOW - 90 * 86_400_000))).toBe(1);
    expect(s.days()).toEqual([localDay(NOW)]);
    const daily = s.readDaily();
    expect(daily).toEqual([
      { day: localDay(old), c: 'OpenClaw', m: 'claude-sonnet-5-5', b: 'x', n: 2, u: [20, 10, 0, 0] },
      { day: localDay(old), c: 'curl', m: 'claude-sonnet-5-5', b: 'p', n: 1, u: [10, 5, 0, 0] },
    ]);
    // A crash after the totals were written but before the segment was deleted: no double count.
    fs.writeFileSync(path.join(dir, `turns-${localDay(old)}.jsonl`), oldSeg);
    s.rollup(localDay(NOW - 90 * 86_400_000));
    expect(s.readDaily()).toEqual(daily);
  });
});
