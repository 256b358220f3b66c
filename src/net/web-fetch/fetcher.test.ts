import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkedAddress, fetchPage, parseFetchUrl, WebFetchError } from './fetcher.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(WebFetchError);
    return (e as WebFetchError).code;
  }
  throw new Error('expected the fetch to be refused');
}

describe('web fetcher (refusals before any connection)', () => {
  let server: http.Server;
  let port = 0;
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      hits++;
      res.end('<p>secret</p>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  it('refuses a loopback server by literal, decimal, octal, hex and IPv6 forms, and localhost names', async () => {
    for (const u of [
      `http://127.0.0.1:${port}/`,
      `http://2130706433:${port}/`,
      `http://0177.0.0.1:${port}/`,
      `http://0x7f.1:${port}/`,
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://localhost:${port}/`,
      `http://localhost.:${port}/`,
      `http://a.localhost:${port}/`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00::1]/',
      'http://10.0.0.1/',
    ])
      expect(await codeOf(fetchPage(u)), u).toBe('url_not_accessible');
    expect(hits).toBe(0);
  });

  it('refuses a hostname that resolves to a private address, or to any private address among public ones', async () => {
    const resolve = async (h: string) =>
      h === 'mixed.test'
        ? [
            { address: '93.184.216.34', family: 4 },
            { address: '10.0.0.5', family: 4 },
          ]
        : [{ address: '127.0.0.1', family: 4 }];
    expect(await codeOf(fetchPage(`http://rebind.test:${port}/`, { resolve }))).toBe('url_not_accessible');
    expect(await codeOf(checkedAddress('mixed.test', resolve))).toBe('url_not_accessible');
    expect(await codeOf(checkedAddress('six.test', async () => [{ address: '::ffff:192.168.0.1', family: 6 }]))).toBe('url_not_accessible');
    expect(hits).toBe(0);
    expect(await checkedAddress('ok.test', async () => [{ address: '93.184.216.34', family: 4 }])).toEqual({ address: '93.184.216.34', family: 4 });
  });

  it('refuses a name that does not resolve', async () => {
    expect(await codeOf(checkedAddress('nx.test', async () => Promise.reject(Object.assign(new Error('nx'), { code: 'ENOTFOUND' }))))).toBe(
      'url_not_accessible',
    );
  });

  it('fetches http and https only, without credentials, within the length limit', async () => {
    expect(await codeOf(Promise.resolve().then(() => parseFetchUrl('file:///etc/passwd')))).toBe('invalid_input');
    expect(await codeOf(Promise.resolve().then(() => parseFetchUrl('gopher://example.com/')))).toBe('invalid_input');
    expect(await codeOf(Promise.resolve().then(() => parseFetchUrl('not a url')))).toBe('invalid_input');
    expect(await codeOf(Promise.resolve().then(() => parseFetchUrl('http://u:p@example.com/')))).toBe('invalid_input');
    expect(await codeOf(Promise.resolve().then(() => parseFetchUrl(`http://example.com/${'a'.repeat(2100)}`)))).toBe('url_too_long');
  });

  it('asks allowHost before resolving', async () => {
    let asked = 0;
    const resolve = async () => {
      asked++;
      return [{ address: '93.184.216.34', family: 4 }];
    };
    expect(await codeOf(fetchPage('https://blocked.example/', { allowHost: (h) => h !== 'blocked.example', resolve }))).toBe('url_not_allowed');
    expect(asked).toBe(0);
  });
});
