import { createHash } from 'node:crypto';
import type { TimeSlicer } from '../event-loop/time-slicer.js';

/**
 * SHA-256 of long strings (a base64 image, a pasted file) without holding the event
 * loop: `digestInSlices` hashes one piece at a time and yields between pieces, and the
 * result is remembered so the synchronous fingerprint (engine.ts) finds it. A 30 MB
 * image hashed in one go blocked the daemon for ~100 ms per fingerprint, and each turn
 * takes two. The memo holds the strings themselves (a digest must never be taken for
 * another string's), so it is bounded: the most recent ones up to MAX_CHARS in all, and
 * none kept longer than KEEP_MS after its last use (the next turn of a conversation
 * usually comes within minutes; an idle daemon should not hold a large image).
 */
export const LONG_STRING = 64 * 1024;
const PIECE = 1024 * 1024;
const MAX_CHARS = 48 * 1024 * 1024;
const KEEP_MS = 5 * 60_000;

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

class DigestMemo {
  private readonly byString = new Map<string, { digest: string; usedAt: number }>();
  private chars = 0;
  private sweep?: NodeJS.Timeout;

  get(s: string): string | undefined {
    const e = this.byString.get(s);
    if (e === undefined) return undefined;
    this.byString.delete(s);
    e.usedAt = Date.now();
    this.byString.set(s, e); // most recent last
    return e.digest;
  }

  set(s: string, digest: string): void {
    if (s.length > MAX_CHARS || this.byString.has(s)) return;
    this.byString.set(s, { digest, usedAt: Date.now() });
    this.chars += s.length;
    this.forget(() => this.chars > MAX_CHARS);
    this.sweep ??= setInterval(() => this.expire(), KEEP_MS / 5).unref();
  }

  /** Drops entries unused for KEEP_MS (least recent first); stops sweeping once empty. */
  expire(now = Date.now()): void {
    this.forget((_, e) => now - e.usedAt > KEEP_MS);
    if (this.byString.size === 0 && this.sweep) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
  }

  /** Removes from the least recent while `drop` holds. */
  private forget(drop: (k: string, e: { digest: string; usedAt: number }) => boolean): void {
    for (const [k, e] of this.byString) {
      if (!drop(k, e)) break;
      this.byString.delete(k);
      this.chars -= k.length;
    }
  }

  has(s: string): boolean {
    return this.byString.has(s);
  }

  clear(): void {
    this.byString.clear();
    this.chars = 0;
    this.expire();
  }
}

const memo = new DigestMemo();

/** Hex SHA-256 of `s` (UTF-8), from the memo when a long string was hashed before. */
export function digestOf(s: string): string {
  if (s.length < LONG_STRING) return sha(s);
  const known = memo.get(s);
  if (known !== undefined) return known;
  const d = sha(s);
  memo.set(s, d);
  return d;
}

/** Hashes a long string piece by piece, yielding between pieces, and remembers it. */
export async function digestInSlices(s: string, slicer: TimeSlicer): Promise<string> {
  const known = memo.get(s);
  if (known !== undefined) return known;
  const h = createHash('sha256');
  for (let i = 0; i < s.length; ) {
    let j = Math.min(s.length, i + PIECE);
    // Each piece is encoded to UTF-8 on its own: never split a surrogate pair.
    const c = s.charCodeAt(j - 1);
    if (j < s.length && c >= 0xd800 && c <= 0xdbff) j--;
    h.update(s.slice(i, j));
    i = j;
    await slicer.pause();
  }
  const d = h.digest('hex');
  memo.set(s, d);
  return d;
}

export const isRemembered = (s: string): boolean => memo.has(s);

/** For tests: forget every digest. */
export const forgetDigests = (): void => memo.clear();

/** For tests: run the expiry as if at `now`. */
export const expireDigests = (now: number): void => memo.expire(now);
