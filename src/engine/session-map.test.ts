import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionMap, type SessionRecord } from './session-map.js';

const rec = (fingerprint: string, cliSessionId = `cli-${fingerprint}`, over: Partial<SessionRecord> = {}): SessionRecord => ({
  fingerprint,
  cliSessionId,
  model: 'sonnet',
  client: 'openai-sdk',
  turns: 1,
  inputTokens: 10,
  outputTokens: 5,
  updatedAt: 1_800_000_000_000,
  ...over,
});

let dir: string;
let file: string;

beforeEach(() => {
  // The map saves on a timer: keep it from firing after a test removed its directory.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-sessions-'));
  file = path.join(dir, 'data', 'sessions.json');
});

afterEach(() => {
  vi.useRealTimers();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SessionMap', () => {
  it('starts empty without a file, and with an unreadable one', () => {
    expect(new SessionMap(file).size).toBe(0);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{not json');
    expect(new SessionMap(file).size).toBe(0);
  });

  it('persists and reloads records', () => {
    const m = new SessionMap(file);
    m.put(rec('fp1', 'cli-1', { explicitId: 'conv-7', turns: 3 }));
    m.put(rec('fp2', 'cli-2'));
    m.save();
    const again = new SessionMap(file);
    expect(again.size).toBe(2);
    expect(again.get('fp1')).toEqual(rec('fp1', 'cli-1', { explicitId: 'conv-7', turns: 3 }));
    expect(again.get('fp2')?.cliSessionId).toBe('cli-2');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).version).toBe(1);
  });

  it('writes atomically, owner-only, leaving no temp file', () => {
    const m = new SessionMap(file);
    m.put(rec('fp1'));
    m.save();
    expect(fs.readdirSync(path.dirname(file))).toEqual(['sessions.json']);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('saves by itself shortly after a change', async () => {
    const m = new SessionMap(file);
    m.put(rec('fp1'));
    m.put(rec('fp2'));
    expect(fs.existsSync(file)).toBe(false);
    vi.advanceTimersByTime(250);
    await m.flushed();
    expect(new SessionMap(file).size).toBe(2);
  });

  it('replaces the previous fingerprint of a conversation that moved on', () => {
    const m = new SessionMap(file);
    m.put(rec('fp-turn1', 'cli-1'));
    m.put(rec('fp-turn2', 'cli-1', { turns: 2 }), 'fp-turn1');
    expect(m.get('fp-turn1')).toBeUndefined();
    expect(m.get('fp-turn2')).toMatchObject({ cliSessionId: 'cli-1', turns: 2 });
    expect(m.size).toBe(1);
    m.save();
    expect(new SessionMap(file).get('fp-turn1')).toBeUndefined();
  });

  it('a put for a known fingerprint updates it', () => {
    const m = new SessionMap(file);
    m.put(rec('fp1', 'cli-1'));
    m.put(rec('fp1', 'cli-9'));
    expect(m.size).toBe(1);
    expect(m.get('fp1')?.cliSessionId).toBe('cli-9');
  });

  it('is bounded: the least recently written records go first', () => {
    const m = new SessionMap(file, 3);
    for (const fp of ['a', 'b', 'c']) m.put(rec(fp));
    m.put(rec('a')); // written again: now the newest
    m.put(rec('d'));
    m.put(rec('e'));
    expect(m.size).toBe(3);
    expect(['a', 'b', 'c', 'd', 'e'].filter((fp) => m.get(fp))).toEqual(['a', 'd', 'e']);
  });

  it('the bound also applies to what is saved and reloaded', () => {
    const m = new SessionMap(file, 2);
    for (const fp of ['a', 'b', 'c']) m.put(rec(fp));
    m.save();
    const again = new SessionMap(file, 2);
    expect(again.size).toBe(2);
    expect(again.get('a')).toBeUndefined();
  });

  it('delete removes a record and is saved', () => {
    const m = new SessionMap(file);
    m.put(rec('a'));
    m.put(rec('b'));
    m.delete('a');
    m.delete('missing');
    m.save();
    const again = new SessionMap(file);
    expect(again.get('a')).toBeUndefined();
    expect(again.get('b')).toBeDefined();
  });

  it('ignores malformed records in the file', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ version: 1, sessions: [rec('ok'), null, { fingerprint: 'no-session' }, { cliSessionId: 'no-fp' }, 42] }));
    const m = new SessionMap(file);
    expect(m.size).toBe(1);
    expect(m.get('ok')).toBeDefined();
  });

  it('a failing background save is reported, keeps the map, and the next save writes it', async () => {
    const blocker = path.join(dir, 'blocker');
    fs.writeFileSync(blocker, ''); // a file where the data dir should be
    const target = path.join(blocker, 'sessions.json');
    const errors: Error[] = [];
    const m = new SessionMap(target, 2000, (e) => errors.push(e));
    m.put(rec('a'));
    vi.advanceTimersByTime(250);
    // The failure stays inside the background save: nothing rejects, the record stays in memory.
    await expect(m.flushed()).resolves.toBeUndefined();
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOTDIR']);
    expect(m.get('a')).toBeDefined();
    expect(fs.existsSync(target)).toBe(false);

    // Once the data dir can exist, the pending change is written by the shutdown save.
    fs.rmSync(blocker);
    m.save();
    expect(new SessionMap(target).get('a')).toMatchObject({ cliSessionId: 'cli-a' });
    expect(errors).toHaveLength(1);
  });
});
