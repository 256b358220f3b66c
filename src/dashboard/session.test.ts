import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { crossOriginReason } from './guard.js';
import { DashboardSessions, readCookie, SESSION_COOKIE } from './session.js';

const KEY = 'sk-dashboard-unit-0123456789';

/** The Set-Cookie a login answers with, and a request carrying that cookie back. */
function loginOnce(s: DashboardSessions, key: string) {
  const headers: Record<string, string> = {};
  const ok = s.login(key, { setHeader: (k: string, v: string) => void (headers[k.toLowerCase()] = v) } as unknown as Response);
  const cookie = headers['set-cookie'];
  const token = cookie ? cookie.split(';')[0] : '';
  return { ok, cookie, req: { headers: { cookie: `other=1; ${token}` } } as unknown as Request };
}

describe('readCookie', () => {
  it('finds one cookie among several, trimmed', () => {
    expect(readCookie('a=1; maxproxy_dashboard=abc ; b=2', SESSION_COOKIE)).toBe('abc');
    expect(readCookie('xmaxproxy_dashboard=abc', SESSION_COOKIE)).toBeUndefined();
    expect(readCookie(undefined, SESSION_COOKIE)).toBeUndefined();
  });
});

describe('DashboardSessions', () => {
  it('a right key opens an httpOnly, SameSite=Strict session whose token is not the key', () => {
    const s = new DashboardSessions(KEY);
    const { ok, cookie, req } = loginOnce(s, KEY);
    expect(ok).toBe(true);
    expect(cookie).toMatch(/^maxproxy_dashboard=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
    expect(cookie).not.toContain(KEY);
    expect(s.valid(req)).toBe(true);
  });

  it('a wrong key opens nothing; ten wrong keys in a minute throttle logins', () => {
    let t = 1_000_000;
    const s = new DashboardSessions(KEY, () => t);
    for (let i = 0; i < 9; i++) expect(loginOnce(s, `wrong-${i}`).ok).toBe(false);
    expect(s.throttled()).toBe(false);
    expect(loginOnce(s, KEY.slice(0, -1)).cookie).toBeUndefined();
    expect(s.throttled()).toBe(true);
    t += 61_000;
    expect(s.throttled()).toBe(false);
  });

  it('an unknown or forged token is not a session; logout ends one', () => {
    const s = new DashboardSessions(KEY);
    expect(s.valid({ headers: { cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` } } as unknown as Request)).toBe(false);
    const { req } = loginOnce(s, KEY);
    const out: Record<string, string> = {};
    s.logout(req, { setHeader: (k: string, v: string) => void (out[k] = v) } as unknown as Response);
    expect(out['Set-Cookie']).toContain('Max-Age=0');
    expect(s.valid(req)).toBe(false);
  });

  it('a session unused for a week is forgotten; use keeps it alive', () => {
    let t = 0;
    const s = new DashboardSessions(KEY, () => t);
    const { req } = loginOnce(s, KEY);
    t += 6 * 24 * 3_600_000;
    expect(s.valid(req)).toBe(true);
    t += 6 * 24 * 3_600_000;
    expect(s.valid(req)).toBe(true);
    t += 8 * 24 * 3_600_000;
    expect(s.valid(req)).toBe(false);
  });
});

describe('crossOriginReason', () => {
  const req = (headers: Record<string, string>) => ({ headers: { host: '127.0.0.1:3456', ...headers } }) as unknown as Request;
  it('lets the page’s own origin and non-browser clients through', () => {
    expect(crossOriginReason(req({}), { navigation: false })).toBeUndefined();
    expect(crossOriginReason(req({ origin: 'http://127.0.0.1:3456', 'sec-fetch-site': 'same-origin' }), { navigation: false })).toBeUndefined();
  });
  it('refuses another port, another name for the same host, and same-site requests', () => {
    expect(crossOriginReason(req({ origin: 'http://127.0.0.1:8080' }), { navigation: false })).toMatch(/served to its own origin only/);
    expect(crossOriginReason(req({ origin: 'http://localhost:3456' }), { navigation: false })).toMatch(/Origin "http:\/\/localhost:3456"/);
    expect(crossOriginReason(req({ origin: 'null' }), { navigation: false })).toBeDefined();
    expect(crossOriginReason(req({ 'sec-fetch-site': 'same-site' }), { navigation: false })).toMatch(/"same-site" request/);
    expect(crossOriginReason(req({ 'sec-fetch-site': 'none' }), { navigation: false })).toBeDefined();
  });
  it('opens the page itself from any navigation, but not with a foreign Origin', () => {
    expect(crossOriginReason(req({ 'sec-fetch-site': 'cross-site' }), { navigation: true })).toBeUndefined();
    expect(crossOriginReason(req({ origin: 'https://evil.example' }), { navigation: true })).toBeDefined();
  });
});
