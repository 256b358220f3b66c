/**
 * Named client keys (docs/decisions/090-client-keys.md): `<data-dir>/keys.json` holds, per
 * name, the SHA-256 of the key and what the key may do (budgets, models, expiry); never
 * the key itself, which is printed once when it is made. The file is private (0600) and
 * replaced atomically (src/store/atomic-write.ts), so a SIGKILL leaves the old or the new
 * file, never half of one. The daemon re-reads it when it changes on disk (checked on every
 * lookup by its stat), so `maxproxy keys revoke` from another shell takes effect on the
 * next request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../store/atomic-write.js';

export interface KeyEntry {
  /** The client's name: the ledger, tray, dashboard and /metrics show it. */
  name: string;
  /** Hex SHA-256 of the whole key. */
  hash: string;
  /** Epoch ms. */
  createdAt: number;
  /** Percent of the 5-hour window this key may use. */
  budgetPercent?: number;
  /** Percent of the weekly window this key may use. */
  weeklyBudgetPercent?: number;
  /** Model names or ids the key may use (matched after alias resolution); absent = all. */
  models?: string[];
  /** Epoch ms after which the key is refused. */
  expiresAt?: number;
  /** Epoch ms when it was revoked; a revoked key is kept so its name stays known. */
  revokedAt?: number;
}

/** What a key may be described as outside this module (never the hash). */
export type KeyInfo = Omit<KeyEntry, 'hash'>;

export interface KeyOptions {
  budgetPercent?: number;
  weeklyBudgetPercent?: number;
  models?: string[];
  expiresAt?: number;
}

/** The outcome of presenting credentials. */
export type KeyLookup = { kind: 'valid'; key: KeyInfo } | { kind: 'revoked' | 'expired'; name: string } | { kind: 'none' };

const FILE = 'keys.json';
const PREFIX = 'mp-';
/** Names: short, no spaces, and never a '-' at the end, so `mp-<name>-<random>` reads unambiguously. */
export const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,38}[A-Za-z0-9])?$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const RANDOM_CHARS = 32; // 32 base62 characters ≈ 190 bits

export class KeyError extends Error {}

/** Whether a credential has the shape of one of our keys (an unknown one is refused, not treated as "no key"). */
export const looksLikeKey = (s: string): boolean => s.startsWith(PREFIX) && s.length > PREFIX.length + RANDOM_CHARS;

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** `mp-<name>-<32 base62 characters>` from the system's CSPRNG (rejection sampling: no modulo bias). */
export function newKey(name: string): string {
  let out = '';
  while (out.length < RANDOM_CHARS) {
    for (const b of randomBytes(48)) {
      if (b < 248 && out.length < RANDOM_CHARS) out += ALPHABET[b % 62];
    }
  }
  return `${PREFIX}${name}-${out}`;
}

export function checkName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new KeyError(`key name "${name}" must be 1-40 letters, digits, '.', '_' or '-' (starting and ending with a letter or digit)`);
  }
  return name;
}

export function checkPercent(label: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isFinite(v) || v < 0 || v > 100) throw new KeyError(`${label} takes a percent from 0 to 100, got ${v}`);
  return v;
}

/** A date (YYYY-MM-DD = the end of that day, local time) or a full ISO time; must be in the future. */
export function parseExpiry(text: string, now = Date.now()): number {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  const t = day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3]), 23, 59, 59, 999).getTime() : Date.parse(text);
  if (!Number.isFinite(t)) throw new KeyError(`--expires takes a date (2026-12-31) or an ISO time, got "${text}"`);
  if (t <= now) throw new KeyError(`--expires ${text} is in the past`);
  return t;
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const info = ({ hash: _h, ...rest }: KeyEntry): KeyInfo => rest;

interface FileShape {
  version: 1;
  keys: KeyEntry[];
}

export class KeyStore {
  readonly file: string;
  private entries: KeyEntry[] = [];
  private stamp = '';
  /** Why the file could not be read, if it could not (then no key is valid: fail closed). */
  error?: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, FILE);
    this.refresh();
  }

  /** Re-reads the file when its identity (inode, size, mtime) changed; cheap enough for every request. */
  refresh(): void {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.error = `${this.file}: ${(e as Error).message}`;
      else this.error = undefined;
      this.entries = [];
      this.stamp = '';
      return;
    }
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (stamp === this.stamp) return;
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<FileShape>;
      if (!Array.isArray(parsed.keys)) throw new Error('no "keys" list');
      this.entries = parsed.keys.filter((k) => typeof k?.name === 'string' && typeof k.hash === 'string' && /^[0-9a-f]{64}$/.test(k.hash));
      this.error = undefined;
    } catch (e) {
      this.entries = [];
      this.error = `${this.file} cannot be read (${(e as Error).message}); no client key is accepted until it is fixed`;
    }
    this.stamp = stamp;
  }

  list(): KeyInfo[] {
    this.refresh();
    return this.entries.map(info);
  }

  get(name: string): KeyInfo | undefined {
    return this.list().find((k) => sameName(k.name, name));
  }

  /** Whether `key` is the current key of `name` (connect reuses the key a client config already holds). */
  holds(name: string, key: string): boolean {
    const l = this.lookup([key]);
    return l.kind === 'valid' && sameName(l.key.name, name);
  }

  /**
   * Finds the entry a presented credential belongs to. Every presented value is compared
   * with every stored hash in constant time and without an early exit, so timing tells
   * neither which key nor which header matched.
   */
  lookup(presented: readonly string[], now = Date.now()): KeyLookup {
    this.refresh();
    let found: KeyEntry | undefined;
    for (const p of presented) {
      const h = Buffer.from(hashKey(p), 'hex');
      for (const e of this.entries) {
        const match = timingSafeEqual(new Uint8Array(h), new Uint8Array(Buffer.from(e.hash, 'hex')));
        if (match && !found) found = e;
      }
    }
    if (!found) return { kind: 'none' };
    if (found.revokedAt !== undefined) return { kind: 'revoked', name: found.name };
    if (found.expiresAt !== undefined && found.expiresAt <= now) return { kind: 'expired', name: found.name };
    return { kind: 'valid', key: info(found) };
  }

  /** Makes a key for a new name (or a revoked one); returns it, the only time it exists outside the client. */
  add(name: string, opts: KeyOptions = {}, now = Date.now()): { key: string; info: KeyInfo } {
    checkName(name);
    const entries = this.readForWrite();
    const existing = entries.find((k) => sameName(k.name, name));
    if (existing && existing.revokedAt === undefined) {
      throw new KeyError(`a key named "${existing.name}" exists; use \`maxproxy keys rotate ${existing.name}\` for a new secret, or revoke it first`);
    }
    const key = newKey(name);
    const entry: KeyEntry = {
      name,
      hash: hashKey(key),
      createdAt: now,
      ...(opts.budgetPercent !== undefined ? { budgetPercent: checkPercent('--budget', opts.budgetPercent) } : {}),
      ...(opts.weeklyBudgetPercent !== undefined ? { weeklyBudgetPercent: checkPercent('--weekly-budget', opts.weeklyBudgetPercent) } : {}),
      ...(opts.models?.length ? { models: [...opts.models] } : {}),
      ...(opts.expiresAt !== undefined ? { expiresAt: opts.expiresAt } : {}),
    };
    this.write([...entries.filter((k) => k !== existing), entry]);
    return { key, info: info(entry) };
  }

  /** A new secret for the same name and limits; the old key stops working at once. */
  rotate(name: string, now = Date.now()): { key: string; info: KeyInfo } {
    const entries = this.readForWrite();
    const e = entries.find((k) => sameName(k.name, name));
    if (!e) throw new KeyError(`no key named "${name}" (see \`maxproxy keys list\`)`);
    const key = newKey(e.name);
    const next: KeyEntry = { ...e, hash: hashKey(key), createdAt: now };
    delete next.revokedAt;
    this.write(entries.map((k) => (k === e ? next : k)));
    return { key, info: info(next) };
  }

  revoke(name: string, now = Date.now()): KeyInfo {
    const entries = this.readForWrite();
    const e = entries.find((k) => sameName(k.name, name));
    if (!e) throw new KeyError(`no key named "${name}" (see \`maxproxy keys list\`)`);
    if (e.revokedAt !== undefined) return info(e);
    // The hash stays: a client still sending the key is told it was revoked, not that it is unknown.
    const next: KeyEntry = { ...e, revokedAt: now };
    this.write(entries.map((k) => (k === e ? next : k)));
    return info(next);
  }

  /** The file as it is on disk now (another process may have changed it); a broken file is never overwritten. */
  private readForWrite(): KeyEntry[] {
    this.stamp = '';
    this.refresh();
    if (this.error) throw new KeyError(this.error);
    return [...this.entries];
  }

  private write(entries: KeyEntry[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const body: FileShape = { version: 1, keys: entries };
    writeFileAtomicSync(this.file, `${JSON.stringify(body, null, 2)}\n`);
    this.stamp = '';
    this.refresh();
  }
}
