import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chooseTie, type TieMode, Watchdog, withPdeathsig } from './parent-death.js';
import { expectedExecutable, processIdentity, sameExecutable } from './process-identity.js';

export interface SpawnRequest {
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** A pid file: enough to prove, after a crash, that a pid is still the process we started. */
interface PidRecord {
  pid: number;
  command: string;
  startedAt: number;
  /** processIdentity(pid).start at spawn time. */
  start?: string;
  /** The executable the command runs. */
  exe?: string;
}

/**
 * Starts CLI processes in their own process group, tied to the daemon's life (see
 * parent-death.ts), and records their pids in the data dir, so that a stop takes the
 * whole group down and a restart after a crash can reap what the crashed run left
 * behind — only processes provably ours (docs/decisions/042-reap-only-our-processes.md).
 */
export class ProcessGroups {
  private readonly live = new Map<number, ChildProcess>();
  readonly tie: TieMode;
  private readonly watchdog = new Watchdog();

  constructor(
    private readonly pidDir: string,
    tie: TieMode = chooseTie(),
  ) {
    fs.mkdirSync(pidDir, { recursive: true, mode: 0o700 });
    this.tie = tie;
  }

  spawn(req: SpawnRequest, onStderr?: (line: string) => void): ChildProcess {
    const run = this.tie === 'pdeathsig' ? withPdeathsig(req.command, req.args) : { command: req.command, args: req.args };
    const child = spawn(run.command, run.args, {
      cwd: req.cwd,
      env: req.env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    const pid = child.pid;
    if (pid) {
      this.live.set(pid, child);
      if (this.tie === 'watchdog') this.watchdog.watch(pid);
      const file = path.join(this.pidDir, String(pid));
      try {
        const id = processIdentity(pid);
        const rec: PidRecord = { pid, command: req.command, startedAt: Date.now(), start: id?.start, exe: expectedExecutable(req.command) };
        fs.writeFileSync(file, JSON.stringify(rec), { mode: 0o600 });
      } catch {
        /* best effort: reaping is a safety net */
      }
      child.once('exit', () => {
        this.live.delete(pid);
        if (this.tie === 'watchdog') this.watchdog.forget(pid);
        // Synchronously: an asynchronous removal loses the race with process.exit at shutdown.
        try {
          fs.rmSync(file, { force: true });
        } catch {
          /* the reaper checks identity anyway */
        }
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
    this.watchdog.close();
  }

  get pids(): number[] {
    return [...this.live.keys()];
  }

  /**
   * Kills CLI processes recorded by an earlier run that did not clean up: only a process
   * whose start time and executable match its record (a reused pid, or a process merely
   * named like ours, is left alone), and its group only when it still leads that group.
   * Returns the pids reaped.
   */
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
        const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as PidRecord;
        if (!this.live.has(rec.pid) && isRecordedProcess(rec)) {
          const id = processIdentity(rec.pid);
          if (id?.pgid === rec.pid) killGroup(rec.pid, 'SIGKILL');
          else process.kill(rec.pid, 'SIGKILL');
          reaped.push(rec.pid);
        }
      } catch {
        /* unreadable record, or gone meanwhile: just drop it */
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

/** A recorded pid is only ours if it still is the very process recorded (pids get reused, names lie). */
export function isRecordedProcess(rec: PidRecord): boolean {
  if (typeof rec.pid !== 'number' || !rec.start || !rec.exe) return false; // records of older versions prove nothing
  const id = processIdentity(rec.pid);
  return id !== undefined && id.start === rec.start && sameExecutable(rec.exe, id.exe);
}
