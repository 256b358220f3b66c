import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * What proves that a pid still names the process we started: its start time (fixed at
 * fork, unique per pid per boot) and the executable it runs. Pids are reused, and a
 * command line can say anything (`exec -a claude ...`), so neither a pid nor a name is
 * proof on its own.
 */
export interface ProcessIdentity {
  /** Linux: boot id + start time in clock ticks since boot; elsewhere `ps -o lstart`. */
  start: string;
  /** The executable's real path (Linux /proc/<pid>/exe; elsewhere `ps -o comm`). */
  exe: string;
  /** The process group it leads or belongs to. */
  pgid: number;
}

const isLinux = process.platform === 'linux';

function bootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** The identity of a running process, or undefined when it is gone (or cannot be read). */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    if (isLinux) {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z') return undefined;
      let exe = '';
      try {
        exe = fs.readlinkSync(`/proc/${pid}/exe`);
      } catch {
        /* not ours to read: leave empty, it will not match */
      }
      return { start: `${bootId()}:${f[19]}`, exe, pgid: Number(f[2]) };
    }
    const out = execFileSync('ps', ['-o', 'pgid=,lstart=,comm=', '-p', String(pid)], { encoding: 'utf8', timeout: 5000 }).trim();
    const m = /^(\d+)\s+(\w{3}\s+\w{3}\s+\d+\s+[\d:]+\s+\d{4})\s+(.+)$/.exec(out);
    if (!m) return undefined;
    return { start: m[2].replace(/\s+/g, ' '), exe: m[3], pgid: Number(m[1]) };
  } catch {
    return undefined;
  }
}

const real = (p: string): string => {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
};

/** The executable a recorded command runs, as processIdentity would report it. */
export function expectedExecutable(command: string): string {
  return path.isAbsolute(command) ? real(command) : command;
}

/** Same executable: equal real paths, or equal names when the record holds only a name. */
export function sameExecutable(recorded: string, actual: string): boolean {
  if (!recorded || !actual) return false;
  const a = actual.replace(/ \(deleted\)$/, '');
  if (path.isAbsolute(recorded) && path.isAbsolute(a)) return real(a) === recorded || a === recorded;
  return path.basename(a) === path.basename(recorded);
}
