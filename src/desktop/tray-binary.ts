/** Finding an executable tray binary (systray2's, chmodded or copied to the data dir). */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { writeFileAtomic } from '../store/atomic-write.js';
import { type Logger, silentLogger } from './logger.js';
import { TrayStartError } from './tray-start-error.js';

export function trayBinaryName(platform: NodeJS.Platform, arch: string): string {
  if (platform === 'linux') {
    if (arch !== 'x64') {
      throw new TrayStartError(`no tray on linux-${arch}: systray2 ships only an x86-64 Linux tray binary`, true);
    }
    return 'tray_linux_release';
  }
  // x86_64 only; on arm64 it runs under Rosetta 2.
  if (platform === 'darwin') return 'tray_darwin_release';
  throw new TrayStartError(`no tray on ${platform}: maxproxy's tray supports macOS and Linux`, true);
}

export function systray2PackageDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('systray2/package.json'));
}

export interface ResolveTrayBinaryOptions {
  dataDir: string;
  platform?: NodeJS.Platform;
  arch?: string;
  packageDir?: string;
  logger?: Logger;
  /** Injected in tests to simulate a read-only install. */
  chmod?: (file: string, mode: number) => Promise<void>;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fsp.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of an executable tray binary. systray2 ships its binaries mode 0644: chmod the
 * packaged file when we may, otherwise copy it to <dataDir>/bin/ (a root-owned global
 * install cannot be chmodded by the user) under a versioned name, written atomically so a
 * concurrent start never runs a half-written file.
 */
export async function resolveTrayBinary(opts: ResolveTrayBinaryOptions): Promise<string> {
  const log = opts.logger ?? silentLogger;
  const name = trayBinaryName(opts.platform ?? process.platform, opts.arch ?? process.arch);
  let pkgDir: string;
  try {
    pkgDir = opts.packageDir ?? systray2PackageDir();
  } catch (e) {
    throw new TrayStartError(`systray2 is not installed: ${(e as Error).message}`, true);
  }
  const src = path.join(pkgDir, 'traybin', name);
  let st: Awaited<ReturnType<typeof fsp.stat>>;
  try {
    st = await fsp.stat(src);
  } catch {
    throw new TrayStartError(`tray binary missing: ${src}`, true);
  }
  if (await isExecutable(src)) return src;

  const chmod = opts.chmod ?? ((f: string, m: number) => fsp.chmod(f, m));
  try {
    await chmod(src, (st.mode & 0o777) | 0o755);
    if (await isExecutable(src)) return src;
  } catch (e) {
    log.debug({ err: (e as Error).message, file: src }, 'tray binary not chmoddable; copying it');
  }

  let version = 'unknown';
  try {
    version = JSON.parse(await fsp.readFile(path.join(pkgDir, 'package.json'), 'utf8')).version ?? version;
  } catch {
    /* an unknown version only weakens the cache key; size still guards it */
  }
  const binDir = path.join(opts.dataDir, 'bin');
  const dest = path.join(binDir, `${name}-${version}`);
  try {
    const d = await fsp.stat(dest);
    if (d.size === st.size && (await isExecutable(dest))) return dest;
  } catch {
    /* not copied yet */
  }
  try {
    await writeFileAtomic(dest, await fsp.readFile(src), { mode: 0o755 });
  } catch (e) {
    throw new TrayStartError(`cannot make the tray binary executable (copy to ${dest}): ${(e as Error).message}`, true);
  }
  log.info({ file: dest }, 'copied tray binary to make it executable');
  return dest;
}
