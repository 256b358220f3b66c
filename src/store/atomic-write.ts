/**
 * The one way maxproxy replaces a file: `atomically` writes a temporary file beside the
 * target, fsyncs it and renames it over the target, so a reader (or a crash) never sees half
 * a file and a write survives a power cut once it resolved. Writes to one path are queued in
 * order. Files are private (0600) unless the caller says otherwise: most hold conversation
 * state, pids or URLs.
 */
import { writeFile, writeFileSync } from 'atomically';

export interface AtomicWriteOptions {
  /** File mode of the new file; 0o600 by default. */
  mode?: number;
}

const PRIVATE = 0o600;

/** Replaces `file` with `data` atomically, creating its directory if needed. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  await writeFile(file, data, { mode: opts.mode ?? PRIVATE, fsync: true });
}

/** The synchronous form, for process exit and start-up paths that cannot wait. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  writeFileSync(file, data, { mode: opts.mode ?? PRIVATE, fsync: true });
}
