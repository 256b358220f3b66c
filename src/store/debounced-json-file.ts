/**
 * One JSON file that mirrors some in-memory state, written in the background at most once per
 * `delayMs` after a change (a burst of changes is one write), atomically and mode 0600, with
 * a synchronous flush for process exit. Writes are chained so an older snapshot never lands
 * over a newer one. A failed write keeps the change pending: the next change or flush tries
 * again; the error goes to `onError` (the daemon must not die of a full disk).
 */
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

export interface DebouncedJsonFileOptions {
  file: string;
  /** The longest a change waits before it is written. */
  delayMs: number;
  /** The state to write, taken when a write starts (so it includes every change so far). */
  snapshot: () => unknown;
  onError?: (err: Error) => void;
}

export class DebouncedJsonFile {
  readonly file: string;
  private readonly delayMs: number;
  private readonly snapshot: () => unknown;
  private readonly onError: (err: Error) => void;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(opts: DebouncedJsonFileOptions) {
    this.file = opts.file;
    this.delayMs = opts.delayMs;
    this.snapshot = opts.snapshot;
    this.onError = opts.onError ?? (() => {});
  }

  /** The state changed: write it within `delayMs` (an already scheduled write is not pushed back). */
  changed(): void {
    this.dirty = true;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.delayMs);
    // A pending write must not keep the process alive; exit paths call flushSync.
    this.timer.unref();
  }

  /** Writes pending changes now; resolves when written (errors go to onError, never reject). */
  flush(): Promise<void> {
    this.clearTimer();
    this.writing = this.writing.then(() => this.writeIfDirty());
    return this.writing;
  }

  /** Resolves once the writes started so far have finished (without starting one). */
  settled(): Promise<void> {
    return this.writing;
  }

  /** Writes pending changes synchronously, for process exit. Await `settled()` first if a write may be running. */
  flushSync(): void {
    this.clearTimer();
    if (!this.dirty) return;
    this.dirty = false;
    try {
      writeFileAtomicSync(this.file, JSON.stringify(this.snapshot()));
    } catch (e) {
      this.dirty = true;
      this.onError(asError(e));
    }
  }

  private async writeIfDirty(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await writeFileAtomic(this.file, JSON.stringify(this.snapshot()));
    } catch (e) {
      this.dirty = true;
      this.onError(asError(e));
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
