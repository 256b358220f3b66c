/**
 * Documents (PDFs and plain text) from each API's shape to the canonical DocumentBlock,
 * checked here so a client gets a 400 naming its field and the limit instead of an
 * upstream error after the CLI has started. The data is never decoded or re-encoded
 * (a PDF reaches the upstream byte for byte); only a text/plain data URL is decoded, because
 * the Messages API takes plain text as a `text` source.
 */
import type { DocumentBlock, DocumentSource } from '../../turn/types.js';
import { convertTextAndImageBlocks } from './convert-text-image-blocks.js';
import { Fields, invalidAt } from './read-fields.js';

/** The Messages API's documented request limit, which a PDF must fit in (docs.claude.com, PDF support). */
export const UPSTREAM_REQUEST_LIMIT_BYTES = 32 * 1024 * 1024;
export const DOCUMENT_MEDIA_TYPES = ['application/pdf', 'text/plain'] as const;

const NO_FILES_API = 'maxproxy has no Files API';

function checkSize(chars: number, path: string): void {
  if (chars > UPSTREAM_REQUEST_LIMIT_BYTES) {
    throw invalidAt(
      path,
      `the document is ${chars} bytes, larger than the upstream's 32 MB request limit (${UPSTREAM_REQUEST_LIMIT_BYTES} bytes, the Messages API's limit for a request with PDFs; at most 100 pages for 200k-context models, 600 otherwise)`,
    );
  }
}

function unsupportedMediaType(mediaType: string, path: string): never {
  throw invalidAt(path, `document media type '${mediaType}' is not supported; use one of ${DOCUMENT_MEDIA_TYPES.join(', ')} (send other formats as text)`);
}

export function checkDocumentUrl(url: string, path: string): string {
  if (!/^https:\/\/[^/]/i.test(url)) {
    throw invalidAt(path, 'a document URL must be an https URL the upstream can fetch (or send the file as base64 data)');
  }
  return url;
}

/** An Anthropic `document` block (source base64/text/url/content; title, context, citations). */
export function convertAnthropicDocument(f: Fields): DocumentBlock {
  const block: DocumentBlock = { type: 'document', source: convertDocumentSource(f.raw('source'), f.at('source')) };
  const title = f.string('title');
  if (title !== undefined) block.title = title;
  const context = f.string('context');
  if (context !== undefined) block.context = context;
  const citations = f.object('citations');
  if (citations !== undefined) block.citations = { enabled: citations.boolean('enabled') ?? false };
  return block;
}

function convertDocumentSource(value: unknown, path: string): DocumentSource {
  const f = Fields.of(value, path);
  const type = f.requiredString('type');
  switch (type) {
    case 'base64': {
      const mediaType = f.requiredString('media_type');
      if (mediaType.trim().toLowerCase() !== 'application/pdf') {
        throw invalidAt(f.at('media_type'), `base64 documents must be application/pdf, got '${mediaType}' (plain text goes in a 'text' source)`);
      }
      const data = f.nonEmptyString('data');
      checkSize(data.length, f.at('data'));
      return { type: 'base64', media_type: 'application/pdf', data };
    }
    case 'text': {
      const mediaType = f.requiredString('media_type');
      if (mediaType.trim().toLowerCase() !== 'text/plain') {
        throw invalidAt(f.at('media_type'), `text documents must be text/plain, got '${mediaType}'`);
      }
      const data = f.requiredString('data');
      checkSize(Buffer.byteLength(data), f.at('data'));
      return { type: 'text', media_type: 'text/plain', data };
    }
    case 'url':
      return { type: 'url', url: checkDocumentUrl(f.nonEmptyString('url'), f.at('url')) };
    case 'content':
      return { type: 'content', content: convertTextAndImageBlocks(f.raw('content'), f.at('content'), 'document content') };
    case 'file':
      throw invalidAt(f.at('type'), `file sources are not supported (${NO_FILES_API}); send the document as base64, text or url`);
    default:
      throw invalidAt(f.at('type'), `unknown document source type '${type}'; expected 'base64', 'text', 'url' or 'content'`);
  }
}

/**
 * An OpenAI file (`file_data`: a data URL, or bare base64 with a .pdf filename) as a
 * document; `filename` becomes the document's title, which is how the model sees it.
 */
export function documentFromFileData(fileData: string, filename: string | undefined, path: string): DocumentBlock {
  let mediaType: string;
  let data: string;
  if (/^data:/i.test(fileData)) {
    // indexOf, not a regex: the data may be megabytes.
    const comma = fileData.indexOf(',');
    if (comma < 0) throw invalidAt(path, 'malformed data URL (no comma)');
    const header = fileData.slice(5, comma).split(';');
    if (!header.slice(1).some((p) => p.toLowerCase() === 'base64')) throw invalidAt(path, 'data URLs must be base64-encoded');
    mediaType = header[0].trim().toLowerCase();
    data = fileData.slice(comma + 1);
  } else if (filename !== undefined && /\.pdf$/i.test(filename)) {
    mediaType = 'application/pdf';
    data = fileData;
  } else {
    throw invalidAt(path, 'file_data must be a data: URL (data:application/pdf;base64,…), or base64 with a .pdf filename');
  }
  if (data === '') throw invalidAt(path, 'the file carries no data');
  const title = filename !== undefined && filename !== '' ? { title: filename } : {};
  if (mediaType === 'application/pdf') {
    checkSize(data.length, path);
    return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data }, ...title };
  }
  if (mediaType === 'text/plain') {
    checkSize(data.length, path);
    return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: Buffer.from(data, 'base64').toString('utf8') }, ...title };
  }
  return unsupportedMediaType(mediaType || '(none)', path);
}

/** A `file_id` reference: refused, naming the field. */
export function fileIdRefused(path: string): never {
  throw invalidAt(path, `file_id references are not supported (${NO_FILES_API}); send the file inline as file_data`);
}
