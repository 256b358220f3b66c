/** The bench's report: its shape, the ledger's lines and target, upstream request sizes. */

import type { EventLoopRow } from './event-loop.js';
import type { Forwarding } from './forwarding.js';
import type { LedgerBench } from './ledger-bench.js';
import type { Dist } from './stats.js';

export interface Report {
  when: string;
  machine: { platform: string; cpus: number; cpuModel: string; memGb: number; node: string; loadAvgStart: number[]; loadAvgEnd?: number[] };
  claude: { path: string; version?: string };
  runs: number;
  direct: { ttft: Dist; total: Dist; exit: Dist };
  directPersistent: { firstTurn: { ttft: Dist; total: Dist }; continuation: { ttft: Dist; total: Dist } };
  cold: { ttft: Dist; total: Dist };
  warm: { available: boolean; ttft?: Dist; total?: Dist; hits?: number; note?: string };
  continuation: { ttft: Dist; total: Dist };
  forwarding: Forwarding;
  upstream: {
    maxproxy: { requestBytes: number; systemBytes: number; toolsBytes: number; systemPlusToolsBytes: number };
    directPlain: { requestBytes: number; systemPlusToolsBytes: number };
    directDefault: { requestBytes: number; systemPlusToolsBytes: number; tools: number };
  };
  memory: {
    daemonFreshMb: number;
    daemonIdleMb: number;
    idleAfterMs: number;
    daemonAfterRunMb: number;
    afterRunAfterMs: number;
    perLiveSessionMb: number;
    liveSessions: number;
    perWarmSpareMb?: number;
  };
  ledger: LedgerBench;
  eventLoop: EventLoopRow[];
  targets: Array<{ name: string; target: string; value: string; pass: boolean }>;
}

export const ledgerTarget = (l: LedgerBench) => ({
  name: 'usage ledger cost per turn (request path) p99',
  target: '< 1 ms',
  value: `${l.requestPath.p99.toFixed(3)} ms`,
  pass: l.requestPath.p99 < 1,
});

export const ledgerLines = (l: LedgerBench): string[] => [
  `  usage ledger per turn on the request path (record + metrics + next admission, ${l.requestPath.inMemory} turns in memory): p50 ${l.requestPath.p50.toFixed(3)} ms, p99 ${l.requestPath.p99.toFixed(3)} ms, max ${l.requestPath.max.toFixed(1)} ms (n=${l.requestPath.n}); mean CPU time ${l.requestPath.cpuMeanMs.toFixed(3)} ms per turn`,
  `  usage store: ${l.rowsPerSecond} rows/s written (fdatasync per 1,000 rows), ${(l.bytesPer100k / 1e6).toFixed(1)} MB per 100k turns; 90-day query over ${l.query90d.turns} turns (${l.query90d.perDay}/day): ${l.query90d.ms.toFixed(0)} ms`,
];

/** `--only ledger`: the ledger part alone (no CLI, no daemon). */
export const upstreamSizes = (body: any, rawBytes: number) => {
  const systemBytes = Buffer.byteLength(JSON.stringify(body?.system ?? ''));
  const toolsBytes = Buffer.byteLength(JSON.stringify(body?.tools ?? []));
  return { requestBytes: rawBytes, systemBytes, toolsBytes, systemPlusToolsBytes: systemBytes + toolsBytes };
};
