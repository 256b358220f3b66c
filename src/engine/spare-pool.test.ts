import { describe, expect, it } from 'vitest';
import { type Spare, SparePool } from './spare-pool.js';

class FakeSpare implements Spare {
  state = 'idle';
  lastUsed = Date.now();
  private handlers: Array<() => void> = [];
  constructor(readonly key: string) {}
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const h of this.handlers) h();
  }
  onClosed(fn: () => void): void {
    this.handlers.push(fn);
  }
}

/** What the engine does for a new conversation: claim a spare of its shape, then replenish. */
function conversation(pool: SparePool<FakeSpare>, key: string, spawned: FakeSpare[]): boolean {
  const warm = pool.take(key) !== undefined;
  pool.replenish(key, () => {
    const s = new FakeSpare(key);
    spawned.push(s);
    return s;
  });
  return warm;
}

describe('SparePool', () => {
  it('ten conversations with ten different shapes start one spare, not ten', () => {
    const pool = new SparePool<FakeSpare>(1);
    const spawned: FakeSpare[] = [];
    for (let i = 0; i < 10; i++) expect(conversation(pool, `shape${i}`, spawned)).toBe(false);
    expect(spawned).toHaveLength(1);
    expect(pool.started).toBe(1);
  });

  it('a recurring shape is warm from its second conversation on', () => {
    const pool = new SparePool<FakeSpare>(1);
    const spawned: FakeSpare[] = [];
    const warm = Array.from({ length: 5 }, () => conversation(pool, 'same', spawned));
    expect(warm).toEqual([false, true, true, true, true]);
    expect(spawned).toHaveLength(5);
  });

  it('one-off shapes do not push out the spare of a recurring shape, and two shapes do not take turns replacing each other', () => {
    const pool = new SparePool<FakeSpare>(1);
    const spawned: FakeSpare[] = [];
    conversation(pool, 'main', spawned);
    conversation(pool, 'main', spawned);
    for (let i = 0; i < 5; i++) conversation(pool, `oneoff${i}`, spawned);
    expect(conversation(pool, 'main', spawned)).toBe(true);
    const before = spawned.length;
    for (let i = 0; i < 4; i++) {
      conversation(pool, 'a', spawned);
      conversation(pool, 'main', spawned);
    }
    // 'a' never overtakes 'main': every conversation of main stays warm, no spare of 'a' is wasted.
    expect(spawned.filter((s) => s.key === 'a')).toHaveLength(0);
    expect(spawned.length - before).toBe(4);
  });

  it('a shape that becomes more frequent takes the place of a less used spare', () => {
    const pool = new SparePool<FakeSpare>(1);
    const spawned: FakeSpare[] = [];
    conversation(pool, 'old', spawned);
    conversation(pool, 'new', spawned);
    conversation(pool, 'new', spawned);
    expect(spawned.map((s) => s.key)).toEqual(['old', 'new']);
    expect(spawned[0].state).toBe('closed');
    expect(conversation(pool, 'new', spawned)).toBe(true);
  });

  it('idle spares go; a closed spare is never handed out', () => {
    const pool = new SparePool<FakeSpare>(2);
    const spawned: FakeSpare[] = [];
    conversation(pool, 'x', spawned);
    spawned[0].lastUsed = Date.now() - 10_000;
    pool.evictIdle(Date.now(), 5_000);
    expect(pool.size).toBe(0);
    conversation(pool, 'y', spawned);
    spawned[1].state = 'closed';
    expect(pool.take('y')).toBeUndefined();
  });
});
