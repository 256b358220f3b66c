import fs from 'node:fs';
import path from 'node:path';

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
 * daemon resumes conversations from the CLI's own transcripts (atomic writes).
 */
export class SessionMap {
  private readonly byFp = new Map<string, SessionRecord>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly maxEntries = 2000,
  ) {
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
    this.scheduleSave();
  }

  delete(fp: string): void {
    if (this.byFp.delete(fp)) this.scheduleSave();
  }

  get size(): number {
    return this.byFp.size;
  }

  private scheduleSave(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Off the event loop: a synchronous write here stalled the next turn's stream (bench).
      // Chained so an older snapshot can never be renamed over a newer one.
      this.saving = this.saving
        .then(() => this.saveAsync())
        .catch(() => {
          /* kept in memory; the next change or shutdown tries again */
        });
    }, 200);
    this.timer.unref();
  }

  private async saveAsync(): Promise<void> {
    const body = JSON.stringify({ version: 1, sessions: [...this.byFp.values()] });
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${++this.seq}.tmp`;
    await fs.promises.writeFile(tmp, body, { mode: 0o600 });
    await fs.promises.rename(tmp, this.file);
  }

  private seq = 0;
  private saving: Promise<void> = Promise.resolve();

  /** Resolves once the scheduled background saves so far have finished (tests, shutdown). */
  async flushed(): Promise<void> {
    await this.saving;
  }

  /** Synchronous save, for shutdown. */
  save(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ version: 1, sessions: [...this.byFp.values()] }), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}
