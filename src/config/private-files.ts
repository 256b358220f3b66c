import fs from 'node:fs';
import path from 'node:path';

/**
 * Everything in the data dir can hold prompts or state (logs, transcripts, the session
 * map, pid files, daemon.json): readable by this user only. New files get it from the
 * umask set at start (0o077, inherited by the CLI); files made by older versions are
 * tightened here, the data dir and one level below. No-op on Windows (ACLs, not modes).
 */
export function tightenDataDir(dataDir: string): void {
  if (process.platform === 'win32') return;
  const chmod = (p: string, mode: number) => {
    try {
      fs.chmodSync(p, mode);
    } catch {
      /* not ours or gone */
    }
  };
  chmod(dataDir, 0o700);
  let top: fs.Dirent[] = [];
  try {
    top = fs.readdirSync(dataDir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of top) {
    const p = path.join(dataDir, e.name);
    if (e.isFile()) chmod(p, 0o600);
    else if (e.isDirectory()) {
      chmod(p, 0o700);
      try {
        for (const c of fs.readdirSync(p, { withFileTypes: true })) {
          if (c.isFile()) chmod(path.join(p, c.name), 0o600);
          else if (c.isDirectory()) chmod(path.join(p, c.name), 0o700);
        }
      } catch {
        /* unreadable: leave it */
      }
    }
  }
}
