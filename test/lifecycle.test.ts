/**
 * The daemon as a whole: health, models, login state, restarts that keep
 * conversations, and no Claude Code process left behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childClaudePids, clientTexts, MockUpstream, sleep, startProxy, tempDir, waitFor } from './harness.js';

let upstream: MockUpstream;

beforeAll(async () => {
  upstream = await new MockUpstream().start();
});
afterAll(async () => {
  await upstream?.stop();
});

describe('daemon', () => {
  it('serves /health and /v1/models, and picks a free port with --port 0', async () => {
    const proxy = await startProxy({ upstream });
    try {
      expect(proxy.port).toBeGreaterThan(0);
      const h = await (await fetch(`${proxy.url}/health`)).json();
      expect(h.status).toBe('ok');
      expect(h.claude.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(h.claude.path).toContain('claude');
      expect(typeof h.uptimeSeconds).toBe('number');
      expect(h.requests).toMatchObject({ active: 0, queued: 0 });
      const client = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'x' });
      const models = await client.models.list();
      const ids = models.data.map((m) => m.id);
      expect(ids).toEqual(expect.arrayContaining(['opus', 'sonnet', 'haiku', 'claude-sonnet-5-5']));
    } finally {
      await proxy.stop();
    }
  });

  it('answers 401 telling the user to log in when Claude Code has no credentials', async () => {
    const proxy = await startProxy({ upstream, auth: 'none' });
    try {
      const client = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'x', maxRetries: 0 });
      const e = await client.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] }).catch((x) => x);
      expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(e.message).toMatch(/maxproxy login/);
      expect(upstream.messageRequests.filter((r) => r.at > Date.now() - 60_000 && JSON.stringify(r.body).includes('"hi"'))).toHaveLength(0);
      const h = await (await fetch(`${proxy.url}/health`)).json();
      expect(h.claude.login).toBe('not_logged_in');
    } finally {
      await proxy.stop();
    }
  });

  it('keeps a conversation across a restart (session map + the CLI transcript) and leaves no process behind', async () => {
    const dataDir = tempDir();
    let proxy = await startProxy({ upstream, dataDir, args: ['--warm-spares', '0'] });
    const client1 = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'x' });
    const a1 = (await client1.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'remember 7' }] })).choices[0].message
      .content!;
    const firstSession = upstream.messageRequests.at(-1)!.headers['x-claude-code-session-id'];
    const pid = proxy.child.pid!;
    expect(childClaudePids(pid).length).toBeGreaterThan(0);
    expect(await proxy.stop()).toBe(0);
    await waitFor(() => childClaudePids(pid).length === 0, 10_000);
    expect(fs.existsSync(path.join(dataDir, 'sessions.json'))).toBe(true);

    proxy = await startProxy({ upstream, dataDir });
    try {
      const client2 = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'x' });
      const r = await client2.chat.completions.create({
        model: 'claude-sonnet-4-6',
        messages: [
          { role: 'user', content: 'remember 7' },
          { role: 'assistant', content: a1 },
          { role: 'user', content: 'what number?' },
        ],
      });
      expect(r.choices[0].message.content).toBe('echo: what number?');
      const last = upstream.messageRequests.at(-1)!;
      // Resumed the same CLI session from its own transcript, not a rebuilt copy.
      expect(last.headers['x-claude-code-session-id']).toBe(firstSession);
      expect(last.body.messages.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user']);
      expect(last.body.messages.flatMap((m: any) => clientTexts(m.content))).toEqual(['remember 7', a1, 'what number?']);
    } finally {
      await proxy.stop();
    }
  });

  it('refuses a second daemon on the same data dir and says where the first runs', async () => {
    const dataDir = tempDir();
    const proxy = await startProxy({ upstream, dataDir });
    try {
      const second = await startProxy({ upstream, dataDir }).then(
        (p) => p.stop().then(() => 'started'),
        (e: Error) => e.message,
      );
      expect(second).toContain('already running');
      expect(second).toContain(proxy.url);
    } finally {
      await proxy.stop();
    }
  });

  it('ends the CLI process of a client that disconnects mid-stream', async () => {
    const proxy = await startProxy({ upstream, args: ['--warm-spares', '0'] });
    try {
      upstream.enqueue({ blocks: [{ type: 'text', text: Array.from({ length: 40 }, (_, i) => `w${i} `) }], delayMs: 100 });
      const ctrl = new AbortController();
      const res = await fetch(`${proxy.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', stream: true, messages: [{ role: 'user', content: 'long answer' }] }),
        signal: ctrl.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      const pid = proxy.child.pid!;
      expect(childClaudePids(pid).length).toBe(1);
      ctrl.abort();
      await waitFor(() => childClaudePids(pid).length === 0, 5_000);
      await sleep(100);
      expect(childClaudePids(pid)).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  it('starts a new conversation on a warm spare of the same shape, and keeps one parked', async () => {
    const proxy = await startProxy({ upstream, args: ['--warm-spares', '1'] });
    try {
      const client = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'x' });
      const ask = (content: string) =>
        client.chat.completions.create({
          model: 'claude-sonnet-4-6',
          messages: [
            { role: 'system', content: 'Shape A' },
            { role: 'user', content },
          ],
        });
      await ask('first conversation');
      await waitFor(async () => (await (await fetch(`${proxy.url}/health`)).json()).warmSpares === 1);
      const pid = proxy.child.pid!;
      const served = (await (await fetch(`${proxy.url}/status`)).json()).sessions.map((s: any) => s.pid);
      const spare = childClaudePids(pid).filter((p) => !served.includes(p));
      expect(spare).toHaveLength(1);
      const r = await ask('second conversation');
      expect(r.choices[0].message.content).toBe('echo: second conversation');
      const sessions = (await (await fetch(`${proxy.url}/status`)).json()).sessions;
      // The second conversation ran in the process that was parked before it arrived.
      expect(sessions.map((s: any) => s.pid)).toContain(spare[0]);
      expect(systemTextOf(upstream.messageRequests.at(-1)!.body)).toContain('Shape A');
      await waitFor(async () => (await (await fetch(`${proxy.url}/health`)).json()).warmSpares === 1);
    } finally {
      await proxy.stop();
    }
  });
});

const systemTextOf = (body: any): string => (typeof body.system === 'string' ? body.system : body.system.map((b: any) => b.text).join('\n'));
