import { describe, expect, it } from 'vitest';
import { bindsLoopbackOnly, checkBindNeedsKey, isLoopbackAddress } from './bind-address.js';

const fakeDns = (table: Record<string, string[]>) => async (h: string) => {
  const a = table[h];
  if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' });
  return a.map((address) => ({ address }));
};

describe('loopback by address, never by spelling', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['::ffff:10.0.0.1', false],
    ['127.evil.example', false],
  ])('%s → %s', (a, want) => expect(isLoopbackAddress(a)).toBe(want));

  it('a name counts only when every address it resolves to is loopback', async () => {
    const dns = fakeDns({ localhost: ['127.0.0.1', '::1'], 'mixed.example': ['127.0.0.1', '203.0.113.5'], '127.evil.example': ['203.0.113.9'] });
    expect(await bindsLoopbackOnly('localhost', dns)).toBe(true);
    expect(await bindsLoopbackOnly('mixed.example', dns)).toBe(false);
    expect(await bindsLoopbackOnly('127.evil.example', dns)).toBe(false);
    expect(await bindsLoopbackOnly('unknown.example', dns)).toBe(false);
  });

  it('without a key, a name that is not loopback-only is refused; with one, anything goes', async () => {
    await expect(checkBindNeedsKey('127.evil.example', undefined)).rejects.toThrow(/refusing to listen on 127\.evil\.example without an API key/);
    await expect(checkBindNeedsKey('localhost', undefined)).resolves.toBeUndefined();
    await expect(checkBindNeedsKey('127.0.0.1', undefined)).resolves.toBeUndefined();
    await expect(checkBindNeedsKey('127.evil.example', 'k'.repeat(16))).resolves.toBeUndefined();
  });
});
