/**
 * The menu-bar icon on macOS, in order of preference (docs/decisions/060, 061):
 *   1. maxproxy's own helper, assets/macos/maxproxy-menubar.js, run by Apple's
 *      /usr/bin/osascript (JavaScript for Automation): native on arm64 and x86_64.
 *      "auto" mode first; if that does not say ready, once more in "poll" mode, which
 *      calls no JavaScript from Objective-C (no libffi closure that could hang).
 *   2. systray2's x86_64 tray binary: natively on Intel, under Rosetta 2 on Apple silicon
 *      when Rosetta is installed.
 *   3. Nothing: one TrayStartError naming each cause and what to do; the tray controller
 *      logs it and runs headless.
 * Each attempt speaks the same line protocol through TrayProcess, so the menu model and
 * the tray controller do not know which one is drawing.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Logger, silentLogger } from '../logger.js';
import type { MenuModel } from '../menu-model.js';
import { type TrayIcons, TrayProcess, type TrayProcessOptions, TrayStartError } from '../tray-process.js';

export const OSASCRIPT = '/usr/bin/osascript';
export const HELPER_FILE = path.join('macos', 'maxproxy-menubar.js');
/** Seconds-scale: osascript, the JavaScript runtime and AppKit start cold at login. */
export const HELPER_READY_TIMEOUT_MS = 8000;

export type MenubarMode = 'auto' | 'callbacks' | 'poll';

/** assets/macos/maxproxy-menubar.js of this package (src/desktop/macos and dist/desktop/macos are 3 levels down). */
export function menubarHelperPath(assetsDir?: string): string {
  const assets = assetsDir ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'assets');
  return path.join(assets, HELPER_FILE);
}

/** Runs a short command; resolves its exit code (spawn failures and timeouts are non-zero). */
export type RunFn = (file: string, args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

export const runCommand: RunFn = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: 5000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code ?? 1) : 1) : 0;
      resolve({ code, stdout: String(stdout ?? ''), stderr: String(stderr ?? (err ? err.message : '')) });
    });
  });

/** Apple silicon, also when this Node runs translated: hw.optional.arm64 is 1 there only. */
export async function isAppleSilicon(run: RunFn = runCommand): Promise<boolean> {
  const r = await run('/usr/sbin/sysctl', ['-n', 'hw.optional.arm64']);
  return r.code === 0 && r.stdout.trim() === '1';
}

/**
 * Whether this Mac can run x86_64 code now: runs /usr/bin/true as x86_64. That is the
 * very thing systray2's binary needs, whatever the Rosetta install looks like on disk.
 */
export async function canRunX86_64(run: RunFn = runCommand): Promise<boolean> {
  const r = await run('/usr/bin/arch', ['-x86_64', '/usr/bin/true']);
  return r.code === 0;
}

export interface MacTrayOptions extends Omit<TrayProcessOptions, 'command' | 'platform' | 'readyTimeoutMs'> {
  /** The package's assets/ folder (the helper script is found there). */
  assetsDir?: string;
  /** What runs the helper script: osascript by default; tests pass a stand-in. */
  osascript?: { file: string; args?: string[] };
  /** Ready timeout of the helper (each attempt). */
  helperReadyTimeoutMs?: number;
  /** Ready timeout of systray2's binary. */
  readyTimeoutMs?: number;
  run?: RunFn;
  /** TrayProcess.start, injectable for tests. */
  startProcess?: typeof TrayProcess.start;
}

interface Failure {
  attempt: string;
  err: TrayStartError;
}

const asStartError = (e: unknown): TrayStartError => (e instanceof TrayStartError ? e : new TrayStartError((e as Error)?.message ?? String(e), false));

/** The mode the helper reported on stderr before it got stuck or died, if it did. */
export function helperModeFromStderr(stderr: string): string | undefined {
  return /maxproxy-menubar: mode=(\w+)/.exec(stderr)?.[1];
}

export async function startMacTray(model: MenuModel, icons: TrayIcons, opts: MacTrayOptions): Promise<TrayProcess> {
  const log: Logger = opts.logger ?? silentLogger;
  const run = opts.run ?? runCommand;
  const start = opts.startProcess ?? TrayProcess.start.bind(TrayProcess);
  const failures: Failure[] = [];
  const base: TrayProcessOptions = {
    dataDir: opts.dataDir,
    logger: log,
    platform: 'darwin',
    arch: opts.arch,
    env: opts.env,
    packageDir: opts.packageDir,
    spawn: opts.spawn,
  };
  const fail = (attempt: string, e: unknown, next: string): void => {
    const err = asStartError(e);
    failures.push({ attempt, err });
    log.warn({ attempt, err: err.message, next }, 'macOS menu-bar attempt failed');
  };

  // 1. The helper.
  const script = menubarHelperPath(opts.assetsDir);
  const runner = opts.osascript ?? { file: OSASCRIPT, args: [] };
  const helperMissing = await fsp.access(script, fsConstants.R_OK).then(
    () => null,
    () => new TrayStartError(`menu-bar helper missing: ${script} (reinstall maxproxy)`, true),
  );
  const startHelper = (mode: MenubarMode): Promise<TrayProcess> =>
    start(model, icons, {
      ...base,
      command: { file: runner.file, args: [...(runner.args ?? []), '-l', 'JavaScript', script, '--mode', mode] },
      readyTimeoutMs: opts.helperReadyTimeoutMs ?? HELPER_READY_TIMEOUT_MS,
    });
  if (helperMissing) {
    fail('menubar', helperMissing, 'systray2');
  } else {
    try {
      return await startHelper('auto');
    } catch (e) {
      const err = asStartError(e);
      // A missing osascript will not appear on a retry; a helper already in poll mode has no other mode to try.
      const retry = !err.permanent && helperModeFromStderr(err.stderr) !== 'poll';
      fail('menubar', err, retry ? 'menubar --mode poll' : 'systray2');
      if (retry) {
        try {
          return await startHelper('poll');
        } catch (e2) {
          fail('menubar --mode poll', e2, 'systray2');
        }
      }
    }
  }

  // 2. systray2's x86_64 binary: native on Intel, Rosetta 2 on Apple silicon.
  const appleSilicon = await isAppleSilicon(run);
  if (appleSilicon && !(await canRunX86_64(run))) {
    failures.push({
      attempt: 'systray2',
      err: new TrayStartError(
        "systray2's tray binary is x86_64 and Rosetta 2 is not installed (`softwareupdate --install-rosetta --agree-to-license` installs it)",
        true,
      ),
    });
    log.warn({ attempt: 'systray2', err: 'Rosetta 2 is not installed' }, 'macOS menu-bar attempt skipped');
  } else {
    try {
      return await start(model, icons, { ...base, readyTimeoutMs: opts.readyTimeoutMs });
    } catch (e) {
      fail('systray2', e, 'headless');
    }
  }

  // 3. Headless: one error that says what failed and what to do.
  const causes = failures.map((f) => `${f.attempt}: ${f.err.message}`).join('; ');
  const permanent = failures.every((f) => f.err.permanent);
  throw new TrayStartError(
    `no menu-bar icon (${causes}). maxproxy keeps serving; see "The tray on macOS" in the README` +
      (appleSilicon ? ', or install Rosetta 2 for the fallback tray' : ''),
    permanent,
    failures.map((f) => f.err.stderr).join('\n'),
  );
}
