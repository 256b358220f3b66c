import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/turn-failure.js';
import { imageSourceFromUrl } from './parse-image-url.js';

describe('imageSourceFromUrl', () => {
  it('turns a base64 data URL into a base64 source (parameters allowed)', () => {
    expect(imageSourceFromUrl('data:image/png;base64,iVBORw0KGgo=', 'p')).toEqual({
      type: 'base64',
      media_type: 'image/png',
      data: 'iVBORw0KGgo=',
    });
    expect(imageSourceFromUrl('data:image/JPEG;name=a.jpg;base64,/9j/', 'p')).toEqual({
      type: 'base64',
      media_type: 'image/jpeg',
      data: '/9j/',
    });
  });

  it('keeps http(s) URLs as url sources', () => {
    expect(imageSourceFromUrl('https://x.test/cat.webp', 'p')).toEqual({ type: 'url', url: 'https://x.test/cat.webp' });
  });

  it('refuses what Claude cannot take, naming the field', () => {
    expect(errorOf(() => imageSourceFromUrl('data:image/png,rawbytes', 'input.0.content.1.image_url'))).toEqual({
      kind: 'invalid_request',
      param: 'input.0.content.1.image_url',
      message: 'input.0.content.1.image_url: data URLs must be base64-encoded',
    });
    expect(errorOf(() => imageSourceFromUrl('data:image/tiff;base64,AAAA', 'p')).message).toBe(
      "p: image media type 'image/tiff' is not supported; use one of image/jpeg, image/png, image/gif, image/webp",
    );
    expect(errorOf(() => imageSourceFromUrl('data:image/png;base64', 'p')).message).toBe('p: malformed data URL (no comma)');
    expect(errorOf(() => imageSourceFromUrl('data:image/png;base64,', 'p')).message).toBe('p: the data URL carries no data');
    expect(errorOf(() => imageSourceFromUrl('ftp://x.test/a.png', 'p')).param).toBe('p');
  });
});
