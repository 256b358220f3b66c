import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashKey, KeyError, KeyStore, looksLikeKey, newKey, parseExpiry } from './key-store.js';

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-keystore-'));

describe('KeyStore', () => {
  it('stores only a hash (0600), finds the key, and refuses a revoked, rotated or expired one', () => {
    const d = dir();
    const s = new KeyStore(d);
    const { key } = s.add('bot', { budgetPercent: 10, models: ['sonnet'] });
    expect(key).toMatch(/^mp-bot-[A-Za-z0-9]{32}$/);
    const text = fs.readFileSync(s.file, 'utf8');
    expect(text).not.toContain(key);
    expect(text).toContain(hashKey(key));
    expect(fs.statSync(s.file).mode & 0o777).toBe(0o600);
    expect(s.lookup(['other', key])).toMatchObject({ kind: 'valid', key: { name: 'bot', budgetPercent: 10, models: ['sonnet'] } });
    expect(s.lookup([`${key}x`])).toEqual({ kind: 'none' });
    // Another process's change (a second store on the same dir) is seen on the next lookup.
    const rotated = new KeyStore(d).rotate('BOT').key;
    expect(s.lookup([key])).toEqual({ kind: 'none' });
    expect(s.lookup([rotated]).kind).toBe('valid');
    new KeyStore(d).revoke('bot');
    expect(s.lookup([rotated])).toEqual({ kind: 'revoked', name: 'bot' });
    const later = s.add('bot', { expiresAt: Date.now() + 1000 }).key;
    expect(s.lookup([later], Date.now() + 2000)).toEqual({ kind: 'expired', name: 'bot' });
  });

  it('refuses bad names, duplicates and past expiry dates; a broken file accepts nothing and is not overwritten', () => {
    const s = new KeyStore(dir());
    expect(() => s.add('has space')).toThrow(KeyError);
    expect(() => s.add('trailing-')).toThrow(KeyError);
    s.add('a');
    expect(() => s.add('A')).toThrow(/exists/);
    expect(() => parseExpiry('2000-01-01')).toThrow(/past/);
    expect(() => parseExpiry('soon')).toThrow(KeyError);
    fs.writeFileSync(s.file, '{broken');
    expect(s.lookup(['mp-a-x'])).toEqual({ kind: 'none' });
    expect(s.error).toMatch(/cannot be read/);
    expect(() => s.add('b')).toThrow(KeyError);
    expect(fs.readFileSync(s.file, 'utf8')).toBe('{broken');
  });

  it('makes keys of the documented shape', () => {
    const keys = new Set(Array.from({ length: 200 }, () => newKey('x')));
    expect(keys.size).toBe(200);
    for (const k of keys) expect(looksLikeKey(k)).toBe(true);
    expect(looksLikeKey('unused')).toBe(false);
  });
});
