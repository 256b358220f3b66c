import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codexExec } from './clients/codex-exec.js';
import { INSTALL_TIMEOUT_MS, type InstalledClient, installClient } from './clients/install-client.js';
import { MockUpstream, type RunningProxy, startProxy } from './harness.js';

const MODEL = 'sonnet';
const PATCH = '*** Begin Patch\n*** Update File: hello.txt\n@@\n-hello\n+hello, patched by apply_patch\n*** End Patch\n';

let upstream: MockUpstream;
let proxy: RunningProxy;
let codex: InstalledClient;

// Installed on demand into the test-client cache (docs/decisions/097).
beforeAll(async () => {
  codex = await installClient('codex');
}, INSTALL_TIMEOUT_MS);

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({ upstream, auth: 'oauth', args: ['--idle-timeout-ms', '120000'] });
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

describe('codex exec through maxproxy', () => {
  it('edits a file on disk with the freeform apply_patch tool', async (ctx) => {
    if (!codex.ok) return ctx.skip(codex.reason);
    upstream.enqueue(
      { blocks: [{ type: 'tool_use', id: 'toolu_codex_patch', name: 'mcp__client__apply_patch', input: { input: PATCH } }] },
      { blocks: [{ type: 'text', text: 'hello.txt is patched.' }] },
    );
    const r = await codexExec(codex, {
      baseURL: proxy.baseURL,
      model: MODEL,
      prompt: 'Append ", patched by apply_patch" to hello.txt',
      sandbox: 'danger-full-access',
      files: { 'hello.txt': 'hello\n' },
    });
    const { diagnostics, events, work } = r;
    expect(r.catalogEntry?.apply_patch_tool_type).toBe('freeform');

    // The file on disk changed.
    expect(fs.readFileSync(path.join(work, 'hello.txt'), 'utf8'), diagnostics).toBe('hello, patched by apply_patch\n');
    expect(r.status, diagnostics).toBe(0);
    // What Codex received: its final message, after a file change it made itself.
    expect(
      events.some((e) => e.item?.type === 'file_change'),
      diagnostics,
    ).toBe(true);
    expect(
      events.some((e) => e.item?.type === 'agent_message' && e.item.text === 'hello.txt is patched.'),
      diagnostics,
    ).toBe(true);

    // What the upstream got: the tool with one string input and the grammar in its description…
    const first = upstream.messageRequests[0].body;
    const offered = first.tools.find((t: any) => t.name === 'mcp__client__apply_patch');
    expect(offered.input_schema).toMatchObject({ type: 'object', properties: { input: { type: 'string' } }, required: ['input'] });
    expect(offered.description).toContain('Lark grammar');
    expect(offered.description).toContain('*** Begin Patch');
    // …and, on the next request, the tool_result carrying Codex's own output.
    const second = upstream.messageRequests.at(-1)!.body;
    const result = second.messages
      .flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
      .find((b: any) => b.type === 'tool_result' && b.tool_use_id === 'toolu_codex_patch');
    const resultText = typeof result?.content === 'string' ? result.content : (result?.content ?? []).map((c: any) => c.text ?? '').join('');
    expect(resultText, diagnostics).toContain('hello.txt');
  }, 500_000);
});
