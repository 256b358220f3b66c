import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaults } from '../config/defaults.js';
import { Ledger } from '../usage/ledger.js';
import { turn } from '../usage/testing.js';
import { parseSince, usageCommand } from './usage-command.js';

const NOW = Date.now();

describe('maxproxy usage', () => {
  it('parses --since', () => {
    expect(parseSince('5h', NOW)).toBe(NOW - 5 * 3_600_000);
    expect(parseSince('30d', NOW)).toBe(NOW - 30 * 86_400_000);
    expect(parseSince('2026-12-01', NOW)).toBe(new Date(2026, 11, 1).getTime());
    expect(parseSince('2026-12-01T10:00:00Z', NOW)).toBe(Date.UTC(2026, 11, 1, 10));
    expect(() => parseSince('yesterday', NOW)).toThrow(/--since takes/);
  });

  it('prints JSON groups and a table from the store; refuses a bad --by', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'usage-cmd-'));
    const l = new Ledger({ dataDir, retentionDays: 90, flushMs: 5 });
    l.record(turn({ endedAt: NOW - 1000, client: 'Codex', modelServed: 'claude-opus-4-8', billing: 'extra_usage' }));
    l.record(turn({ endedAt: NOW - 500, client: 'curl' }));
    await l.close();
    const config = { ...defaults(), dataDir };
    let out = '';
    let err = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
    expect(await usageCommand({ since: '24h', by: 'model', json: true }, config, io, NOW)).toBe(0);
    const j = JSON.parse(out);
    expect(j.groups.map((g: { key: string; turns: number; extraUsageTurns: number }) => [g.key, g.turns, g.extraUsageTurns])).toEqual([
      ['claude-opus-4-8', 1, 1],
      ['claude-sonnet-5-5', 1, 0],
    ]);
    expect(j.windows.fiveHour).toEqual({ utilization: null, resetsAt: null });
    out = '';
    expect(await usageCommand({ by: 'path', json: false }, config, io, NOW)).toBe(0);
    expect(out).toMatch(/^PATH\s+TURNS/m);
    expect(out).toMatch(/^extra_usage\s+1\s+10\s+5\s+0\s+0\s+0\.0%\s+0\.0%\s+1 turns$/m);
    expect(await usageCommand({ by: 'user', json: false }, config, io, NOW)).toBe(2);
    expect(err).toContain('--by takes client, model, day, hour, path');
  });
});
