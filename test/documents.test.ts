/**
 * Documents (PDF and plain text) through the real Claude Code CLI: each API's file shape
 * reaches the upstream as a Messages `document` block with the client's bytes unchanged —
 * in a new conversation, in an earlier message of a continued one (live process), and in
 * a history the CLI never saw (rebuilt as a transcript). Refusals answer in each API's format.
 */
import { describe, expect, it } from 'vitest';
import { continuities } from './harness.js';
import { conversationTurns } from './mock-upstream.js';
import { proxySuite } from './proxy-suite.js';

// The body limit is raised above the upstream's 32 MB so the document limit itself is reached.
const s = proxySuite({ responder: () => ({ blocks: [{ type: 'text', text: 'read it' }] }), args: ['--max-body-bytes', String(48 * 1024 * 1024)] });
const MODEL = 'claude-sonnet-4-6';

/** A small, valid one-page PDF (built here, so the test owns its bytes), base64. */
function tinyPdf(label: string, padding = 0): string {
  const content = `BT /F1 12 Tf 10 20 Td (${label}) Tj ET`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 50] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  // A comment of the requested size makes a large file that is still a valid PDF.
  if (padding > 0) out += `%${'x'.repeat(padding)}\n`;
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1').toString('base64');
}

/**
 * The document blocks of the client's turns in one upstream request, oldest first. The CLI
 * puts its own prompt-cache breakpoint (cache_control ephemeral) on the last block of the
 * newest user message, which may be a document; that one field is the CLI's, not the client's.
 */
const documentsIn = (body: any): any[] =>
  conversationTurns(body).flatMap((m: any) =>
    Array.isArray(m.content) ? m.content.filter((b: any) => b.type === 'document').map(({ cache_control: _cc, ...b }: any) => b) : [],
  );
const lastUpstream = () => s.upstream.messageRequests.at(-1)!.body;

const post = (path: string, body: unknown) =>
  fetch(`${s.proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body: JSON.stringify(body) });

describe('Anthropic document blocks', () => {
  it('base64 PDF with title, context and citations reaches the upstream byte for byte', async () => {
    const pdf = tinyPdf('anthropic');
    const doc = {
      type: 'document' as const,
      source: { type: 'base64' as const, media_type: 'application/pdf' as const, data: pdf },
      title: 'Report',
      context: 'Q3 numbers',
      citations: { enabled: true },
    };
    const m = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user', content: [doc, { type: 'text', text: 'summarise' }] }],
    });
    expect(m.content).toEqual([{ type: 'text', text: 'read it' }]);
    expect(documentsIn(lastUpstream())).toEqual([doc]);
  });

  it('text, url and content sources pass through unchanged', async () => {
    const sources = [
      { type: 'text', media_type: 'text/plain', data: 'Plain text — with ünïcode.\nLine two.' },
      { type: 'url', url: 'https://example.com/paper.pdf' },
      {
        type: 'content',
        content: [
          { type: 'text', text: 'chunk one' },
          { type: 'text', text: 'chunk two' },
        ],
      },
    ];
    await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user', content: [...sources.map((source) => ({ type: 'document', source }) as any), { type: 'text', text: 'compare' }] }],
    });
    expect(documentsIn(lastUpstream())).toEqual(sources.map((source) => ({ type: 'document', source })));
  });

  it('a document in an earlier message survives a continued conversation (live) and a rebuilt one (transcript)', async () => {
    const pdf = tinyPdf('continued');
    const doc = { type: 'document' as const, source: { type: 'base64' as const, media_type: 'application/pdf' as const, data: pdf }, title: 'A' };
    const first = [{ role: 'user' as const, content: [doc, { type: 'text' as const, text: 'read this' }] }];
    await s.anthropic.messages.create({ model: MODEL, max_tokens: 100, messages: first });
    const before = continuities(s.proxy).length;
    await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [...first, { role: 'assistant', content: 'read it' }, { role: 'user', content: 'and now?' }],
    });
    // The same process went on (the fingerprint covers the document), and it still sends the PDF.
    expect(continuities(s.proxy).slice(before)).toEqual(['live']);
    expect(documentsIn(lastUpstream())).toEqual([doc]);

    // A history no process holds (another document title) is written as a transcript.
    const other = { ...doc, title: 'B' };
    await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [
        { role: 'user', content: [other, { type: 'text', text: 'read this' }] },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'go on' },
      ],
    });
    expect(continuities(s.proxy).at(-1)).toBe('rebuilt');
    expect(documentsIn(lastUpstream())).toEqual([other]);
    expect(conversationTurns(lastUpstream()).map((t: any) => t.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('a 6 MB PDF reaches the upstream unchanged (the CLI does not re-encode documents)', async () => {
    const pdf = tinyPdf('large', 6 * 1024 * 1024);
    await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf } },
            { type: 'text', text: 'big' },
          ],
        },
      ],
    });
    const [up] = documentsIn(lastUpstream());
    expect(up.source.data.length).toBe(pdf.length);
    expect(up.source.data === pdf).toBe(true);
  });

  it('refuses other media types, file sources and http URLs with invalid_request_error naming the field', async () => {
    const cases: Array<[any, RegExp]> = [
      [{ type: 'base64', media_type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: 'UEsDBA==' }, /must be application\/pdf/],
      [{ type: 'file', file_id: 'file_123' }, /no Files API/],
      [{ type: 'url', url: 'http://example.com/a.pdf' }, /https URL/],
      [{ type: 'text', media_type: 'text/html', data: '<p>x</p>' }, /must be text\/plain/],
    ];
    for (const [source, message] of cases) {
      const res = await post('/v1/messages', { model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'document', source }] }] });
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.type).toBe('error');
      expect(body.error.type).toBe('invalid_request_error');
      expect(body.error.message).toMatch(/messages\.0\.content\.0\.source/);
      expect(body.error.message).toMatch(message);
    }
    expect(s.upstream.messageRequests).toHaveLength(0);
  });

  it('a PDF larger than the upstream 32 MB request limit gets a 400 naming the limit', async () => {
    const data = 'A'.repeat(33 * 1024 * 1024);
    const res = await post('/v1/messages', {
      model: MODEL,
      max_tokens: 10,
      messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data } }] }],
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/messages\.0\.content\.0\.source\.data/);
    expect(body.error.message).toMatch(/32 MB request limit \(33554432 bytes/);
    expect(s.upstream.messageRequests).toHaveLength(0);
  });
});

describe('Chat Completions file parts', () => {
  it('file_data PDF becomes a document (filename as its title), bytes unchanged', async () => {
    const pdf = tinyPdf('chat');
    const r = await s.openai.chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf}`, filename: 'invoice.pdf' } },
            { type: 'text', text: 'total?' },
          ],
        },
      ],
    });
    expect(r.choices[0].message.content).toBe('read it');
    expect(documentsIn(lastUpstream())).toEqual([
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf }, title: 'invoice.pdf' },
    ]);
  });

  it('a text/plain file becomes a text document', async () => {
    const text = 'name,qty\nwidget,3\n';
    await s.openai.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'user', content: [{ type: 'file', file: { file_data: `data:text/plain;base64,${Buffer.from(text).toString('base64')}`, filename: 'a.txt' } }] },
      ],
    });
    expect(documentsIn(lastUpstream())).toEqual([{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: text }, title: 'a.txt' }]);
  });

  it('file_id and unsupported media types are a 400 in the OpenAI error format', async () => {
    const cases: Array<[any, string, RegExp]> = [
      [{ file_id: 'file-abc' }, 'messages.0.content.0.file.file_id', /no Files API/],
      [{ file_data: 'data:application/msword;base64,0M8R4A==', filename: 'a.doc' }, 'messages.0.content.0.file.file_data', /application\/pdf, text\/plain/],
    ];
    for (const [file, param, message] of cases) {
      const err: any = await s.openai.chat.completions
        .create({ model: MODEL, messages: [{ role: 'user', content: [{ type: 'file', file }] }] })
        .catch((e: unknown) => e);
      expect(err.status).toBe(400);
      expect(err.error).toMatchObject({ type: 'invalid_request_error', param });
      expect(err.error.message).toMatch(message);
    }
    expect(s.upstream.messageRequests).toHaveLength(0);
  });
});

describe('Responses input_file', () => {
  it('file_data and an https file_url become documents, bytes unchanged', async () => {
    const pdf = tinyPdf('responses');
    const r = await s.openai.responses.create({
      model: MODEL,
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_file', file_data: `data:application/pdf;base64,${pdf}`, filename: 'spec.pdf' },
            { type: 'input_file', file_url: 'https://example.com/terms.pdf' },
            { type: 'input_text', text: 'differences?' },
          ],
        },
      ],
    });
    expect(r.output_text).toBe('read it');
    expect(documentsIn(lastUpstream())).toEqual([
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf }, title: 'spec.pdf' },
      { type: 'document', source: { type: 'url', url: 'https://example.com/terms.pdf' } },
    ]);
  });

  it('file_id, an http file_url and other media types are a 400 in the OpenAI error format', async () => {
    const cases: Array<[any, string, RegExp]> = [
      [{ type: 'input_file', file_id: 'file-abc' }, 'input.0.content.0.file_id', /no Files API/],
      [{ type: 'input_file', file_url: 'http://example.com/a.pdf' }, 'input.0.content.0.file_url', /https URL/],
      [
        { type: 'input_file', file_data: 'data:image/png;base64,iVBORw0KGgo=', filename: 'a.png' },
        'input.0.content.0.file_data',
        /'image\/png' is not supported/,
      ],
    ];
    for (const [part, param, message] of cases) {
      const err: any = await s.openai.responses.create({ model: MODEL, input: [{ role: 'user', content: [part] }] }).catch((e: unknown) => e);
      expect(err.status).toBe(400);
      expect(err.error).toMatchObject({ type: 'invalid_request_error', param });
      expect(err.error.message).toMatch(message);
    }
    expect(s.upstream.messageRequests).toHaveLength(0);
  });
});

describe('citations on answers about documents', () => {
  const citation = {
    type: 'page_location',
    cited_text: 'Revenue grew 12%.',
    document_index: 0,
    document_title: 'Report',
    start_page_number: 2,
    end_page_number: 3,
  };
  const cite = () =>
    s.upstream.setResponder(() => ({
      blocks: [
        { type: 'text', text: 'The report says ' },
        { type: 'text', text: 'revenue grew 12%', citations: [citation] },
      ],
    }));
  const ask = {
    type: 'document' as const,
    source: { type: 'base64' as const, media_type: 'application/pdf' as const, data: tinyPdf('cite') },
    citations: { enabled: true },
  };

  it('Anthropic: text blocks carry the citations as the upstream sent them, streamed and not', async () => {
    cite();
    const m = await s.anthropic.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user', content: [ask, { type: 'text', text: 'growth?' }] }],
    });
    expect(m.content).toEqual([
      { type: 'text', text: 'The report says ' },
      { type: 'text', text: 'revenue grew 12%', citations: [citation] },
    ]);
    cite();
    const final = await s.anthropic.messages
      .stream({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: [ask, { type: 'text', text: 'growth, streamed?' }] }] })
      .finalMessage();
    expect(final.content[1]).toMatchObject({ type: 'text', text: 'revenue grew 12%', citations: [citation] });
  });

  it('Chat and Responses: the cited text arrives; the citations have no shape there and are left out', async () => {
    cite();
    const chat = await s.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'file', file: { file_data: `data:application/pdf;base64,${ask.source.data}`, filename: 'r.pdf' } }] }],
    });
    expect(chat.choices[0].message.content).toBe('The report says revenue grew 12%');
    cite();
    const resp = await s.openai.responses.create({
      model: MODEL,
      input: [{ role: 'user', content: [{ type: 'input_file', file_data: `data:application/pdf;base64,${ask.source.data}`, filename: 'r.pdf' }] }],
    });
    expect(resp.output_text).toBe('The report says revenue grew 12%');
  });
});
