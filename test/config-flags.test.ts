/**
 * The issue-5 options, each as a flag, a MAXPROXY_* variable and a settings.json key,
 * verified by their effect on the real daemon (not by reading the config back), with
 * flag > env > settings. And SIGTERM: in-flight streams finish within the grace, exit 0.
 *
 *   --api-key            MAXPROXY_API_KEY            apiKey
 *   --max-concurrent     MAXPROXY_MAX_CONCURRENT     maxConcurrent
 *   --max-queue          MAXPROXY_MAX_QUEUE          maxQueue
 *   --idle-timeout-ms    MAXPROXY_IDLE_TIMEOUT_MS    idleTimeoutMs
 *   --max-body-bytes     MAXPROXY_MAX_BODY_BYTES     maxBodyBytes
 *   --allowed-origin     MAXPROXY_ALLOWED_ORIGINS    allowedOrigins
 *   --shutdown-grace-ms  MAXPROXY_SHUTDOWN_GRACE_MS  shutdownGraceMs
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBody, expectNoChildren, expectSettled, health, openaiStreamSummary, post, rawRequest, readUntil, slowWords } from './fault-kit.js';
import { MockUpstream, type RunningProxy, startProxy, tempDir, waitFor } from './harness.js';
import { lastUserText } from './mock-upstream.js';

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await new MockUpstream().start();
  upstream.setResponder((req) => {
    const t = lastUserText(req.body);
    if (t.startsWith('stall')) return { kind: 'stall' };
    if (t.startsWith('slow')) return slowWords(40, 200);
    return { blocks: [{ type: 'text', text: `echo: ${t}` }] };
  });
});
afterAll(async () => {
  await upstream?.stop();
});

interface Values {
  apiKey: string;
  maxConcurrent: number;
  maxQueue: number;
  idleTimeoutMs: number;
  maxBodyBytes: number;
  allowedOrigins: string[];
  shutdownGraceMs: number;
}

/** What a run must show; the loser values are chosen so that honouring them would fail every check. */
const winner = (tag: string): Values => ({
  apiKey: `${tag}-key-0123456789`,
  maxConcurrent: 1,
  maxQueue: 1,
  idleTimeoutMs: 2500,
  maxBodyBytes: 4096,
  allowedOrigins: [`http://${tag}.example`],
  shutdownGraceMs: 1500,
});
const loser = (tag: string): Values => ({
  apiKey: `${tag}-key-0123456789`,
  maxConcurrent: 4,
  maxQueue: 8,
  idleTimeoutMs: 600_000,
  maxBodyBytes: 1_000_000,
  allowedOrigins: [`http://${tag}.example`],
  shutdownGraceMs: 60_000,
});

const asFlags = (v: Values) => [
  '--api-key',
  v.apiKey,
  '--max-concurrent',
  String(v.maxConcurrent),
  '--max-queue',
  String(v.maxQueue),
  '--idle-timeout-ms',
  String(v.idleTimeoutMs),
  '--max-body-bytes',
  String(v.maxBodyBytes),
  ...v.allowedOrigins.flatMap((o) => ['--allowed-origin', o]),
  '--shutdown-grace-ms',
  String(v.shutdownGraceMs),
];
const asEnv = (v: Values): NodeJS.ProcessEnv => ({
  MAXPROXY_API_KEY: v.apiKey,
  MAXPROXY_MAX_CONCURRENT: String(v.maxConcurrent),
  MAXPROXY_MAX_QUEUE: String(v.maxQueue),
  MAXPROXY_IDLE_TIMEOUT_MS: String(v.idleTimeoutMs),
  MAXPROXY_MAX_BODY_BYTES: String(v.maxBodyBytes),
  MAXPROXY_ALLOWED_ORIGINS: v.allowedOrigins.join(','),
  MAXPROXY_SHUTDOWN_GRACE_MS: String(v.shutdownGraceMs),
});
const withSettings = (v: Values): string => {
  const dataDir = tempDir();
  fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify(v));
  return dataDir;
};

/**
 * Checks every option's effect on a running daemon, then stops it with SIGTERM during a
 * stream that outlasts the grace. `others` are keys/origins of the losing sources.
 */
async function probe(proxy: RunningProxy, want: Values, others: Values[]): Promise<void> {
  upstream.requests.length = 0;
  const auth = { authorization: `Bearer ${want.apiKey}` };
  // apiKey: the winner's key opens, the others' do not.
  expect((await rawRequest(proxy.port, { path: '/v1/models' })).status).toBe(401);
  expect((await rawRequest(proxy.port, { path: '/v1/models', headers: auth })).status).toBe(200);
  for (const o of others) expect((await rawRequest(proxy.port, { path: '/v1/models', headers: { authorization: `Bearer ${o.apiKey}` } })).status).toBe(401);

  // allowedOrigins: a preflight from the winner's origin is answered, the others' refused.
  const preflight = (origin: string) =>
    rawRequest(proxy.port, { method: 'OPTIONS', path: '/v1/chat/completions', headers: { origin, 'access-control-request-method': 'POST' } });
  const pre = await preflight(want.allowedOrigins[0]);
  expect(pre.status).toBe(204);
  expect(pre.headers['access-control-allow-origin']).toBe(want.allowedOrigins[0]);
  for (const o of others) expect((await preflight(o.allowedOrigins[0])).status).toBe(403);

  // maxBodyBytes: 4096 → a 6 KB body is too large, a 3 KB one is read.
  const sized = (n: number) => JSON.stringify({ model: 'claude-sonnet-4-6', messages: [], pad: 'x'.repeat(n) });
  const big = await rawRequest(proxy.port, {
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { ...auth, 'content-type': 'application/json' },
    body: sized(6000),
  });
  expect(big.status).toBe(413);
  const small = await rawRequest(proxy.port, {
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { ...auth, 'content-type': 'application/json' },
    body: sized(3000),
  });
  expect(small.status).toBe(400);

  // maxConcurrent 1, maxQueue 1, idleTimeoutMs 2500: A stalls and runs, B waits, C is refused;
  // the watchdog ends A (504) well before the losers' 10 minutes, then B is served.
  const a = post(proxy, '/v1/chat/completions', chatBody('stall A'), { headers: auth, signal: AbortSignal.timeout(30_000) });
  await waitFor(() => upstream.messageRequests.some((r) => lastUserText(r.body) === 'stall A'), 20_000);
  const b = post(proxy, '/v1/chat/completions', chatBody('B waits'), { headers: auth, signal: AbortSignal.timeout(60_000) });
  await waitFor(async () => (await health(proxy, auth)).requests.queued === 1, 10_000);
  expect((await health(proxy, auth)).requests).toMatchObject({ active: 1, queued: 1 });
  const c = await post(proxy, '/v1/chat/completions', chatBody('C refused'), { headers: auth });
  expect(c.status).toBe(503);
  expect(c.headers.get('retry-after')).toBeTruthy();
  const ra = await a;
  expect(ra.status).toBe(504);
  expect((await ra.json()).error.code).toBe('inactivity_timeout');
  const rb = await b;
  expect(rb.status).toBe(200);
  expect((await rb.json()).choices[0].message.content).toBe('echo: B waits');
  await expectSettled(proxy, { headers: auth });

  // shutdownGraceMs 1500: SIGTERM during an 8 s stream cuts it after the grace, exit 0.
  const s = await post(proxy, '/v1/chat/completions', chatBody('slow stream', { stream: true }), { headers: auth });
  const part = await readUntil(s, (t) => t.includes('w1 '));
  const pid = proxy.child.pid!;
  const t0 = Date.now();
  const stopped = proxy.stop('SIGTERM');
  const raw = await part.rest();
  expect(await stopped).toBe(0);
  expect(Date.now() - t0).toBeLessThan(6_000);
  expect(openaiStreamSummary(raw).text).not.toContain('w39 ');
  await expectNoChildren(pid);
}

describe('each option works as a flag, an env variable and a setting', () => {
  it('as flags', async () => {
    const v = winner('flag');
    const proxy = await startProxy({ upstream, args: asFlags(v) });
    await probe(proxy, v, [loser('env'), loser('settings')]);
  }, 90_000);

  it('as MAXPROXY_* environment variables', async () => {
    const v = winner('env');
    const proxy = await startProxy({ upstream, env: asEnv(v) });
    await probe(proxy, v, [loser('flag'), loser('settings')]);
  }, 90_000);

  it('as settings.json keys in the data dir', async () => {
    const v = winner('settings');
    const proxy = await startProxy({ upstream, dataDir: withSettings(v) });
    await probe(proxy, v, [loser('flag'), loser('env')]);
  }, 90_000);

  it('env wins over settings', async () => {
    const v = winner('env');
    const proxy = await startProxy({ upstream, dataDir: withSettings(loser('settings')), env: asEnv(v) });
    await probe(proxy, v, [loser('settings')]);
  }, 90_000);

  it('the flag wins over env and settings', async () => {
    const v = winner('flag');
    const proxy = await startProxy({ upstream, dataDir: withSettings(loser('settings')), env: asEnv(loser('env')), args: asFlags(v) });
    await probe(proxy, v, [loser('env'), loser('settings')]);
  }, 90_000);

  it.each([
    [['--max-concurrent', '0'], {}, /--max-concurrent must be between 1 and 64/],
    [['--idle-timeout-ms', '5'], {}, /--idle-timeout-ms must be between 1000/],
    [['--max-body-bytes', '0'], {}, /--max-body-bytes must be between 1024/],
    [[], { MAXPROXY_MAX_CONCURRENT: '0' }, /MAXPROXY_MAX_CONCURRENT must be between 1 and 64/],
    [['--max-queue', 'lots'], {}, /--max-queue takes a whole number/],
  ] as Array<[string[], NodeJS.ProcessEnv, RegExp]>)('refuses a value that cannot work: %j %j', async (args, env, message) => {
    const err = await startProxy({ upstream, args, env }).then(
      async (p) => {
        await p.stop('SIGKILL');
        return 'started';
      },
      (e: Error) => e.message,
    );
    expect(err).toMatch(message);
  });
});

describe('SIGTERM', () => {
  it('lets an in-flight stream finish within the grace, refuses new connections meanwhile, then exits 0 with nothing left running', async () => {
    const proxy = await startProxy({ upstream, args: ['--shutdown-grace-ms', '30000'] });
    const pid = proxy.child.pid!;
    const s = await post(proxy, '/v1/chat/completions', chatBody('slow but finishing', { stream: true }));
    const part = await readUntil(s, (t) => t.includes('w1 '));
    const stopped = proxy.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const refused = await post(proxy, '/v1/chat/completions', chatBody('too late')).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(refused).toBe('refused');
    const raw = await part.rest();
    const summary = openaiStreamSummary(raw);
    expect(summary.text).toBe(Array.from({ length: 40 }, (_, i) => `w${i} `).join(''));
    expect(summary.done).toBe(true);
    expect(await stopped).toBe(0);
    await expectNoChildren(pid);
  }, 60_000);

  it('exits cleanly (0) even when it arrives right after start-up', async () => {
    const proxy = await startProxy({ upstream });
    const pid = proxy.child.pid!;
    expect(await proxy.stop('SIGTERM')).toBe(0);
    await expectNoChildren(pid);
  });
});
