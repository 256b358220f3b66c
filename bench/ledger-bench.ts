/**
 * The usage ledger's costs (`npm run bench`, or only this part: `npm run bench -- --only ledger`):
 * - request path: what the daemon does per ended turn (ledger.record, metrics) plus the
 *   admission check of the next turn, with a week of turns in memory;
 * - the store: rows written per second (appends + fdatasync), bytes per 100k turns;
 * - a 90-day `maxproxy usage` query: opening the store read-only and grouping by client.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metrics } from '../src/server/metrics.js';
import { StatusStore } from '../src/status/store.js';
import type { TurnRecord } from '../src/turn/turn-record.js';
import { Admission } from '../src/usage/admission.js';
import { Ledger } from '../src/usage/ledger.js';
import { UsageStore } from '../src/usage/store.js';

export interface LedgerBench {
  /** Wall time per turn (includes being descheduled on a busy machine) and mean CPU time per turn. */
  requestPath: { p50: number; p99: number; max: number; n: number; inMemory: number; cpuMeanMs: number };
  rowsPerSecond: number;
  bytesPer100k: number;
  query90d: { ms: number; turns: number; perDay: number };
}

const CLIENTS = ['OpenClaw', 'opencode', 'Codex', 'OpenAI SDK', 'curl', 'Anthropic SDK'];
const MODELS = ['claude-sonnet-5-5', 'claude-opus-5-5', 'claude-haiku-5-5'];

function fakeTurn(i: number, endedAt: number, fiveReset: number, weekReset: number): TurnRecord {
  return {
    startedAt: endedAt - 2_345,
    endedAt,
    requestId: `3f1c2a9e-5b7d-4c1e-9a2b-${String(i).padStart(12, '0')}`,
    sessionId: `b7e4d1c0-2f3a-4e5b-8c6d-${String(i % 997).padStart(12, '0')}`,
    client: CLIENTS[i % CLIENTS.length],
    endpoint: i % 3 === 0 ? 'messages' : 'chat.completions',
    modelRequested: 'sonnet',
    modelServed: MODELS[i % MODELS.length],
    status: i % 50 === 0 ? 'error' : 'ok',
    ...(i % 50 === 0 ? { errorKind: 'upstream' as const } : {}),
    usage: { inputTokens: 1200 + (i % 300), outputTokens: 340 + (i % 90), cacheReadInputTokens: 15_000 + i, cacheCreationInputTokens: i % 7 === 0 ? 2_048 : 0 },
    ttftMs: 412,
    durationMs: 2_345,
    billing: 'plan',
    fiveHour: { utilization: Math.min(1, (i % 400) / 400), resetsAt: fiveReset },
    weekly: { utilization: Math.min(1, (i % 4000) / 4000), resetsAt: weekReset },
  };
}

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))];
};

export async function benchLedger(log: (s: string) => void = () => undefined): Promise<LedgerBench> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-ledger-bench-'));
  try {
    const now = Date.now();
    const nowS = Math.floor(now / 1000);

    // Request path, with a busy week already in memory (about 1,400 turns a day).
    const dataDir = path.join(root, 'live');
    const pre = new UsageStore({ dir: path.join(dataDir, 'usage') });
    const inMemory = 10_000;
    for (let i = 0; i < inMemory; i++) pre.append(fakeTurn(i, now - 7 * 86_400_000 + i * 60_000, nowS + 3600, nowS + 86_400));
    await pre.close();
    const status = new StatusStore('bench');
    const metrics = new Metrics({ defaultMetrics: false });
    const ledger = new Ledger({ dataDir, retentionDays: 90, budgets: () => ({ OpenClaw: 40 }) });
    const admission = new Admission({ status, shares: () => ledger.sharesSync(), policy: () => 'refuse', budgets: () => ({ OpenClaw: 40 }) });
    const costs: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 2_000; i++) {
      const r = fakeTurn(inMemory + i, Date.now(), nowS + 3600, nowS + 86_400);
      const t0 = process.hrtime.bigint();
      ledger.record(r);
      metrics.recordTurn(r);
      admission.check(CLIENTS[i % CLIENTS.length]);
      costs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const cpu = process.cpuUsage(cpu0);
    await ledger.close();
    const cpuMeanMs = (cpu.user + cpu.system) / 1000 / costs.length;
    const requestPath = { p50: q(costs, 0.5), p99: q(costs, 0.99), max: Math.max(...costs), n: costs.length, inMemory, cpuMeanMs };
    log(`ledger: request path p50 ${requestPath.p50.toFixed(3)} ms, p99 ${requestPath.p99.toFixed(3)} ms, mean CPU ${cpuMeanMs.toFixed(3)} ms`);

    // Store throughput and size: 100k turns, flushed (and fdatasynced) every 1,000 rows.
    const sizeDir = path.join(root, 'size');
    const store = new UsageStore({ dir: sizeDir });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 100_000; i++) {
      store.append(fakeTurn(i, now - 100_000 + i, nowS + 3600, nowS + 86_400));
      if (i % 1000 === 999) await store.flush();
    }
    await store.close();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const rowsPerSecond = Math.round(100_000 / seconds);
    const bytesPer100k = store.bytes();
    log(`ledger: ${rowsPerSecond} rows/s written, ${(bytesPer100k / 1e6).toFixed(1)} MB per 100k turns`);

    // 90 days at 1,000 turns a day, then `maxproxy usage --since 90d` as it runs it.
    const qDir = path.join(root, 'query');
    const perDay = 1_000;
    const qs = new UsageStore({ dir: path.join(qDir, 'usage') });
    let i = 0;
    for (let d = 89; d >= 0; d--) {
      for (let k = 0; k < perDay; k++) qs.append(fakeTurn(i++, now - d * 86_400_000 - (perDay - k) * 60_000, nowS + 3600, nowS + 86_400));
      await qs.flush();
    }
    await qs.close();
    const q0 = process.hrtime.bigint();
    const reader = new Ledger({ dataDir: qDir, retentionDays: 90, readOnly: true });
    const groups = reader.groupsSync(now - 90 * 86_400_000, 'client');
    const ms = Number(process.hrtime.bigint() - q0) / 1e6;
    const turns = groups.reduce((n, g) => n + g.turns, 0);
    log(`ledger: 90-day query over ${turns} turns in ${ms.toFixed(0)} ms`);
    return { requestPath, rowsPerSecond, bytesPer100k, query90d: { ms, turns, perDay } };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
