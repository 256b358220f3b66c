/**
 * Content that may be a string or text and image blocks (a tool result's content, a
 * document's `content` source): the one reader, so both places accept and refuse alike.
 */
import type { ImageBlock, TextBlock } from '../../turn/types.js';
import { convertImageSource } from './convert-image-source.js';
import { Fields, fieldPath, invalidAt, wrongType } from './read-fields.js';

/**
 * `refuse` may throw a refusal in the caller's own terms for a block type that is not text
 * or image; `where` says what the content is, for the default refusal.
 */
export function convertTextAndImageBlocks(
  value: unknown,
  path: string,
  where: string,
  refuse?: (type: string, f: Fields) => void,
): string | Array<TextBlock | ImageBlock> {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) throw wrongType(path, 'a string or an array of text and image blocks', value);
  return value.map((raw, i) => {
    const f = Fields.of(raw, fieldPath(path, i));
    const type = f.requiredString('type');
    if (type === 'text') return { type: 'text', text: f.requiredString('text') };
    if (type === 'image') return { type: 'image', source: convertImageSource(f.raw('source'), f.at('source')) };
    refuse?.(type, f);
    throw invalidAt(f.at('type'), `${where} must be text or image blocks, got '${type}'`);
  });
}
