import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DebouncedJsonFile } from './debounced-json-file.js';

let dir: string;
let file: string;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-debounced-'));
  file = path.join(dir, 'data', 'state.json');
});
afterEach(() => {
  vi.useRealTimers();
  fs.rmSync(dir, { recursive: true, force: true });
});

const read = (f = file) => JSON.parse(fs.readFileSync(f, 'utf8'));

function store(f = file, delayMs = 100) {
  const state = { n: 0 };
  const errors: Error[] = [];
  let snapshots = 0;
  const json = new DebouncedJsonFile({
    file: f,
    delayMs,
    snapshot: () => {
      snapshots++;
      return { ...state };
    },
    onError: (e) => errors.push(e),
  });
  return { state, errors, json, snapshots: () => snapshots };
}

describe('DebouncedJsonFile', () => {
  it('writes a burst of changes once, after the delay, with the latest state', async () => {
    const s = store();
    for (let i = 1; i <= 5; i++) {
      s.state.n = i;
      s.json.changed();
    }
    vi.advanceTimersByTime(99);
    await s.json.settled();
    expect(fs.existsSync(file)).toBe(false);
    vi.advanceTimersByTime(1);
    await s.json.settled();
    expect(read()).toEqual({ n: 5 });
    expect(s.snapshots()).toBe(1);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('a change during the delay does not push the write back', async () => {
    const s = store();
    s.json.changed();
    vi.advanceTimersByTime(60);
    s.state.n = 1;
    s.json.changed();
    vi.advanceTimersByTime(40);
    await s.json.settled();
    expect(read()).toEqual({ n: 1 });
  });

  it('flush writes now and cancels the timer; nothing is written when nothing changed', async () => {
    const s = store();
    await s.json.flush();
    expect(fs.existsSync(file)).toBe(false);
    s.state.n = 7;
    s.json.changed();
    await s.json.flush();
    expect(read()).toEqual({ n: 7 });
    vi.advanceTimersByTime(1000);
    await s.json.settled();
    expect(s.snapshots()).toBe(1);
  });

  it('flushSync writes pending changes at once', () => {
    const s = store();
    s.state.n = 3;
    s.json.changed();
    s.json.flushSync();
    expect(read()).toEqual({ n: 3 });
    s.json.flushSync();
    expect(s.snapshots()).toBe(1);
  });

  it('a change made while a write runs is written by the next one', async () => {
    const s = store();
    s.state.n = 1;
    s.json.changed();
    const first = s.json.flush();
    s.state.n = 2;
    s.json.changed();
    await first;
    vi.advanceTimersByTime(100);
    await s.json.settled();
    expect(read()).toEqual({ n: 2 });
  });

  it('a failed write reports the error, keeps the change pending and is retried by the next flush', async () => {
    const blocker = path.join(dir, 'blocker');
    fs.writeFileSync(blocker, ''); // a file where the directory should be
    const target = path.join(blocker, 'state.json');
    const s = store(target);
    s.state.n = 1;
    s.json.changed();
    vi.advanceTimersByTime(100);
    await expect(s.json.settled()).resolves.toBeUndefined();
    expect(s.errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOTDIR']);
    s.json.flushSync();
    expect(s.errors).toHaveLength(2);

    fs.rmSync(blocker);
    await s.json.flush();
    expect(read(target)).toEqual({ n: 1 });
    expect(s.errors).toHaveLength(2);
  });
});
