import fs from 'node:fs';
import path from 'node:path';

/**
 * The CLI writes every conversation (prompts in clear) as a transcript under
 * <claude config>/projects/<maxproxy's working dir>/. That directory holds only
 * maxproxy's sessions (the working dir is maxproxy's own), so transcripts there not
 * touched for `days` days are deleted, with the per-session folders the CLI keeps beside
 * them. Returns how many sessions were removed. `days` 0 keeps everything.
 */
export function pruneTranscripts(projectDir: string, days: number, now = Date.now()): number {
  if (days <= 0) return 0;
  const cutoff = now - days * 86_400_000;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(projectDir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let removed = 0;
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith('.jsonl')) continue;
    const file = path.join(projectDir, e.name);
    try {
      if (fs.statSync(file).mtimeMs >= cutoff) continue;
      fs.rmSync(file, { force: true });
      fs.rmSync(path.join(projectDir, e.name.slice(0, -'.jsonl'.length)), { recursive: true, force: true });
      removed++;
    } catch {
      /* raced with the CLI or gone: next sweep */
    }
  }
  return removed;
}
