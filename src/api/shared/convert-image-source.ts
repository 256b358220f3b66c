/**
 * Image sources: the media types Claude accepts, checked here so a client gets a clear
 * 400 naming its field instead of an upstream error after the CLI has started.
 * Shared with api/responses (data URLs become base64 sources).
 */
import type { ImageSource } from '../../turn/types.js';
import { Fields, invalidAt } from './read-fields.js';

/** What the Messages API accepts for base64 images. */
export const IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;

export function checkImageMediaType(mediaType: string, path: string): string {
  const normalized = mediaType.trim().toLowerCase();
  if (!(IMAGE_MEDIA_TYPES as readonly string[]).includes(normalized)) {
    throw invalidAt(path, `image media type '${mediaType}' is not supported; use one of ${IMAGE_MEDIA_TYPES.join(', ')}`);
  }
  return normalized;
}

export function checkImageUrl(url: string, path: string): string {
  if (!/^https?:\/\//i.test(url)) {
    throw invalidAt(path, 'image URL must be http(s) or a data: URL');
  }
  return url;
}

/** An Anthropic `image` block's `source` (base64 or url). */
export function convertImageSource(value: unknown, path: string): ImageSource {
  const f = Fields.of(value, path);
  const type = f.requiredString('type');
  switch (type) {
    case 'base64':
      return {
        type: 'base64',
        media_type: checkImageMediaType(f.requiredString('media_type'), f.at('media_type')),
        data: f.nonEmptyString('data'),
      };
    case 'url':
      return { type: 'url', url: checkImageUrl(f.nonEmptyString('url'), f.at('url')) };
    case 'file':
      throw invalidAt(f.at('type'), 'file sources are not supported (maxproxy has no Files API); send the image as base64 or url');
    default:
      throw invalidAt(f.at('type'), `unknown image source type '${type}'; expected 'base64' or 'url'`);
  }
}
