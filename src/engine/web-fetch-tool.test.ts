import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FetchedPage, fetchPage } from '../net/web-fetch/fetcher.js';
import { loadToolsModule } from './tools-module.js';
import { inDomains, WebFetchTool } from './web-fetch-tool.js';

let hits = 0;
let port = 0;
const local = http.createServer((_req, res) => {
  hits++;
  res.end('secret');
});
beforeAll(async () => {
  await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
  port = (local.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => local.close(() => r())));

const mcp = async () => (await loadToolsModule()).mcp;

describe('WebFetchTool', () => {
  it('a loopback url is url_not_accessible for the model, kept by tool-use id, and the local server is never hit', async () => {
    const tool = new WebFetchTool({ field: 'tools.0' }, await mcp());
    const r = await tool.call(`http://127.0.0.1:${port}/`, 'toolu_01');
    expect(r.isError).toBe(true);
    expect(r.content[0].text).toMatch(/^Error url_not_accessible: /);
    expect(tool.outcome('toolu_01')).toMatchObject({ url: `http://127.0.0.1:${port}/`, error: { code: 'url_not_accessible' } });
    expect(hits).toBe(0);
  });

  it('max_uses counts per turn: the call past it is max_uses_exceeded without fetching', async () => {
    const urls: string[] = [];
    const fake = (async (url: string) => {
      urls.push(url);
      return { url, kind: 'text', mediaType: 'text/plain', text: 'ok', truncated: false } satisfies FetchedPage;
    }) as typeof fetchPage;
    const tool = new WebFetchTool({ field: 'tools.0', maxUses: 1 }, await mcp(), fake);
    expect((await tool.call('https://example.com/a', 'a')).isError).toBeUndefined();
    const over = await tool.call('https://example.com/b', 'b');
    expect(over.isError).toBe(true);
    expect(tool.outcome('b')).toMatchObject({ error: { code: 'max_uses_exceeded' } });
    expect(urls).toEqual(['https://example.com/a']);
    tool.beginTurn();
    expect((await tool.call('https://example.com/c', 'c')).isError).toBeUndefined();
  });

  it('allowed and blocked domains refuse other hosts as url_not_allowed (before any DNS)', async () => {
    const allowed = new WebFetchTool({ field: 'tools.0', allowedDomains: ['example.com'] }, await mcp());
    await allowed.call('http://other.invalid/', 'x');
    expect(allowed.outcome('x')).toMatchObject({ error: { code: 'url_not_allowed' } });
    const blocked = new WebFetchTool({ field: 'tools.0', blockedDomains: ['example.com'] }, await mcp());
    await blocked.call('http://www.example.com/', 'y');
    expect(blocked.outcome('y')).toMatchObject({ error: { code: 'url_not_allowed' } });
  });

  it('page text is cut to max_content_tokens (4 characters a token) and returned with its title and url', async () => {
    const fake = (async (url: string) => ({
      url,
      kind: 'text',
      mediaType: 'text/html',
      title: 'T',
      text: 'x'.repeat(100),
      truncated: false,
    })) as typeof fetchPage;
    const tool = new WebFetchTool({ field: 'tools.0', maxContentTokens: 5 }, await mcp(), fake);
    const r = await tool.call('https://example.com/', 'p');
    expect(r.content[0].text).toBe(`Title: T\nURL: https://example.com/\n\n${'x'.repeat(20)}`);
    expect(tool.outcome('p')).toMatchObject({ page: { text: 'x'.repeat(20), truncated: true } });
  });

  it('inDomains matches the domain and its subdomains only', () => {
    expect(inDomains('example.com', ['example.com'])).toBe(true);
    expect(inDomains('a.Example.com.', ['example.com'])).toBe(true);
    expect(inDomains('badexample.com', ['example.com'])).toBe(false);
  });
});
