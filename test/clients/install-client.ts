/**
 * Test-only client binaries (Codex, opencode), installed on demand into a cache directory
 * instead of as devDependencies: together they are ~780 MB of a clone's `npm install`
 * (docs/decisions/097-test-clients-on-demand.md).
 *
 * Each `<pkg>@<exact version>` is installed once with `npm install --prefix` into a
 * private temporary directory, checked with `--version`, then renamed into place: the
 * rename is atomic, so concurrent test files never see a half-installed client, and a
 * loser of the race drops its copy and uses the winner's.
 *
 * Cache: $MAXPROXY_TEST_CLIENTS_DIR, else $XDG_CACHE_HOME/maxproxy-test-clients, else
 * ~/.cache/maxproxy-test-clients. Offline: a cached client is used without the registry;
 * npm runs with --prefer-offline so its own cache serves the tarballs when it can.
 * Registry unreachable and nothing cached: the caller skips with `reason` — unless `CI` is
 * set, where this throws (CI must run these tests).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The pinned clients (exact versions; bump here and nowhere else). */
export const CLIENTS = {
  codex: { pkg: '@openai/codex', version: '0.171.0', bin: 'codex' },
  opencode: { pkg: 'opencode-ai', version: '1.18.33', bin: 'opencode' },
} as const;

export type ClientName = keyof typeof CLIENTS;
export type InstalledClient = { ok: true; bin: string; dir: string; version: string } | { ok: false; reason: string };

export function clientCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MAXPROXY_TEST_CLIENTS_DIR) return env.MAXPROXY_TEST_CLIENTS_DIR;
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'maxproxy-test-clients');
}

/** Generous: a cold install downloads ~200-400 MB on a busy machine. */
export const INSTALL_TIMEOUT_MS = 900_000;

const NETWORK_ERROR = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network|fetch failed|getaddrinfo/i;

function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { ...options, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr: stderr || (err?.message ?? '') }),
    );
    child.stdin?.end();
  });
}

const binOf = (dir: string, name: ClientName) => path.join(dir, 'node_modules', '.bin', CLIENTS[name].bin);

/** The binary answers `--version` with the pinned version (so a broken or wrong install is never used). */
async function verified(dir: string, name: ClientName): Promise<string | undefined> {
  const bin = binOf(dir, name);
  if (!fs.existsSync(bin)) return undefined;
  const r = await run(bin, ['--version'], { timeout: 120_000 });
  return r.code === 0 && r.stdout.includes(CLIENTS[name].version) ? r.stdout.trim() : undefined;
}

/** Installs (once) and returns the pinned client, or why it cannot be had here. */
export async function installClient(name: ClientName, env: NodeJS.ProcessEnv = process.env): Promise<InstalledClient> {
  const { pkg, version } = CLIENTS[name];
  const cache = clientCacheDir(env);
  const dir = path.join(cache, `${pkg.replace('/', '+')}@${version}`);
  const have = await verified(dir, name);
  if (have) return { ok: true, bin: binOf(dir, name), dir, version: have };
  // A directory that fails the check (interrupted by hand, corrupted) is replaced.
  fs.rmSync(dir, { recursive: true, force: true });

  fs.mkdirSync(cache, { recursive: true });
  const tmp = path.join(cache, `.tmp-${pkg.replace('/', '+')}@${version}-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(tmp);
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = await run(
      npm,
      ['install', '--prefix', tmp, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', `${pkg}@${version}`],
      { cwd: tmp, env, timeout: INSTALL_TIMEOUT_MS },
    );
    if (r.code !== 0) {
      const lines = r.stderr.trim().split('\n');
      const why = `${pkg}@${version} could not be installed into ${cache}: ${lines.find((l) => NETWORK_ERROR.test(l))?.trim() ?? lines.slice(-3).join(' | ')}`;
      if (NETWORK_ERROR.test(r.stderr) && !env.CI) return { ok: false, reason: `skipped: the npm registry is unreachable and ${why}` };
      throw new Error(why);
    }
    const got = await verified(tmp, name);
    if (!got) throw new Error(`${pkg}@${version} installed into ${tmp} but \`${CLIENTS[name].bin} --version\` does not report ${version}`);
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      // Another test file installed it first: use theirs.
      if (!['ENOTEMPTY', 'EEXIST', 'EPERM'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
    const final = await verified(dir, name);
    if (!final) throw new Error(`${pkg}@${version} in ${dir} does not report ${version}`);
    return { ok: true, bin: binOf(dir, name), dir, version: final };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Codex's launcher and the native binary it runs (its bundled model catalog lives in the latter). */
export function codexNative(codex: { dir: string }): string {
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  const triple = process.platform === 'darwin' ? `${arch}-apple-darwin` : `${arch}-unknown-linux-musl`;
  const platformPkg = `codex-${process.platform}-${process.arch === 'arm64' ? 'arm64' : 'x64'}`;
  const candidates = [
    path.join(codex.dir, 'node_modules', '@openai', platformPkg, 'vendor', triple, 'bin', 'codex'),
    path.join(codex.dir, 'node_modules', '@openai', 'codex', 'vendor', triple, 'codex', 'codex'),
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`no native Codex binary under ${codex.dir} (looked at ${candidates.join(', ')})`);
  return found;
}

/** Codex's bundled model catalog, read out of its binary (a JSON document `{"models": [...]}`). */
export function bundledCatalog(binary: string): { models: Array<Record<string, unknown>> } {
  const bytes = fs.readFileSync(binary);
  const start = bytes.indexOf('{\n  "models": [');
  if (start < 0) throw new Error('no model catalog found in the Codex binary');
  const text = bytes.subarray(start, start + 8_000_000).toString('latin1');
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return JSON.parse(bytes.subarray(start, start + i + 1).toString('utf8'));
  }
  throw new Error('unterminated model catalog in the Codex binary');
}
