import { Writable } from 'node:stream';
import { TimeSlicer } from '../event-loop/time-slicer.js';

/** Strings longer than this are encoded piece by piece. */
export const SLICED_WRITE_CHARS = 256 * 1024;

/**
 * The CLI's stdin as the Agent SDK sees it. The SDK writes each user message as one
 * JSON line; with a 30 MB image that one `write` encoded the whole string to UTF-8
 * and handed it to the pipe in a single block of the event loop (~100–250 ms measured).
 * Here a long line is encoded one piece at a time, yielding between pieces, and the
 * pieces go to the pipe in order. Everything else passes straight through.
 */
export class SlicedStdin extends Writable {
  constructor(
    private readonly target: Writable,
    private readonly budgetMs = 8,
  ) {
    super({ decodeStrings: false });
    target.on('error', (e) => this.destroy(e));
  }

  override _write(chunk: string | Buffer, encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    if (typeof chunk !== 'string' || chunk.length <= SLICED_WRITE_CHARS) {
      this.target.write(chunk, encoding, done);
      return;
    }
    this.writeInPieces(chunk).then(() => done(), done);
  }

  private async writeInPieces(s: string): Promise<void> {
    const slicer = new TimeSlicer(this.budgetMs);
    let failed: Error | undefined;
    for (let i = 0; i < s.length; ) {
      let j = Math.min(s.length, i + SLICED_WRITE_CHARS);
      // Each piece is encoded on its own: never split a surrogate pair.
      const c = s.charCodeAt(j - 1);
      if (j < s.length && c >= 0xd800 && c <= 0xdbff) j--;
      const piece = Buffer.from(s.slice(i, j), 'utf8');
      i = j;
      if (i >= s.length) {
        // The last piece's callback reports the whole line written.
        await new Promise<void>((resolve, reject) => this.target.write(piece, (e) => (e ? reject(e) : resolve())));
        return;
      }
      this.target.write(piece, (e) => {
        if (e) failed ??= e;
      });
      if (failed) throw failed;
      await slicer.pause();
      if (failed) throw failed;
    }
  }

  override _final(done: (e?: Error | null) => void): void {
    this.target.end(done);
  }

  override _destroy(e: Error | null, done: (e?: Error | null) => void): void {
    if (!this.target.destroyed) this.target.destroy(e ?? undefined);
    done(e);
  }
}
