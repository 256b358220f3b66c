import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface SpawnRequest {
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/**
 * Starts CLI processes in their own process group and records their pids in the
 * data dir, so that a stop takes the whole group down and a restart after a crash
 * can reap what the crashed run left behind.
 */
export class ProcessGroups {
  private readonly live = new Map<number, ChildProcess>();

  constructor(private readonly pidDir: string) {
    fs.mkdirSync(pidDir, { recursive: true });
  }

  spawn(req: SpawnRequest, onStderr?: (line: string) => void): ChildProcess {
    const child = spawn(req.command, req.args, {
      cwd: req.cwd,
      env: req.env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    const pid = child.pid;
    if (pid) {
      this.live.set(pid, child);
      try {
        fs.writeFileSync(path.join(this.pidDir, String(pid)), JSON.stringify({ pid, command: req.command, startedAt: Date.now() }));
      } catch {
        /* best effort: reaping is a safety net */
      }
      child.once('exit', () => {
        this.live.delete(pid);
        fs.rm(path.join(this.pidDir, String(pid)), { force: true }, () => undefined);
      });
    }
    let buf = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) onStderr?.(line);
      }
      if (buf.length > 64 * 1024) buf = buf.slice(-4096);
    });
    req.signal?.addEventListener('abort', () => this.stop(child, 2000), { once: true });
    return child;
  }

  /** SIGTERM to the group, SIGKILL after `graceMs` if anything is still there. Resolves on exit. */
  stop(child: ChildProcess, graceMs: number): Promise<void> {
    const pid = child.pid;
    if (!pid || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        killGroup(pid, 'SIGKILL');
      }, graceMs);
      timer.unref();
      child.once('exit', () => {
        clearTimeout(timer);
        // The CLI may have started helpers in its group; make sure none outlive it.
        killGroup(pid, 'SIGKILL');
        resolve();
      });
      killGroup(pid, 'SIGTERM');
    });
  }

  async stopAll(graceMs: number): Promise<void> {
    await Promise.all([...this.live.values()].map((c) => this.stop(c, graceMs)));
  }

  get pids(): number[] {
    return [...this.live.keys()];
  }

  /** Kills CLI process groups recorded by an earlier run that did not clean up. Returns the pids reaped. */
  reapOrphans(): number[] {
    const reaped: number[] = [];
    let files: string[] = [];
    try {
      files = fs.readdirSync(this.pidDir);
    } catch {
      return reaped;
    }
    for (const f of files) {
      const file = path.join(this.pidDir, f);
      try {
        const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number; command: string };
        if (!this.live.has(rec.pid) && isSameProcess(rec.pid, rec.command)) {
          killGroup(rec.pid, 'SIGKILL');
          reaped.push(rec.pid);
        }
      } catch {
        /* unreadable record: just drop it */
      }
      if (!this.live.has(Number(f))) fs.rmSync(file, { force: true });
    }
    return reaped;
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/** A recorded pid is only ours if it still runs the recorded binary (pids get reused). */
function isSameProcess(pid: number, command: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmd = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', timeout: 5000 }).trim();
    return cmd.includes(path.basename(command));
  } catch {
    return false;
  }
}
