import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/turn-failure.js';
import { checkImageMediaType, convertImageSource } from './convert-image-source.js';

const paramOf = (fn: () => unknown): string | undefined => errorOf(fn).param;

describe('convertImageSource', () => {
  it('keeps base64 and url sources', () => {
    expect(convertImageSource({ type: 'base64', media_type: 'image/png', data: 'AAA' }, 's')).toEqual({
      type: 'base64',
      media_type: 'image/png',
      data: 'AAA',
    });
    expect(convertImageSource({ type: 'url', url: 'https://x.test/a.jpg' }, 's')).toEqual({
      type: 'url',
      url: 'https://x.test/a.jpg',
    });
  });

  it('normalizes the media type case', () => {
    expect(checkImageMediaType('IMAGE/JPEG', 'p')).toBe('image/jpeg');
  });

  it('refuses unsupported media types, file sources and non-http URLs, naming the field', () => {
    expect(paramOf(() => convertImageSource({ type: 'base64', media_type: 'image/svg+xml', data: 'A' }, 's'))).toBe('s.media_type');
    expect(paramOf(() => convertImageSource({ type: 'file', file_id: 'file_1' }, 's'))).toBe('s.type');
    expect(paramOf(() => convertImageSource({ type: 'url', url: 'file:///etc/passwd' }, 's'))).toBe('s.url');
    expect(paramOf(() => convertImageSource({ type: 'base64', media_type: 'image/png', data: '' }, 's'))).toBe('s.data');
  });
});
