/**
 * Hardening of the process side against the real daemon and CLI (issue 13): a failed
 * tool-module load is retried, the reaper spares processes that are not provably ours,
 * no pid file survives a clean stop, a busy CLI dies with a SIGKILLed daemon, and a
 * shutdown that runs out of grace ends streams with their API's error event.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, anthropicStreamSummary, openaiStreamSummary, post } from './fault-kit.js';
import { childClaudePids, daemonCommand, MockUpstream, startProxy, tempDir, waitFor } from './harness.js';
import type { RecordedRequest } from './mock-upstream.js';

const HOOK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'emfile-once.mjs');
let upstream: MockUpstream;

beforeAll(async () => {
  upstream = await new MockUpstream().start();
});
afterAll(async () => {
  await upstream?.stop();
});

const tools = [{ type: 'function', function: { name: 'get_time', description: 'Local time', parameters: { type: 'object', properties: {} } } }];
const hasToolResult = (r: RecordedRequest) => JSON.stringify(r.body.messages.at(-1)).includes('tool_result');

describe('descriptor exhaustion is a moment, not a verdict (defect 2)', () => {
  it('EMFILE while loading the tool bridge answers a retryable 503; the next tools requests succeed', async () => {
    const proxy = await startProxy({
      upstream,
      args: ['--warm-spares', '0'],
      command: daemonCommand(['--import', HOOK]),
    });
    upstream.reset();
    upstream.setResponder((r) =>
      hasToolResult(r)
        ? { blocks: [{ type: 'text', text: 'ok' }] }
        : { blocks: [{ type: 'tool_use', id: 'toolu_emfile_1', name: 'mcp__client__get_time', input: {} }] },
    );
    try {
      const body = { model: 'sonnet', tools, messages: [{ role: 'user', content: 'what time is it?' }] };
      // Two injected failures: the MCP SDK's require, then the bridge's import().
      for (let i = 0; i < 2; i++) {
        const r = await post(proxy, '/v1/chat/completions', body);
        expect(r.status).toBe(503);
        expect(r.headers.get('retry-after')).toBe('5');
        expect((await r.json()).error).toMatchObject({ type: 'service_unavailable', code: 'resources_exhausted' });
      }
      const ok = await post(proxy, '/v1/chat/completions', body);
      expect(ok.status).toBe(200);
      const j = await ok.json();
      expect(j.choices[0].message.tool_calls[0].function.name).toBe('get_time');
      expect(upstream.messageRequests.at(-1)!.body.tools.map((t: any) => t.name)).toEqual(['mcp__client__get_time']);
      const count = await post(proxy, '/v1/messages/count_tokens', {
        model: 'sonnet',
        tools: [{ name: 'get_time', input_schema: { type: 'object' } }],
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(count.status).toBe(200);
      expect((await count.json()).input_tokens).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
    }
  }, 180_000);
});

describe('the reaper and pid files (defect 3)', () => {
  it('leaves no pid file after a clean SIGTERM', async () => {
    for (let i = 0; i < 3; i++) {
      const proxy = await startProxy({ upstream });
      upstream.reset();
      const r = await post(proxy, '/v1/chat/completions', { model: 'sonnet', messages: [{ role: 'user', content: `hello ${i}` }] });
      expect(r.status).toBe(200);
      // A live session and a warm spare are running when the stop comes.
      expect(fs.readdirSync(path.join(proxy.dataDir, 'pids')).length).toBeGreaterThan(0);
      expect(await proxy.stop('SIGTERM')).toBe(0);
      expect(fs.readdirSync(path.join(proxy.dataDir, 'pids'))).toEqual([]);
    }
  }, 240_000);

  it('a process merely named like ours, whose pid was recorded, survives start-up', async () => {
    const dataDir = tempDir();
    const decoy = spawn('bash', ['-c', 'exec -a my-own-claude-session sleep 900'], { detached: true, stdio: 'ignore' });
    try {
      await waitFor(() => fs.readFileSync(`/proc/${decoy.pid}/cmdline`, 'utf8').startsWith('my-own-claude-session'));
      fs.mkdirSync(path.join(dataDir, 'pids'), { recursive: true });
      const claude = '/opt/some/where/claude';
      fs.writeFileSync(path.join(dataDir, 'pids', String(decoy.pid)), JSON.stringify({ pid: decoy.pid, command: claude, startedAt: Date.now() }));
      const proxy = await startProxy({ upstream, dataDir, args: ['--warm-spares', '0'] });
      await proxy.stop();
      expect(alive(decoy.pid!)).toBe(true);
      expect(fs.existsSync(path.join(dataDir, 'pids', String(decoy.pid)))).toBe(false);
    } finally {
      process.kill(-decoy.pid!, 'SIGKILL');
    }
  }, 120_000);
});

describe('a busy CLI dies with its daemon (defect 4)', () => {
  it.each(['pdeathsig', 'watchdog'])(
    '%s: the CLI in a turn is gone within 2 s of a daemon SIGKILL',
    async (mode) => {
      const proxy = await startProxy({ upstream, args: ['--warm-spares', '0'], env: mode === 'watchdog' ? { MAXPROXY_PARENT_DEATH: 'watchdog' } : {} });
      upstream.reset();
      upstream.setResponder(() => ({ kind: 'stall', afterText: 'thinking about it' }));
      const abort = new AbortController();
      const pending = post(
        proxy,
        '/v1/chat/completions',
        { model: 'sonnet', stream: true, messages: [{ role: 'user', content: 'a long one' }] },
        { signal: abort.signal },
      )
        .then((r) => r.text())
        .catch(() => '');
      try {
        await waitFor(() => upstream.messageRequests.length > 0, 60_000, 100);
        const cli = childClaudePids(proxy.child.pid!);
        expect(cli).toHaveLength(1);
        proxy.child.kill('SIGKILL');
        const t0 = Date.now();
        await waitFor(() => !alive(cli[0]), 2_000, 20);
        expect(Date.now() - t0).toBeLessThanOrEqual(2_100);
      } finally {
        abort.abort();
        await pending;
        // (stop() waits for an exit that, after the SIGKILL above, has already happened)
        if (proxy.child.exitCode === null && proxy.child.signalCode === null) await proxy.stop();
        upstream.reset();
      }
    },
    120_000,
  );
});

describe('a shutdown that runs out of grace (smaller item)', () => {
  it('ends each cut stream with its API error event', async () => {
    const proxy = await startProxy({ upstream, args: ['--warm-spares', '0', '--shutdown-grace-ms', '1500'] });
    upstream.reset();
    upstream.setResponder(() => ({ kind: 'stall', afterText: 'partial' }));
    try {
      const chat = post(proxy, '/v1/chat/completions', { model: 'sonnet', stream: true, messages: [{ role: 'user', content: 'cut chat' }] }).then((r) =>
        r.text(),
      );
      const msgs = post(proxy, '/v1/messages', { model: 'sonnet', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'cut messages' }] }).then(
        (r) => r.text(),
      );
      await waitFor(() => upstream.messageRequests.length >= 2, 60_000, 100);
      await new Promise((r) => setTimeout(r, 500));
      const stopped = proxy.stop('SIGTERM');
      const c = openaiStreamSummary(await chat);
      expect(c.text).toBe('partial');
      expect(c.error).toMatchObject({ type: 'service_unavailable', code: 'shutting_down' });
      const m = anthropicStreamSummary(await msgs);
      expect(m.text).toBe('partial');
      expect(m.error).toMatchObject({ type: 'api_error' });
      expect(m.error.message).toMatch(/shutting down/);
      expect(await stopped).toBe(0);
    } finally {
      await proxy.stop();
      upstream.reset();
    }
  }, 120_000);
});
