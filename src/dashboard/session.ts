/**
 * Dashboard sessions when the daemon runs with `--api-key`: the page asks for the key
 * once, and the browser then holds an opaque random token in an httpOnly,
 * SameSite=Strict cookie. The key itself never reaches the URL, localStorage or the
 * cookie; tokens live only in this process (a restart asks for the key again).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

export const SESSION_COOKIE = 'maxproxy_dashboard';
/** A session unused this long is forgotten (sliding). */
const IDLE_MS = 7 * 24 * 3_600_000;
/** Wrong keys allowed per minute before login answers 429 (guessing a key over HTTP stays slow). */
const FAILURES_PER_MINUTE = 10;

const digest = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s, 'utf8').digest());

/** The value of one cookie from a Cookie header; undefined when absent. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class DashboardSessions {
  private readonly want: Uint8Array;
  /** token digest (hex) → last use, epoch ms. Digests, so a heap dump holds no usable token. */
  private readonly tokens = new Map<string, number>();
  private failures: number[] = [];

  constructor(
    apiKey: string,
    private readonly now: () => number = Date.now,
  ) {
    this.want = digest(apiKey);
  }

  /** Constant-time check of a presented key. */
  keyMatches(key: string): boolean {
    return timingSafeEqual(digest(key), this.want);
  }

  /** Too many wrong keys in the last minute. */
  throttled(): boolean {
    const t = this.now();
    this.failures = this.failures.filter((f) => t - f < 60_000);
    return this.failures.length >= FAILURES_PER_MINUTE;
  }

  /** Checks the key; on success sets the session cookie and returns true. */
  login(key: string, res: Response): boolean {
    if (!this.keyMatches(key)) {
      this.failures.push(this.now());
      return false;
    }
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(this.id(token), this.now());
    res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    return true;
  }

  logout(req: Request, res: Response): void {
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (token) this.tokens.delete(this.id(token));
    res.setHeader('Set-Cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
  }

  /** True when the request carries a live session cookie (and refreshes it). */
  valid(req: Request): boolean {
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!token) return false;
    const id = this.id(token);
    const last = this.tokens.get(id);
    const t = this.now();
    if (last === undefined) return false;
    if (t - last > IDLE_MS) {
      this.tokens.delete(id);
      return false;
    }
    this.tokens.set(id, t);
    return true;
  }

  private id(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }
}
