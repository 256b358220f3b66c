import { describe, expect, it } from 'vitest';
import { formatAgo, formatIn } from './relative-time.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

describe('relative time', () => {
  it('formatAgo', () => {
    expect(formatAgo(NOW - 3000, NOW)).toBe('just now');
    expect(formatAgo(NOW + 3000, NOW)).toBe('just now');
    expect(formatAgo(NOW - 45_000, NOW)).toBe('45s ago');
    expect(formatAgo(NOW - 150_000, NOW)).toBe('2m ago');
    expect(formatAgo(NOW - 3 * 3600_000 - 1, NOW)).toBe('3h ago');
    expect(formatAgo(NOW - 2 * 86400_000, NOW)).toBe('2d ago');
  });
  it('formatIn', () => {
    expect(formatIn(NOW - 1, NOW)).toBe('now');
    expect(formatIn(NOW + 30_000, NOW)).toBe('in <1m');
    expect(formatIn(NOW + 5 * 60_000, NOW)).toBe('in 5m');
    expect(formatIn(NOW + 2 * 3600_000, NOW)).toBe('in 2h');
    expect(formatIn(NOW + 2 * 3600_000 + 14 * 60_000 + 59_000, NOW)).toBe('in 2h 14m');
    expect(formatIn(NOW + 3 * 86400_000 + 4 * 3600_000, NOW)).toBe('in 3d 4h');
    expect(formatIn(NOW + 86400_000 + 59_000, NOW)).toBe('in 1d');
  });
});
