import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Ties each CLI's life to the daemon's, so a daemon killed with SIGKILL (or crashing)
 * leaves no CLI finishing a turn nobody will receive (docs/decisions/043-cli-dies-with-daemon.md).
 *
 * - Linux: the kernel's parent-death signal (prctl PR_SET_PDEATHSIG), set by util-linux
 *   `setpriv --pdeathsig KILL` which then execs the CLI: nothing keeps running for it.
 * - Elsewhere (macOS has no pdeathsig), or Linux without setpriv: one small `sh` watchdog
 *   per daemon in its own session, holding a pipe from the daemon. It is told each CLI
 *   group as it starts and ends; when the pipe reaches EOF (the daemon is gone, however it
 *   died) it SIGKILLs the groups still listed.
 */
export type TieMode = 'pdeathsig' | 'watchdog' | 'none';

let setprivPath: string | null | undefined;

/** util-linux setpriv with --pdeathsig, checked once. */
export function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform !== 'linux') return setprivPath;
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', ...(process.env.PATH ?? '').split(path.delimiter)]) {
    const p = path.join(dir, 'setpriv');
    if (!dir || !fs.existsSync(p)) continue;
    const r = spawnSync(p, ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore', timeout: 5000 });
    if (r.status === 0) setprivPath = p;
    break;
  }
  return setprivPath;
}

/** The mechanism for this platform; MAXPROXY_PARENT_DEATH=watchdog|none forces one (tests, odd systems). */
export function chooseTie(env = process.env): TieMode {
  const forced = env.MAXPROXY_PARENT_DEATH;
  if (forced === 'watchdog' || forced === 'none') return forced;
  if (process.platform === 'win32') return 'none'; // Windows: the CLI exits on stdin EOF; no group kill there
  return findSetpriv() ? 'pdeathsig' : 'watchdog';
}

/** The command line that runs `command args` with the parent-death signal set. */
export function withPdeathsig(command: string, args: string[]): { command: string; args: string[] } {
  const setpriv = findSetpriv();
  if (!setpriv) return { command, args };
  return { command: setpriv, args: ['--pdeathsig', 'KILL', '--', command, ...args] };
}

// Lines "+<pgid>" / "-<pgid>" on stdin; at EOF every group still listed is killed.
const WATCHDOG = `
trap '' INT TERM HUP
live=" "
while IFS= read -r l; do
  case "$l" in
    +*) live="$live\${l#+} " ;;
    -*) live=$(printf '%s' "$live" | sed "s/ \${l#-} / /") ;;
  esac
done
for g in $live; do kill -KILL -- "-$g" 2>/dev/null || kill -KILL "$g" 2>/dev/null; done
`;

/** The per-daemon watchdog (started on first use). */
export class Watchdog {
  private child?: ChildProcess;

  private ensure(): ChildProcess | undefined {
    if (this.child && this.child.exitCode === null && this.child.stdin?.writable) return this.child;
    try {
      const child = spawn('/bin/sh', ['-c', WATCHDOG], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
      child.on('error', () => undefined);
      child.stdin?.on('error', () => undefined);
      child.unref();
      (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
      this.child = child;
      return child;
    } catch {
      return undefined;
    }
  }

  watch(pgid: number): void {
    this.ensure()?.stdin?.write(`+${pgid}\n`);
  }

  forget(pgid: number): void {
    if (this.child?.stdin?.writable) this.child.stdin.write(`-${pgid}\n`);
  }

  /** Orderly shutdown: nothing left to kill; let the watchdog exit. */
  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }
}
