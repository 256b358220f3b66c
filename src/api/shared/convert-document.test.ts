import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/turn-failure.js';
import { convertAnthropicDocument, documentFromFileData, UPSTREAM_REQUEST_LIMIT_BYTES } from './convert-document.js';
import { Fields } from './read-fields.js';

const anthropic = (block: unknown) => convertAnthropicDocument(Fields.of(block, 'b'));

describe('documentFromFileData', () => {
  it('keeps PDF data as it came and names the document after the file', () => {
    expect(documentFromFileData('data:application/pdf;base64,JVBERi0x', 'a.pdf', 'p')).toEqual({
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' },
      title: 'a.pdf',
    });
    // Bare base64 is taken when the filename says PDF.
    expect(documentFromFileData('JVBERi0x', 'b.PDF', 'p').source).toEqual({ type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' });
  });

  it('decodes text/plain into a text source', () => {
    expect(documentFromFileData(`data:text/plain;base64,${Buffer.from('héllo').toString('base64')}`, undefined, 'p')).toEqual({
      type: 'document',
      source: { type: 'text', media_type: 'text/plain', data: 'héllo' },
    });
  });

  it('refuses other media types, non-base64 data URLs, bare data without a PDF name, and empty data', () => {
    expect(errorOf(() => documentFromFileData('data:application/zip;base64,UEs=', 'a.zip', 'p')).message).toBe(
      "p: document media type 'application/zip' is not supported; use one of application/pdf, text/plain (send other formats as text)",
    );
    expect(errorOf(() => documentFromFileData('data:application/pdf,%25PDF', 'a.pdf', 'p')).message).toMatch(/base64-encoded/);
    expect(errorOf(() => documentFromFileData('JVBERi0x', 'a.bin', 'p')).message).toMatch(/data: URL/);
    expect(errorOf(() => documentFromFileData('data:application/pdf;base64,', 'a.pdf', 'p')).message).toMatch(/no data/);
  });

  it('refuses a document larger than the upstream request limit, naming it', () => {
    const data = 'A'.repeat(UPSTREAM_REQUEST_LIMIT_BYTES + 1);
    expect(errorOf(() => documentFromFileData(`data:application/pdf;base64,${data}`, 'a.pdf', 'p')).message).toMatch(/32 MB request limit \(33554432 bytes/);
  });
});

describe('convertAnthropicDocument', () => {
  it('keeps each source type and the optional fields', () => {
    expect(anthropic({ type: 'document', source: { type: 'text', media_type: 'text/plain', data: '' }, citations: { enabled: false } })).toEqual({
      type: 'document',
      source: { type: 'text', media_type: 'text/plain', data: '' },
      citations: { enabled: false },
    });
    expect(anthropic({ type: 'document', source: { type: 'content', content: 'plain' } }).source).toEqual({ type: 'content', content: 'plain' });
  });

  it('names the field of what it refuses', () => {
    expect(errorOf(() => anthropic({ type: 'document', source: { type: 'url', url: 'file:///etc/passwd' } })).param).toBe('b.source.url');
    expect(errorOf(() => anthropic({ type: 'document', source: { type: 'content', content: [{ type: 'document' }] } })).param).toBe('b.source.content.0.type');
    expect(errorOf(() => anthropic({ type: 'document', source: { type: 'file', file_id: 'f' } })).message).toMatch(/no Files API/);
    expect(errorOf(() => anthropic({ type: 'document', source: { type: 'pdf' } })).param).toBe('b.source.type');
  });
});
