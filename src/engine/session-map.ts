import fs from 'node:fs';
import { DebouncedJsonFile } from '../store/debounced-json-file.js';

/** A conversation the CLI holds on disk, found again by the fingerprint of its history. */
export interface SessionRecord {
  /** Fingerprint of the whole conversation so far (history + last answer). */
  fingerprint: string;
  cliSessionId: string;
  model: string;
  client: string;
  explicitId?: string;
  turns: number;
  inputTokens: number;
  outputTokens: number;
  updatedAt: number;
}

/**
 * fingerprint -> CLI session, persisted as JSON in the data dir so a restarted
 * daemon resumes conversations from the CLI's own transcripts (written atomically,
 * at most 200 ms after a change, off the event loop: a synchronous write per turn
 * stalled the next turn's stream in the bench).
 */
export class SessionMap {
  private readonly byFp = new Map<string, SessionRecord>();
  private readonly store: DebouncedJsonFile;

  constructor(
    file: string,
    private readonly maxEntries = 2000,
    onError?: (err: Error) => void,
  ) {
    this.store = new DebouncedJsonFile({ file, delayMs: 200, snapshot: () => ({ version: 1, sessions: [...this.byFp.values()] }), onError });
    try {
      const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { sessions?: SessionRecord[] };
      for (const r of data.sessions ?? []) if (r && typeof r.fingerprint === 'string' && typeof r.cliSessionId === 'string') this.byFp.set(r.fingerprint, r);
    } catch {
      /* no map yet, or unreadable: start empty */
    }
  }

  get(fp: string): SessionRecord | undefined {
    return this.byFp.get(fp);
  }

  /** Records that `cliSessionId` now holds the conversation `rec.fingerprint` (replacing its older fingerprint). */
  put(rec: SessionRecord, previousFingerprint?: string): void {
    if (previousFingerprint) this.byFp.delete(previousFingerprint);
    this.byFp.delete(rec.fingerprint);
    this.byFp.set(rec.fingerprint, rec);
    while (this.byFp.size > this.maxEntries) this.byFp.delete(this.byFp.keys().next().value as string);
    this.store.changed();
  }

  delete(fp: string): void {
    if (this.byFp.delete(fp)) this.store.changed();
  }

  get size(): number {
    return this.byFp.size;
  }

  /** Resolves once the background saves started so far have finished (tests, shutdown). */
  async flushed(): Promise<void> {
    await this.store.settled();
  }

  /** Synchronous save of pending changes, for shutdown (a failure is reported, not thrown). */
  save(): void {
    this.store.flushSync();
  }
}
