import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../store/atomic-write.js';

export type LockResult = { ok: true; release(): void; update(info: { url: string }): void } | { ok: false; pid: number; url?: string };

/** What the lock file holds. */
export interface LockInfo {
  pid: number;
  /** Epoch ms when the lock was (re)written; always after its process started. */
  startedAt?: number;
  url?: string;
}

/** How the lock learns about processes (injectable for tests). */
export interface ProcessProbe {
  alive(pid: number): boolean;
  /** When the process started (epoch ms), or undefined when that cannot be told. */
  startedAt(pid: number): number | undefined;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** ps's etime: [[dd-]hh:]mm:ss. */
export function parseElapsed(etime: string): number | undefined {
  const m = /^(?:(?:(\d+)-)?(\d+):)?(\d+):(\d+)$/.exec(etime.trim());
  if (!m) return undefined;
  const [, d, h, min, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min)) * 60 + Number(s);
}

/** Start time from `ps -o etime=` (procps on Linux and BSD ps on macOS both have it). */
function startedAtByPs(pid: number): number | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'etime=', '-p', String(pid)], { encoding: 'utf8', timeout: 2_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const secs = parseElapsed(out);
    return secs === undefined ? undefined : Date.now() - secs * 1000;
  } catch {
    return undefined;
  }
}

export const systemProbe: ProcessProbe = { alive, startedAt: startedAtByPs };

/** ps reports whole seconds; a real holder started at most this long "after" its lock was written. */
const CLOCK_SLACK_MS = 2_000;

/**
 * Whether the process named in a lock still holds it. A dead pid does not; neither does
 * a live process that started after the lock was written: its pid was reused (after a
 * crash and a reboot, a login item's old pid often belongs to something else).
 */
export function holdsLock(info: LockInfo, probe: ProcessProbe = systemProbe): boolean {
  if (!Number.isInteger(info.pid) || info.pid <= 0 || info.pid === process.pid) return false;
  if (!probe.alive(info.pid)) return false;
  if (typeof info.startedAt !== 'number') return true;
  const started = probe.startedAt(info.pid);
  return started === undefined || started <= info.startedAt + CLOCK_SLACK_MS;
}

const lockFile = (dataDir: string) => path.join(dataDir, 'maxproxy.lock');

function readInfo(file: string): LockInfo | undefined {
  try {
    const held = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return held && typeof held === 'object' ? held : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One daemon per data dir: an exclusive lock file holding our pid and URL. A lock
 * left by a crashed run (its pid gone, or reused by another process) is taken over.
 */
export async function acquireInstanceLock(dataDir: string, probe: ProcessProbe = systemProbe): Promise<LockResult> {
  const file = lockFile(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      const startedAt = Date.now();
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, startedAt }));
      fs.closeSync(fd);
      return {
        ok: true,
        release: () => {
          if (readInfo(file)?.pid === process.pid) fs.rmSync(file, { force: true });
        },
        update: (info) => {
          // Atomic: `maxproxy status` must never read half a file.
          writeFileAtomicSync(file, JSON.stringify({ pid: process.pid, startedAt, ...info }));
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Half-written or corrupt: treat as stale.
      const held = readInfo(file);
      if (held && holdsLock(held, probe)) return { ok: false, pid: held.pid, url: held.url };
      fs.rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`could not take the instance lock ${file}`);
}

/** The running daemon for this data dir, if any. */
export function readLock(dataDir: string, probe: ProcessProbe = systemProbe): { pid: number; url?: string } | undefined {
  const held = readInfo(lockFile(dataDir));
  return held && holdsLock(held, probe) ? { pid: held.pid, url: held.url } : undefined;
}
