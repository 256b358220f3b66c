/**
 * The usage ledger end to end: the real daemon and Claude Code CLI under a
 * subscription-style credential (CLAUDE_CODE_OAUTH_TOKEN), the mock upstream sending the
 * unified rate-limit headers. Asserts the stored rows, the attribution of window rises to
 * two clients, a client budget, `maxproxy usage --json` with the daemon running and
 * stopped, /status and /metrics, that no prompt or answer text is stored, and that a
 * SIGKILL during 20 streams loses no finished turn.
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
const MARKER = 'SECRET-PROMPT-7731';

async function usageJson(dataDir: string, ...args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, [MAIN, 'usage', '--json', '--data-dir', dataDir, ...args], { timeout: 60_000 });
  return JSON.parse(stdout);
}

/** A ledger that has been recording for an hour, so the current windows began while it recorded. */
function seasonedDataDir(): string {
  const dataDir = tempDir('maxproxy-usage-');
  fs.mkdirSync(path.join(dataDir, 'usage'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'usage', 'meta.json'), JSON.stringify({ createdAt: Date.now() - 3_600_000, version: 1 }));
  return dataDir;
}

describe('usage ledger: rows, shares of two clients, a budget, maxproxy usage', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;
  const now = Math.floor(Date.now() / 1000);
  const reset5h = now + 5 * 3600 - 600; // the window began ten minutes ago
  const reset7d = now + 7 * 86400 - 600;
  let served = 0;

  beforeAll(async () => {
    upstream = await new MockUpstream().start();
    // Each answer moves the 5-hour window by 5 points and the week by 1; the second is past a warning threshold.
    upstream.setResponder(() => {
      served++;
      return {
        blocks: [{ type: 'text', text: `answer ${served} ${MARKER}` }],
        usage: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 50 },
        headers: unifiedRateLimitHeaders({
          utilization5h: Math.round(served * 5) / 100,
          utilization7d: served / 100,
          reset5h,
          reset7d,
          ...(served === 2 ? { surpassedThreshold5h: 0.1 } : {}),
        }),
      };
    });
    proxy = await startProxy({ upstream, auth: 'oauth', dataDir: seasonedDataDir(), args: ['--client-budget', 'openai sdk=8'] });
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await upstream?.stop();
  });

  it('records each turn, attributes the windows, and stops only the client over its budget', async () => {
    const openai = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'unused', maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
    const a1 = await openai.chat.completions.create({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: `one ${MARKER}` }] });
    expect(a1.choices[0].message.content).toContain('answer 1');
    const stream = await openai.chat.completions.create({ model: 'claude-sonnet-5-5', stream: true, messages: [{ role: 'user', content: `two ${MARKER}` }] });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toContain('answer 2');
    const m = await anthropic.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user', content: `three ${MARKER}` }] });
    expect(m.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('answer 3') });
    await waitFor(() => ledgerRows(proxy.dataDir).length === 3, 10_000);

    // OpenAI SDK has 10% of the 5-hour window, over its 8% budget: refused before any upstream request.
    const before = upstream.messageRequests.length;
    const refused = await openai.chat.completions.create({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'four' }] }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(5 * 3600 - 600 - 120);
    expect(retryAfter).toBeLessThanOrEqual(5 * 3600 - 600);
    expect(refused.error).toMatchObject({ type: 'rate_limit_error', code: 'client_budget_exceeded' });
    expect(refused.message).toContain('OpenAI SDK has used 10.0% of the current 5-hour window, over its budget of 8%');
    expect(upstream.messageRequests.length).toBe(before);
    // Another client keeps working.
    const m2 = await anthropic.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user', content: `five ${MARKER}` }] });
    expect(m2.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('answer 4') });
    await waitFor(() => ledgerRows(proxy.dataDir).length === 4, 10_000);

    const rows = ledgerRows(proxy.dataDir);
    expect(rows.map((r) => [r.c, r.p, r.o, r.b, r.h, r.w])).toEqual([
      ['OpenAI SDK', 'chat.completions', 'ok', 'p', [0.05, reset5h], [0.01, reset7d]],
      ['OpenAI SDK', 'chat.completions', 'ok', 'p', [0.1, reset5h], [0.02, reset7d]],
      ['Anthropic SDK', 'messages', 'ok', 'p', [0.15, reset5h], [0.03, reset7d]],
      ['Anthropic SDK', 'messages', 'ok', 'p', [0.2, reset5h], [0.04, reset7d]],
    ]);
    for (const r of rows) {
      expect(r.u).toEqual([100, 20, 50, 0]);
      expect(r.m).toBe('claude-sonnet-5-5');
      expect(r.M).toMatch(/^claude-sonnet-5-5/);
      expect(r.s).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.d).toBeGreaterThan(0);
    }
    // No prompt or answer text anywhere in the store.
    for (const f of fs.readdirSync(path.join(proxy.dataDir, 'usage'))) {
      const body = fs.readFileSync(path.join(proxy.dataDir, 'usage', f), 'utf8');
      expect(body).not.toContain(MARKER);
      expect(body).not.toContain('answer');
    }

    const j = await usageJson(proxy.dataDir, '--since', '1h');
    expect(j.by).toBe('client');
    expect(j.windows).toEqual({
      fiveHour: { utilization: 0.2, resetsAt: new Date(reset5h * 1000).toISOString() },
      weekly: { utilization: 0.04, resetsAt: new Date(reset7d * 1000).toISOString() },
    });
    const byKey = Object.fromEntries(j.groups.map((g: any) => [g.key, g]));
    expect(Object.keys(byKey).sort()).toEqual(['Anthropic SDK', 'OpenAI SDK']);
    for (const k of ['Anthropic SDK', 'OpenAI SDK']) {
      expect(byKey[k]).toEqual({
        key: k,
        turns: 2,
        inputTokens: 200,
        outputTokens: 40,
        cacheReadInputTokens: 100,
        cacheCreationInputTokens: 0,
        totalTokens: 340,
        extraUsageTurns: 0,
        fiveHourShare: 0.1,
        weeklyShare: 0.02,
      });
    }
    const byPath = await usageJson(proxy.dataDir, '--by', 'path', '--since', new Date(Date.now() - 3_600_000).toISOString());
    expect(byPath.groups.map((g: any) => [g.key, g.turns])).toEqual([['plan', 4]]);

    // /status and `maxproxy status`: billing path of the last turn, top clients with the budget.
    const status = await (await fetch(`${proxy.url}/status`)).json();
    expect(status.ledger).toMatchObject({
      lastTurn: { billing: 'plan', client: 'Anthropic SDK' },
      extraUsageTurnsToday: 0,
      turnsToday: 4,
      extraUsagePolicy: 'refuse',
    });
    expect(status.ledger.topClients.map((c: any) => [c.client, c.fiveHour, c.budgetPercent])).toEqual([
      ['Anthropic SDK', 0.1, undefined],
      ['OpenAI SDK', 0.1, 8],
    ]);
    expect(status.usage.fiveHour).toMatchObject({ utilization: 0.2, resetsAt: reset5h });
    const { stdout } = await run(process.execPath, [MAIN, 'status', '--data-dir', proxy.dataDir], { timeout: 60_000 });
    expect(stdout).toContain('Last turn billed to: plan (Anthropic SDK');
    expect(stdout).toContain('Top clients (share of the 5-hour window): Anthropic SDK 10.0%, OpenAI SDK 10.0% (budget 8%)');

    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(metrics).toMatch(/maxproxy_turns_total\{client="OpenAI SDK",model="claude-sonnet-5-5[^"]*",billing="plan",status="ok"\} 2/);
    expect(metrics).toMatch(/maxproxy_turn_tokens_total\{client="Anthropic SDK",model="claude-sonnet-5-5[^"]*",billing="plan",type="output"\} 40/);

    // With the daemon stopped, the same answer from the files.
    await proxy.stop();
    const after = await usageJson(proxy.dataDir, '--since', '1h');
    expect(after.groups).toEqual(j.groups);
    const table = await run(process.execPath, [MAIN, 'usage', '--data-dir', proxy.dataDir, '--since', '24h'], { timeout: 60_000 });
    expect(table.stdout).toMatch(/OpenAI SDK\s+2\s+200\s+40\s+100\s+0\s+10\.0%\s+2\.0%\s+-/);
  }, 300_000);
});

describe('usage ledger: SIGKILL while 20 streams run', () => {
  let upstream: MockUpstream;
  const proxies: RunningProxy[] = [];

  beforeAll(async () => {
    upstream = await new MockUpstream().start();
    const reset = Math.floor(Date.now() / 1000) + 3600;
    upstream.setResponder(() => ({
      blocks: [{ type: 'text', text: ['a', 'b', 'c', 'd', 'e', 'f'] }],
      delayMs: 150,
      usage: { input_tokens: 10, output_tokens: 6 },
      headers: unifiedRateLimitHeaders({ utilization5h: 0.3, reset5h: reset }),
    }));
  });

  afterAll(async () => {
    // The killed one has exited already (its Claude Code processes were reaped by the restart).
    for (const p of proxies) if (p.child.exitCode === null && p.child.signalCode === null) await p.stop();
    await upstream?.stop();
  });

  it('every turn that finished a second before the kill is in the ledger; the store opens; the daemon serves', async () => {
    const proxy = await startProxy({ upstream, auth: 'oauth', args: ['--max-concurrent', '4'] });
    proxies.push(proxy);
    const finished = new Map<string, number>();
    const streams = Array.from({ length: 20 }, async (_, i) => {
      const id = `kill-test-${i}`;
      try {
        const r = await fetch(`${proxy.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': id },
          body: JSON.stringify({ model: 'claude-sonnet-5-5', stream: true, messages: [{ role: 'user', content: `stream ${i}` }] }),
        });
        const body = await r.text();
        if (r.status === 200 && body.includes('[DONE]')) finished.set(id, Date.now());
      } catch {
        /* killed mid-stream */
      }
    });
    await waitFor(() => finished.size >= 8, 240_000, 100);
    const killedAt = Date.now();
    proxy.child.kill('SIGKILL');
    await Promise.all(streams);
    expect(finished.size).toBeLessThan(20);

    const ids = new Set(ledgerRows(proxy.dataDir).map((r) => r.r));
    const settled = [...finished].filter(([, at]) => at < killedAt - 1000).map(([id]) => id);
    expect(settled.length).toBeGreaterThanOrEqual(4);
    for (const id of settled) expect(ids, `${id} finished before the kill`).toContain(id);
    // Nothing unfinished is claimed as answered.
    for (const r of ledgerRows(proxy.dataDir)) if (r.o === 'ok') expect(finished.has(r.r), `${r.r} ok in the ledger`).toBe(true);

    // Restart on the same data dir: the store opens, the daemon serves and records.
    const again = await startProxy({ upstream, auth: 'oauth', dataDir: proxy.dataDir });
    proxies.push(again);
    const r = await fetch(`${again.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'after-restart' },
      body: JSON.stringify({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'after' }] }),
    });
    expect(r.status).toBe(200);
    await waitFor(() => ledgerRows(again.dataDir).some((x) => x.r === 'after-restart'), 10_000);
    const j = await usageJson(again.dataDir, '--since', '1h', '--by', 'path');
    expect(j.groups.reduce((n: number, g: any) => n + g.turns, 0)).toBe(ledgerRows(again.dataDir).length);
  }, 400_000);
});
