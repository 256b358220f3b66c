/**
 * Named client keys end to end (docs/decisions/090): keys made with `maxproxy keys add`,
 * the real daemon and Claude Code CLI against the mock upstream (which reports window
 * utilisation), the official SDKs as clients. Covers 401 (unknown, revoked), 403 (model),
 * 429 (budget, with retry-after), /v1/models filtered, on all three APIs; two clients with
 * the same User-Agent and different keys; a User-Agent spoofer; keys never in the log.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerRows, MAIN, type RunningProxy, startProxy, tempDir, waitFor } from './harness.js';
import { MockUpstream, unifiedRateLimitHeaders } from './mock-upstream.js';

const run = promisify(execFile);

async function keys(dataDir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [MAIN, 'keys', ...args, '--data-dir', dataDir], { timeout: 60_000 });
  return stdout;
}
const keyIn = (out: string): string => /(mp-\S+)/.exec(out)![1];

describe('client keys', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;
  const k: Record<string, string> = {};
  const now = Math.floor(Date.now() / 1000);
  const reset5h = now + 5 * 3600 - 600;
  const reset7d = now + 7 * 86400 - 600;
  let served = 0;

  beforeAll(async () => {
    upstream = await new MockUpstream().start();
    upstream.setResponder(() => {
      served++;
      return {
        blocks: [{ type: 'text', text: `answer ${served}` }],
        usage: { input_tokens: 100, output_tokens: 20 },
        headers: unifiedRateLimitHeaders({ utilization5h: served * 0.05, utilization7d: served / 100, reset5h, reset7d }),
      };
    });
    const dataDir = tempDir('maxproxy-keys-');
    fs.mkdirSync(path.join(dataDir, 'usage'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'usage', 'meta.json'), JSON.stringify({ createdAt: Date.now() - 3_600_000, version: 1 }));
    k.alpha = keyIn(await keys(dataDir, 'add', 'alpha', '--budget', '8'));
    k.beta = keyIn(await keys(dataDir, 'add', 'beta'));
    k.gamma = keyIn(await keys(dataDir, 'add', 'gamma', '--models', 'haiku'));
    k.rev = keyIn(await keys(dataDir, 'add', 'rev'));
    const st = fs.statSync(path.join(dataDir, 'keys.json'));
    expect(st.mode & 0o777).toBe(0o600);
    const file = fs.readFileSync(path.join(dataDir, 'keys.json'), 'utf8');
    for (const key of Object.values(k)) {
      expect(key).toMatch(/^mp-[a-z]+-[A-Za-z0-9]{32}$/);
      expect(file).not.toContain(key);
    }
    proxy = await startProxy({ upstream, auth: 'oauth', dataDir, args: ['--log-level', 'trace'] });
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
    await upstream?.stop();
  });

  const oa = (apiKey: string, headers: Record<string, string> = {}) => new OpenAI({ baseURL: proxy.baseURL, apiKey, maxRetries: 0, defaultHeaders: headers });
  const an = (apiKey: string) => new Anthropic({ baseURL: proxy.url, apiKey, maxRetries: 0 });
  const chat = (c: OpenAI, model = 'sonnet') => c.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
  const resp = (c: OpenAI, model = 'sonnet') => c.responses.create({ model, input: 'hi' });
  const msg = (c: Anthropic, model = 'sonnet') => c.messages.create({ model, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });

  it('401 for an unknown key on all three APIs and /v1/models, before anything reaches the upstream', async () => {
    const fake = `mp-alpha-${'x'.repeat(32)}`;
    const before = upstream.messageRequests.length;
    for (const e of [
      await chat(oa(fake)).catch((x) => x),
      await resp(oa(fake)).catch((x) => x),
      await oa(fake)
        .models.list()
        .catch((x) => x),
    ]) {
      expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(e.status).toBe(401);
      expect(e.message).toContain('unknown client key');
      expect(e.message).not.toContain(fake);
    }
    for (const e of [
      await msg(an(fake)).catch((x) => x),
      await an(fake)
        .models.list()
        .catch((x) => x),
    ]) {
      expect(e).toBeInstanceOf(Anthropic.AuthenticationError);
      expect(e.status).toBe(401);
    }
    expect(upstream.messageRequests.length).toBe(before);
  });

  it('403 for a model the key may not use, on all three APIs; /v1/models lists only its models', async () => {
    const before = upstream.messageRequests.length;
    for (const e of [await chat(oa(k.gamma)).catch((x) => x), await resp(oa(k.gamma)).catch((x) => x)]) {
      expect(e).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(e.status).toBe(403);
      expect(e.message).toContain('may not use the model');
    }
    const m = await msg(an(k.gamma)).catch((x) => x);
    expect(m).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(upstream.messageRequests.length).toBe(before);
    const listed = (await oa(k.gamma).models.list()).data.map((x) => x.id);
    expect(listed).toEqual(['haiku']);
    const listedA = (await an(k.gamma).models.list()).data.map((x) => x.id);
    expect(listedA).toEqual(['haiku']);
    // The master-less daemon still lists everything to unkeyed clients.
    expect((await oa('unused').models.list()).data.length).toBeGreaterThan(1);
  });

  it('two clients with the same User-Agent get separate budgets; a spoofed User-Agent does not escape the key; 429 on all three APIs', async () => {
    // Both are "OpenAI SDK" by User-Agent; the key decides who they are.
    const a1 = await chat(oa(k.alpha));
    expect(a1.choices[0].message.content).toMatch(/answer/);
    await waitFor(() => ledgerRows(proxy.dataDir).filter((r) => r.c === 'alpha').length === 1, 20_000);
    const a2 = await resp(oa(k.alpha, { 'user-agent': 'opencode/1.0' }));
    expect(a2.output_text).toMatch(/answer/);
    await waitFor(() => ledgerRows(proxy.dataDir).filter((r) => r.c === 'alpha').length === 2, 20_000);
    const before = upstream.messageRequests.length;
    // alpha has 10% of the window, over its 8%: refused on every API, whatever it calls itself.
    for (const e of [
      await chat(oa(k.alpha)).catch((x) => x),
      await chat(oa(k.alpha, { 'user-agent': 'beta/1.0' })).catch((x) => x),
      await resp(oa(k.alpha)).catch((x) => x),
    ]) {
      expect(e).toBeInstanceOf(OpenAI.RateLimitError);
      expect(e.error).toMatchObject({ code: 'client_budget_exceeded' });
      const ra = Number(e.headers.get('retry-after'));
      expect(ra).toBeGreaterThan(5 * 3600 - 600 - 300);
      expect(ra).toBeLessThanOrEqual(5 * 3600 - 600);
    }
    const m = await msg(an(k.alpha)).catch((x) => x);
    expect(m).toBeInstanceOf(Anthropic.RateLimitError);
    expect(Number(m.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(m.message).toContain('alpha has used 10.0% of the current 5-hour window');
    expect(upstream.messageRequests.length).toBe(before);
    // beta, same SDK and User-Agent, is not affected.
    const b = await chat(oa(k.beta));
    expect(b.choices[0].message.content).toMatch(/answer/);
    // An unkeyed client naming itself after a key is labelled apart.
    const u = await chat(oa('unused', { 'user-agent': 'alpha/2.0' }));
    expect(u.choices[0].message.content).toMatch(/answer/);
    await waitFor(() => ledgerRows(proxy.dataDir).length === 4, 20_000);
    expect(ledgerRows(proxy.dataDir).map((r) => r.c)).toEqual(['alpha', 'alpha', 'beta', 'alpha (no key)']);

    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(metrics).toMatch(/maxproxy_turns_total\{client="alpha",[^}]*\} 2/);
    const { stdout } = await run(process.execPath, [MAIN, 'usage', '--json', '--by', 'client', '--data-dir', proxy.dataDir], { timeout: 60_000 });
    const groups = Object.fromEntries(JSON.parse(stdout).groups.map((g: any) => [g.key, g.turns]));
    expect(groups).toMatchObject({ alpha: 2, beta: 1 });
    const listed = JSON.parse(await keys(proxy.dataDir, 'list', '--json')).keys;
    expect(listed.find((x: any) => x.name === 'alpha')).toMatchObject({ state: 'active', budgetPercent: 8, usage: { turns: 2, fiveHour: 0.1 } });
    expect(JSON.stringify(listed)).not.toMatch(/"hash"/);
  }, 240_000);

  it('a revoked key is refused on the very next request, in a live conversation too; rotate replaces a key', async () => {
    const c = oa(k.rev);
    const first = await chat(c);
    const history = [
      { role: 'user' as const, content: 'hi' },
      { role: 'assistant' as const, content: first.choices[0].message.content ?? '' },
    ];
    await keys(proxy.dataDir, 'revoke', 'rev');
    const before = upstream.messageRequests.length;
    const e = await c.chat.completions.create({ model: 'sonnet', messages: [...history, { role: 'user', content: 'again' }] }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(e.error).toMatchObject({ code: 'revoked_api_key' });
    const ea = await msg(an(k.rev)).catch((x) => x);
    expect(ea).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(upstream.messageRequests.length).toBe(before);

    const fresh = keyIn(await keys(proxy.dataDir, 'rotate', 'beta'));
    expect(fresh).not.toBe(k.beta);
    expect(await chat(oa(k.beta)).catch((x) => x)).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((await chat(oa(fresh))).choices[0].message.content).toMatch(/answer/);
    k.beta2 = fresh;
  }, 240_000);

  it('require keys (set on the dashboard at run time): unkeyed requests get 401 naming `maxproxy keys add`', async () => {
    const set = await fetch(`${proxy.url}/dashboard/api/settings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requireKeys: true }),
    });
    expect(set.status).toBe(200);
    const e = await chat(oa('unused')).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(e.message).toContain('maxproxy keys add');
    const ea = await msg(an('unused')).catch((x) => x);
    expect(ea).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((await chat(oa(k.beta2))).choices[0].message.content).toMatch(/answer/);
    expect((await fetch(`${proxy.url}/health`)).status).toBe(200);
  }, 120_000);

  it('no key appears in doctor output, even with a connected config holding one', async () => {
    const home = tempDir('maxproxy-keys-home-');
    const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
    await run(process.execPath, [MAIN, 'connect', 'opencode', '--data-dir', proxy.dataDir], { env, timeout: 60_000 });
    const cfg = fs.readFileSync(path.join(home, '.config', 'opencode', 'opencode.json'), 'utf8');
    const written = /"(mp-opencode-[A-Za-z0-9]{32})"/.exec(cfg)![1];
    const r = await run(process.execPath, [MAIN, 'doctor', '--json', '--data-dir', proxy.dataDir], { env, timeout: 120_000 }).catch((e) => e);
    const out = `${r.stdout}${r.stderr}`;
    expect(out).toContain('"checks"');
    expect(out).toContain('opencode');
    for (const key of [...Object.values(k), written]) expect(out).not.toContain(key.slice(3));
    k.opencode = written;
  }, 180_000);

  it('no key appears in the log (run at --log-level trace)', async () => {
    const logDir = path.join(proxy.dataDir, 'logs');
    await waitFor(() => fs.existsSync(path.join(logDir, 'maxproxy.log')), 10_000);
    const log = fs.readFileSync(path.join(logDir, 'maxproxy.log'), 'utf8') + proxy.output();
    expect(log).toContain('"client":"alpha"');
    for (const key of Object.values(k)) expect(log).not.toContain(key.slice(3));
  });
});
