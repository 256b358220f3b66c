/**
 * The fetcher against a real server on a public-looking address (a network namespace,
 * see public-web-host.ts): pages, text, PDFs, the size cap, the user-agent, and redirects
 * re-checked at every hop (a redirect to loopback is refused, too many hops are refused).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPage, WebFetchError } from '../src/net/web-fetch/fetcher.js';
import { type LoopbackTrap, startLoopbackTrap, startPublicWebHost } from './public-web-host.js';

describe('web fetcher against a public-address server', () => {
  let web: Awaited<ReturnType<typeof startPublicWebHost>>;
  let local: LoopbackTrap;
  beforeAll(async () => {
    web = await startPublicWebHost();
    local = await startLoopbackTrap();
  });
  afterAll(() => {
    web?.stop();
    local?.close();
  });

  it('turns HTML into readable text with its title, naming maxproxy in the user-agent', async () => {
    const page = await fetchPage(`${web.origin}/page`);
    expect(page).toMatchObject({ kind: 'text', title: 'Kettle notes', url: `${web.origin}/page`, truncated: false });
    const text = page.kind === 'text' ? page.text : '';
    expect(text).toContain('citric acid');
    expect(text.toUpperCase()).toContain('DESCALING');
    expect(text).not.toContain('<p>');
    expect(text).not.toContain('var x');
    expect((await web.request('/page')).ua).toMatch(/maxproxy/);
  });

  it('passes text as it is, PDFs as base64, caps the size, refuses other types', async () => {
    expect(await fetchPage(`${web.origin}/plain`)).toMatchObject({ kind: 'text', text: 'plain words' });
    const pdf = await fetchPage(`${web.origin}/doc.pdf`);
    expect(pdf.kind).toBe('pdf');
    expect(Buffer.from(pdf.kind === 'pdf' ? pdf.data : '', 'base64').toString('latin1')).toMatch(/^%PDF-1\.4/);
    const big = await fetchPage(`${web.origin}/big`, { maxBytes: 1000 });
    expect(big).toMatchObject({ kind: 'text', truncated: true });
    expect(big.kind === 'text' ? big.text.length : 0).toBe(1000);
    await expect(fetchPage(`${web.origin}/image.png`)).rejects.toMatchObject({ code: 'unsupported_content_type' });
  });

  it('follows redirects, re-checking every hop: loopback and metadata targets are refused, hops are bounded', async () => {
    expect(await fetchPage(`${web.origin}/hops/3`)).toMatchObject({ kind: 'text', title: 'Kettle notes', url: `${web.origin}/page` });
    for (const target of [
      `http://127.0.0.1:${local.port}/`,
      `http://localhost:${local.port}/`,
      'http://169.254.169.254/latest/meta-data/',
      `http://[::1]:${local.port}/`,
    ]) {
      const e = await fetchPage(`${web.origin}/to?u=${encodeURIComponent(target)}`).catch((x: unknown) => x);
      expect(e, target).toBeInstanceOf(WebFetchError);
      expect((e as WebFetchError).code).toBe('url_not_accessible');
    }
    expect(local.hits()).toBe(0);
    await expect(fetchPage(`${web.origin}/hops/3`, { maxRedirects: 2 })).rejects.toMatchObject({ code: 'url_not_accessible' });
    await expect(
      fetchPage(`${web.origin}/to?u=${encodeURIComponent('https://elsewhere.example/')}`, { allowHost: (h) => h === web.address }),
    ).rejects.toMatchObject({
      code: 'url_not_allowed',
    });
  });
});
