/**
 * An OpenAI `image_url` (a `data:` URL or an http(s) URL) to a canonical image source.
 * Format-neutral (Chat Completions sends the same URLs).
 */
import type { ImageSource } from '../../turn/types.js';
import { checkImageMediaType, checkImageUrl } from './convert-image-source.js';
import { invalidAt } from './read-fields.js';

export function imageSourceFromUrl(url: string, path: string): ImageSource {
  if (!/^data:/i.test(url)) return { type: 'url', url: checkImageUrl(url, path) };
  // data:[<media type>][;param=value]*;base64,<data> (indexOf, not a regex: the data may be megabytes)
  const comma = url.indexOf(',');
  if (comma < 0) throw invalidAt(path, 'malformed data URL (no comma)');
  const header = url.slice(5, comma).split(';');
  const mediaType = header[0];
  if (!header.slice(1).some((p) => p.toLowerCase() === 'base64')) {
    throw invalidAt(path, 'data URLs must be base64-encoded');
  }
  const data = url.slice(comma + 1);
  if (data === '') throw invalidAt(path, 'the data URL carries no data');
  return { type: 'base64', media_type: checkImageMediaType(mediaType, path), data };
}
