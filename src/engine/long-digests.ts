import { createHash } from 'node:crypto';
import type { TimeSlicer } from '../event-loop/time-slicer.js';

/**
 * SHA-256 of long strings (a base64 image, a pasted file) without holding the event
 * loop: `digestInSlices` hashes one piece at a time and yields between pieces, and the
 * result is remembered so the synchronous fingerprint (engine.ts) finds it. A 30 MB
 * image hashed in one go blocked the daemon for ~100 ms per fingerprint, and each turn
 * takes two. The memo holds the strings themselves (a digest must never be taken for
 * another string's), so it is bounded: the most recent ones up to MAX_CHARS in all.
 */
export const LONG_STRING = 64 * 1024;
const PIECE = 1024 * 1024;
const MAX_CHARS = 48 * 1024 * 1024;

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

class DigestMemo {
  private readonly byString = new Map<string, string>();
  private chars = 0;

  get(s: string): string | undefined {
    const d = this.byString.get(s);
    if (d !== undefined) {
      this.byString.delete(s);
      this.byString.set(s, d); // most recent last
    }
    return d;
  }

  set(s: string, digest: string): void {
    if (s.length > MAX_CHARS || this.byString.has(s)) return;
    this.byString.set(s, digest);
    this.chars += s.length;
    for (const k of this.byString.keys()) {
      if (this.chars <= MAX_CHARS) break;
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
