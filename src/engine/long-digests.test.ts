import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { countTurns } from '../event-loop/testing/turn-counter.js';
import { TimeSlicer } from '../event-loop/time-slicer.js';
import type { TurnMessage } from '../turn/types.js';
import { fingerprint, prepareFingerprint, shapeKey } from './fingerprint.js';
import { digestInSlices, digestOf, expireDigests, forgetDigests, isRemembered } from './long-digests.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const MB = 1024 * 1024;

beforeEach(() => forgetDigests());

describe('long digests', () => {
  it('hashes in slices exactly as in one go, a surrogate pair on a piece boundary included', async () => {
    // '😀' is two UTF-16 units; placed so its first unit is the last of the first 1 MiB piece.
    const s = `${'a'.repeat(MB - 1)}😀${'é'.repeat(MB)}`;
    expect(await digestInSlices(s, new TimeSlicer())).toBe(sha(s));
    expect(isRemembered(s)).toBe(true);
    expect(digestOf(s)).toBe(sha(s));
  });

  it('gives the event loop turns while it hashes', async () => {
    const s = 'x'.repeat(16 * MB);
    const counter = countTurns();
    const d = await digestInSlices(s, new TimeSlicer(0));
    const turns = counter.stop();
    expect(d).toBe(sha(s));
    expect(turns).toBeGreaterThanOrEqual(15);
  });

  it('prepared fingerprints equal plain ones, and the long strings are then remembered', async () => {
    const image = 'QUFB'.repeat(100_000);
    const longText = `${'word '.repeat(30_000)}😀`;
    const messages: TurnMessage[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: longText },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: image } },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'read', input: { path: 'x' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'line\n'.repeat(20_000) }] },
    ];
    const shape = shapeKey('sys', []);
    const plain = fingerprint(shape, messages);
    forgetDigests();
    await prepareFingerprint(messages, new TimeSlicer());
    expect(isRemembered(image)).toBe(true);
    expect(fingerprint(shape, messages)).toBe(plain);
  });

  it('forgets long strings unused for five minutes', () => {
    const t0 = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: t0 });
    try {
      const old = 'o'.repeat(100_000);
      const recent = 'r'.repeat(100_000);
      digestOf(old);
      digestOf(recent);
      vi.setSystemTime(t0 + 4 * 60_000);
      expireDigests(Date.now());
      expect(isRemembered(old)).toBe(true);
      digestOf(recent); // used again at +4 min
      expireDigests(t0 + 5 * 60_000 + 1_000);
      expect(isRemembered(old)).toBe(false);
      expect(isRemembered(recent)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('forgets the oldest long strings past its bound', () => {
    const strings = Array.from({ length: 7 }, (_, i) => String(i).repeat(8 * MB));
    for (const s of strings) digestOf(s);
    expect(isRemembered(strings[0])).toBe(false);
    expect(isRemembered(strings[6])).toBe(true);
  });
});
