import fs from 'node:fs';
import path from 'node:path';

export type LockResult = { ok: true; release(): void; update(info: { url: string }): void } | { ok: false; pid: number; url?: string };

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One daemon per data dir: an exclusive lock file holding our pid and URL. A lock
 * left by a crashed run (its pid gone) is taken over.
 */
export async function acquireInstanceLock(dataDir: string): Promise<LockResult> {
  const file = path.join(dataDir, 'maxproxy.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, startedAt: Date.now() }));
      fs.closeSync(fd);
      return {
        ok: true,
        release: () => {
          try {
            const cur = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number };
            if (cur.pid === process.pid) fs.rmSync(file, { force: true });
          } catch {
            /* gone already */
          }
        },
        update: (info) => fs.writeFileSync(file, JSON.stringify({ pid: process.pid, startedAt: Date.now(), ...info })),
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let held: { pid?: number; url?: string } = {};
      try {
        held = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch {
        /* half-written or corrupt: treat as stale */
      }
      if (held.pid && held.pid !== process.pid && alive(held.pid)) return { ok: false, pid: held.pid, url: held.url };
      fs.rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`could not take the instance lock ${file}`);
}

export function readLock(dataDir: string): { pid: number; url?: string } | undefined {
  try {
    const held = JSON.parse(fs.readFileSync(path.join(dataDir, 'maxproxy.lock'), 'utf8')) as { pid: number; url?: string };
    return alive(held.pid) ? held : undefined;
  } catch {
    return undefined;
  }
}
