import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from './ledger.js';
import { turn } from './testing.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'usage-ledger-'));

describe('Ledger', () => {
  const now = Date.now();
  const reset5h = Math.floor(now / 1000) + 5 * 3600 - 120; // began two minutes ago, after the ledger was created
  const reset7d = Math.floor(now / 1000) + 7 * 86400 - 120;
  const at = (u5: number, u7: number) => ({ fiveHour: { utilization: u5, resetsAt: reset5h }, weekly: { utilization: u7, resetsAt: reset7d } });

  it('records, attributes shares to clients, groups, and survives a reopen', async () => {
    const dataDir = tmp();
    const clock = { t: now - 200_000 };
    const l = new Ledger({ dataDir, retentionDays: 90, now: () => clock.t, flushMs: 10, budgets: () => ({ openclaw: 25 }) });
    clock.t = now;
    l.record(turn({ endedAt: now - 3000, client: 'OpenClaw', ...at(0.1, 0.02) }));
    l.record(turn({ endedAt: now - 2000, client: 'OpenClaw', ...at(0.2, 0.04) }));
    l.record(turn({ endedAt: now - 1000, client: 'curl', ...at(0.25, 0.05), billing: 'extra_usage' }));
    const shares = l.sharesSync();
    expect(shares.fiveHour).toEqual({ utilization: 0.25, resetsAt: reset5h });
    expect(shares.clients).toEqual([
      { client: 'OpenClaw', turns: 2, fiveHour: 0.2, weekly: 0.04, budgetPercent: 25 },
      { client: 'curl', turns: 1, fiveHour: 0.05, weekly: 0.01 },
    ]);
    const byPath = await l.groups({ sinceMs: now - 3_600_000, by: 'path' });
    expect(byPath.map((g) => [g.key, g.turns, g.extraUsageTurns])).toEqual([
      ['plan', 2, 0],
      ['extra_usage', 1, 1],
    ]);
    expect(l.summary()).toMatchObject({ turnsToday: 3, extraUsageTurnsToday: 1, lastTurn: { billing: 'extra_usage', client: 'curl' } });
    await l.close();

    const reopened = new Ledger({ dataDir, retentionDays: 90, readOnly: true, now: () => now });
    expect(reopened.sharesSync().clients.map((c) => [c.client, c.fiveHour])).toEqual([
      ['OpenClaw', 0.2],
      ['curl', 0.05],
    ]);
    expect((await reopened.recentTurns({ limit: 2 })).map((r) => r.client)).toEqual(['curl', 'OpenClaw']);
    expect((await reopened.windows({ sinceMs: 0 })).map((w) => w.fiveHour)).toEqual([0.1, 0.2, 0.25]);
  });

  it('fills readings and the billing path Claude Code did not repeat (it reports only changes)', async () => {
    const dataDir = tmp();
    const l = new Ledger({
      dataDir,
      retentionDays: 90,
      flushMs: 10,
      latest: () => ({ fiveHour: { utilization: 0.3, resetsAt: reset5h }, billing: 'extra_usage' }),
    });
    l.record(turn({ endedAt: Date.now(), billing: 'unknown' }));
    const [r] = await l.recentTurns({ limit: 1 });
    expect(r).toMatchObject({ billing: 'extra_usage', fiveHour: { utilization: 0.3, resetsAt: reset5h } });
    await l.close();
  });

  it('answers queries older than memory from the store and from daily totals', async () => {
    const dataDir = tmp();
    const w = new Ledger({ dataDir, retentionDays: 30, flushMs: 10 });
    w.record(turn({ endedAt: now - 20 * 86_400_000, client: 'Codex' }));
    w.record(turn({ endedAt: now - 40 * 86_400_000, client: 'Codex' }));
    w.record(turn({ endedAt: now, client: 'curl' }));
    await w.close();
    // Reopening read-write folds the 40-day-old turn into daily totals (retention 30 days).
    await new Ledger({ dataDir, retentionDays: 30 }).close();
    const r = new Ledger({ dataDir, retentionDays: 30, readOnly: true });
    expect((await r.groups({ sinceMs: now - 60 * 86_400_000, by: 'client' })).map((g) => [g.key, g.turns])).toEqual([
      ['Codex', 2],
      ['curl', 1],
    ]);
    expect((await r.groups({ sinceMs: now - 25 * 86_400_000, by: 'client' })).map((g) => [g.key, g.turns])).toEqual([
      ['Codex', 1],
      ['curl', 1],
    ]);
    expect((await r.series({ sinceMs: now - 60 * 86_400_000, bucket: 'day' })).length).toBe(3);
  });
});
