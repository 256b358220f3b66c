import { describe, expect, it } from 'vitest';
import { ipLiteral, isLocalName, refusedAddress } from './address-policy.js';

describe('web fetch address policy', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '0.1.2.3',
    '255.255.255.255',
    '224.0.0.1',
    '240.0.0.1',
    '192.0.2.1',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::127.0.0.1',
    '::ffff:7f00:1',
    '64:ff9b::7f00:1',
    '2002:7f00:1::1',
    '2001:db8::1',
    '100::1',
  ])('refuses %s', (a) => {
    expect(refusedAddress(a)).toBeDefined();
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '44.0.0.2', '2606:4700:4700::1111', '::ffff:8.8.8.8', '172.32.0.1', '100.128.0.1'])('allows %s', (a) => {
    expect(refusedAddress(a)).toBeUndefined();
  });

  it('refuses what is not an address', () => {
    expect(refusedAddress('example.com')).toBeDefined();
  });

  it('sees IP literals the URL parser normalised (decimal, octal, hex, short forms, IPv6)', () => {
    for (const u of ['http://2130706433/', 'http://0177.0.0.1/', 'http://0x7f.0.0.1/', 'http://0x7f000001/', 'http://127.1/', 'http://017700000001/']) {
      const host = new URL(u).hostname;
      expect(ipLiteral(host), u).toBe('127.0.0.1');
    }
    expect(ipLiteral(new URL('http://[::ffff:127.0.0.1]/').hostname)).toBe('::ffff:7f00:1');
    expect(refusedAddress(ipLiteral(new URL('http://[::ffff:127.0.0.1]/').hostname) as string)).toBeDefined();
    expect(ipLiteral(new URL('http://[::1]:8080/').hostname)).toBe('::1');
    expect(ipLiteral('example.com')).toBeUndefined();
    expect(ipLiteral('1.2.3.4.example.com')).toBeUndefined();
  });

  it('names local host names whatever DNS says', () => {
    for (const h of ['localhost', 'localhost.', 'LOCALHOST', 'api.localhost', 'printer.local', 'metadata.google.internal', 'localhost..'])
      expect(isLocalName(h), h).toBe(true);
    for (const h of ['example.com', 'localhost.example.com', 'mylocal']) expect(isLocalName(h), h).toBe(false);
  });
});
