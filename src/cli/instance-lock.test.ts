import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireInstanceLock, holdsLock, type ProcessProbe, parseElapsed, readLock, systemProbe } from './instance-lock.js';

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-lock-'));
const lockPath = (d: string) => path.join(d, 'maxproxy.lock');
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

/** A process table: pid → start time (epoch ms). */
const probe = (table: Record<number, number>): ProcessProbe => ({
  alive: (pid) => pid in table,
  startedAt: (pid) => table[pid],
});

describe('parseElapsed (ps etime)', () => {
  it.each([
    ['00:05', 5],
    ['  01:02\n', 62],
    ['03:00:01', 10801],
    ['2-01:00:00', 2 * 86400 + 3600],
    ['nonsense', undefined],
  ])('%j → %s', (s, n) => expect(parseElapsed(s)).toBe(n));

  it('the system probe tells this process start time to within a few seconds', () => {
    const t = systemProbe.startedAt(process.pid);
    expect(t).toBeDefined();
    expect(Math.abs(t! - (Date.now() - process.uptime() * 1000))).toBeLessThan(3_000);
  });
});

describe('holdsLock', () => {
  const now = Date.now();
  it('a live process that started before the lock was written holds it', () => {
    expect(holdsLock({ pid: 4242, startedAt: now }, probe({ 4242: now - 1000 }))).toBe(true);
  });
  it('a dead pid does not', () => {
    expect(holdsLock({ pid: 4242, startedAt: now }, probe({}))).toBe(false);
  });
  it('a reused pid (its process started after the lock was written) does not', () => {
    expect(holdsLock({ pid: 4242, startedAt: now - 3_600_000 }, probe({ 4242: now - 60_000 }))).toBe(false);
  });
  it('ps rounding: a start up to 2 s "after" the lock still counts as the holder', () => {
    expect(holdsLock({ pid: 4242, startedAt: now }, probe({ 4242: now + 1_500 }))).toBe(true);
  });
  it('no start time known (no ps, an old lock without startedAt): a live pid is trusted', () => {
    expect(holdsLock({ pid: 4242, startedAt: now }, { alive: () => true, startedAt: () => undefined })).toBe(true);
    expect(holdsLock({ pid: 4242 }, probe({ 4242: now }))).toBe(true);
  });
  it('nonsense pids and our own pid do not', () => {
    expect(holdsLock({ pid: 0 }, probe({ 0: 0 }))).toBe(false);
    expect(holdsLock({ pid: -5 } as never, probe({}))).toBe(false);
    expect(holdsLock({ pid: process.pid }, probe({ [process.pid]: 0 }))).toBe(false);
  });
});

describe('acquireInstanceLock', () => {
  it('takes a free lock, writes pid and start, updates the URL atomically, releases', async () => {
    const d = dir();
    const lock = await acquireInstanceLock(d);
    expect(lock.ok).toBe(true);
    if (!lock.ok) return;
    const first = readJson(lockPath(d));
    expect(first).toEqual({ pid: process.pid, startedAt: expect.any(Number) });
    expect(fs.statSync(lockPath(d)).mode & 0o777).toBe(0o600);
    lock.update({ url: 'http://127.0.0.1:1234' });
    expect(readJson(lockPath(d))).toEqual({ ...first, url: 'http://127.0.0.1:1234' });
    expect(fs.readdirSync(d)).toEqual(['maxproxy.lock']);
    lock.release();
    expect(fs.existsSync(lockPath(d))).toBe(false);
  });

  it('refuses while another live holder has it, naming its pid and URL', async () => {
    const d = dir();
    fs.writeFileSync(lockPath(d), JSON.stringify({ pid: 4242, startedAt: Date.now(), url: 'http://127.0.0.1:3456' }));
    const r = await acquireInstanceLock(d, probe({ 4242: Date.now() - 5_000 }));
    expect(r).toEqual({ ok: false, pid: 4242, url: 'http://127.0.0.1:3456' });
    expect(readJson(lockPath(d)).pid).toBe(4242);
  });

  it.each([
    ['a dead pid', JSON.stringify({ pid: 4242, startedAt: Date.now(), url: 'http://127.0.0.1:3456' })],
    ['a reused pid', JSON.stringify({ pid: 4243, startedAt: Date.now() - 86_400_000 })],
    ['a half-written file', '{"pid": 42'],
    ['an empty file', ''],
  ])('takes over a stale lock (%s)', async (_what, content) => {
    const d = dir();
    fs.writeFileSync(lockPath(d), content);
    const r = await acquireInstanceLock(d, probe({ 4243: Date.now() - 1_000 }));
    expect(r.ok).toBe(true);
    expect(readJson(lockPath(d)).pid).toBe(process.pid);
    if (r.ok) r.release();
  });

  it('with real processes: the lock of an exited process is taken over', async () => {
    const d = dir();
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid!;
    await new Promise((r) => child.once('exit', r));
    fs.writeFileSync(lockPath(d), JSON.stringify({ pid, startedAt: Date.now() - 1000, url: 'http://127.0.0.1:1' }));
    expect(readLock(d)).toBeUndefined();
    const r = await acquireInstanceLock(d);
    expect(r.ok).toBe(true);
    if (r.ok) r.release();
  });

  it('with real processes: a live process that started after the lock is not its holder', async () => {
    const d = dir();
    const child = spawn('sleep', ['30']);
    try {
      await new Promise((r) => child.once('spawn', r));
      fs.writeFileSync(lockPath(d), JSON.stringify({ pid: child.pid, startedAt: Date.now() - 3_600_000 }));
      expect(readLock(d)).toBeUndefined();
      fs.writeFileSync(lockPath(d), JSON.stringify({ pid: child.pid, startedAt: Date.now() + 1_000, url: 'http://x' }));
      expect(readLock(d)).toEqual({ pid: child.pid, url: 'http://x' });
    } finally {
      child.kill();
    }
  });
});
