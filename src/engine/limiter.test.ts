import { describe, expect, it, vi } from 'vitest';
import { TurnFailure } from '../turn/types.js';
import { Limiter } from './limiter.js';

/** Resolves after pending promise callbacks have run. */
const flush = () => new Promise((r) => setImmediate(r));

/** Tracks which acquisitions have been granted, in order. */
function tracker(l: Limiter) {
  const granted: string[] = [];
  const releases = new Map<string, () => void>();
  const errors = new Map<string, unknown>();
  const acquire = (name: string, signal?: AbortSignal) =>
    l.acquire(signal).then(
      (release) => {
        granted.push(name);
        releases.set(name, release);
      },
      (e) => errors.set(name, e),
    );
  return { granted, releases, errors, acquire };
}

describe('Limiter', () => {
  it('grants up to the cap at once and queues the rest', async () => {
    const l = new Limiter(2, 10);
    const t = tracker(l);
    void t.acquire('a');
    void t.acquire('b');
    void t.acquire('c');
    await flush();
    expect(t.granted).toEqual(['a', 'b']);
    expect(l.running).toBe(2);
    expect(l.queued).toBe(1);
    t.releases.get('a')!();
    await flush();
    expect(t.granted).toEqual(['a', 'b', 'c']);
    expect(l.running).toBe(2);
    expect(l.queued).toBe(0);
  });

  it('serves the queue first in, first out', async () => {
    const l = new Limiter(1, 10);
    const t = tracker(l);
    for (const n of ['a', 'b', 'c', 'd']) void t.acquire(n);
    await flush();
    for (const n of ['a', 'b', 'c']) {
      t.releases.get(n)!();
      await flush();
    }
    expect(t.granted).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a newcomer does not overtake the queue when a slot frees', async () => {
    const l = new Limiter(1, 10);
    const t = tracker(l);
    void t.acquire('a');
    void t.acquire('b');
    await flush();
    t.releases.get('a')!();
    void t.acquire('late');
    await flush();
    expect(t.granted).toEqual(['a', 'b']);
    expect(l.queued).toBe(1);
  });

  it('a release is counted once however often it is called', async () => {
    const l = new Limiter(1, 10);
    const t = tracker(l);
    void t.acquire('a');
    void t.acquire('b');
    void t.acquire('c');
    await flush();
    const release = t.releases.get('a')!;
    release();
    release();
    await flush();
    expect(t.granted).toEqual(['a', 'b']);
    expect(l.running).toBe(1);
    expect(l.queued).toBe(1);
  });

  it('a full queue is refused at once: unavailable, queue_full, with retry-after', async () => {
    const l = new Limiter(1, 2);
    const t = tracker(l);
    for (const n of ['a', 'b', 'c']) void t.acquire(n);
    await flush();
    const err = await l.acquire().catch((e) => e);
    expect(err).toBeInstanceOf(TurnFailure);
    expect((err as TurnFailure).error).toMatchObject({ kind: 'unavailable', code: 'queue_full' });
    expect((err as TurnFailure).error.retryAfterSeconds).toBeGreaterThan(0);
    expect(l.queued).toBe(2);
  });

  it('a zero-length queue refuses as soon as the cap is reached', async () => {
    const l = new Limiter(1, 0);
    await l.acquire();
    await expect(l.acquire()).rejects.toMatchObject({ error: { kind: 'unavailable', code: 'queue_full' } });
  });

  it('a waiter whose client leaves is taken out of the queue and never granted', async () => {
    const l = new Limiter(1, 10);
    const t = tracker(l);
    const ac = new AbortController();
    void t.acquire('a');
    void t.acquire('gone', ac.signal);
    void t.acquire('c');
    await flush();
    expect(l.queued).toBe(2);
    ac.abort();
    await flush();
    expect(l.queued).toBe(1);
    expect(t.errors.get('gone')).toBeInstanceOf(TurnFailure);
    expect((t.errors.get('gone') as TurnFailure).error.kind).toBe('unavailable');
    t.releases.get('a')!();
    await flush();
    expect(t.granted).toEqual(['a', 'c']);
    expect(l.running).toBe(1);
  });

  it('an already aborted request is refused without taking a slot', async () => {
    const l = new Limiter(1, 10);
    const ac = new AbortController();
    ac.abort();
    await expect(l.acquire(ac.signal)).rejects.toBeInstanceOf(TurnFailure);
    expect(l.running).toBe(0);
    expect(l.queued).toBe(0);
  });

  it('an abort after the grant changes nothing', async () => {
    const l = new Limiter(1, 10);
    const ac = new AbortController();
    const t = tracker(l);
    void t.acquire('a');
    void t.acquire('b', ac.signal);
    await flush();
    t.releases.get('a')!();
    await flush();
    ac.abort();
    await flush();
    expect(t.granted).toEqual(['a', 'b']);
    expect(t.errors.size).toBe(0);
    expect(l.running).toBe(1);
  });

  it('reports changes and the oldest wait', async () => {
    vi.useFakeTimers();
    try {
      const onChange = vi.fn();
      const l = new Limiter(1, 10, onChange);
      const release = await l.acquire();
      expect(onChange).toHaveBeenCalledTimes(1);
      expect(l.oldestWaitMs).toBe(0);
      const waiting = l.acquire();
      expect(onChange).toHaveBeenCalledTimes(2);
      vi.advanceTimersByTime(1500);
      expect(l.oldestWaitMs).toBe(1500);
      release();
      (await waiting)();
      expect(l.running).toBe(0);
      expect(l.oldestWaitMs).toBe(0);
      expect(onChange.mock.calls.length).toBeGreaterThanOrEqual(4);
    } finally {
      vi.useRealTimers();
    }
  });
});
