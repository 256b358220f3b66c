import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

export interface ClaudeBinary {
  path: string;
  /** Where it came from: bundled with the pinned Agent SDK, the user's flag, or found on PATH. */
  source: 'flag' | 'bundled' | 'path';
}

const isExecutable = (p: string): boolean => {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
};

/** The native CLI shipped in the Agent SDK's per-platform package (version-locked with the SDK). */
export function bundledClaudePath(): string | undefined {
  const require = createRequire(import.meta.url);
  const musl = process.platform === 'linux' && fs.existsSync('/etc/alpine-release') ? '-musl' : '';
  const pkg = `@anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch}${musl}`;
  try {
    const dir = path.dirname(require.resolve(`${pkg}/package.json`));
    const bin = path.join(dir, process.platform === 'win32' ? 'claude.exe' : 'claude');
    return isExecutable(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** launchd and systemd start us with a minimal PATH, so also look where installers put `claude`. */
export function candidateDirs(env = process.env, home = os.homedir()): string[] {
  const fromPath = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return [
    ...fromPath,
    path.join(home, '.claude', 'local'),
    path.join(home, '.local', 'bin'),
    '/opt/homebrew/bin',
    '/usr/local/bin',
    path.join(home, '.npm-global', 'bin'),
    path.join(home, '.bun', 'bin'),
  ];
}

export function findClaude(explicit: string | undefined, env = process.env): ClaudeBinary {
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`--claude-path ${explicit} is not an executable file`);
    return { path: path.resolve(explicit), source: 'flag' };
  }
  const bundled = bundledClaudePath();
  if (bundled) return { path: bundled, source: 'bundled' };
  for (const dir of candidateDirs(env)) {
    const p = path.join(dir, 'claude');
    if (isExecutable(p)) return { path: p, source: 'path' };
  }
  throw new Error('Claude Code was not found: reinstall maxproxy (it bundles the CLI) or pass --claude-path /path/to/claude');
}

/** `claude --version` → "2.1.330" (or the raw text when it has another shape). */
export function claudeVersion(bin: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve) => {
    execFile(bin, ['--version'], { env, timeout: 15_000 }, (err, stdout) => {
      if (err) return resolve('unknown');
      const m = /(\d+\.\d+\.\d+)/.exec(stdout);
      resolve(m ? m[1] : stdout.trim() || 'unknown');
    });
  });
}
