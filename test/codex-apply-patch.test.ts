/**
 * The real Codex CLI (0.171.0) edits a file on disk through maxproxy with its freeform
 * `apply_patch` tool: `codex exec` against a custom provider pointing at the test proxy,
 * the upstream (the mock) answering with an apply_patch call whose input is a valid patch.
 *
 * Codex sends `apply_patch` as a `custom` tool for models its catalog marks
 * `apply_patch_tool_type: "freeform"`. A custom provider's model gets its entry from the
 * file `model_catalog_json` names; the entry used here is Codex's own `gpt-5.5` entry from
 * the catalog bundled in its binary, under our model's name (docs/decisions/183).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledCatalog, codexNative, INSTALL_TIMEOUT_MS, type InstalledClient, installClient } from './clients/install-client.js';
import { MockUpstream, type RunningProxy, startProxy, tempDir } from './harness.js';

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
    const launcher = codex.bin;
    const native = codexNative(codex);
    const home = tempDir('maxproxy-codex-home-');
    const codexHome = path.join(home, '.codex');
    fs.mkdirSync(codexHome, { recursive: true });
    const work = tempDir('maxproxy-codex-work-');
    fs.writeFileSync(path.join(work, 'hello.txt'), 'hello\n');

    const base = bundledCatalog(native).models.find((m) => m.slug === 'gpt-5.5');
    expect(base?.apply_patch_tool_type).toBe('freeform');
    const catalog = path.join(codexHome, 'catalog.json');
    fs.writeFileSync(catalog, JSON.stringify({ models: [{ ...base, slug: MODEL, display_name: MODEL, prefer_websockets: false }] }));
    fs.writeFileSync(
      path.join(codexHome, 'config.toml'),
      [
        `model = "${MODEL}"`,
        'model_provider = "maxproxy"',
        `model_catalog_json = ${JSON.stringify(catalog)}`,
        'approval_policy = "never"',
        'sandbox_mode = "danger-full-access"',
        'check_for_update_on_startup = false',
        '',
        '[model_providers.maxproxy]',
        'name = "maxproxy"',
        `base_url = "${proxy.baseURL}"`,
        'wire_api = "responses"',
        '',
      ].join('\n'),
    );

    upstream.enqueue(
      { blocks: [{ type: 'tool_use', id: 'toolu_codex_patch', name: 'mcp__client__apply_patch', input: { input: PATCH } }] },
      { blocks: [{ type: 'text', text: 'hello.txt is patched.' }] },
    );
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CODEX_HOME: codexHome };
    for (const k of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'XDG_CONFIG_HOME']) delete env[k];
    // Asynchronously: the mock upstream lives in this process, so a synchronous spawn would
    // freeze it and the CLI's request would never be answered.
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        launcher,
        ['exec', '--skip-git-repo-check', '--json', '-C', work, 'Append ", patched by apply_patch" to hello.txt'],
        { env, cwd: work, encoding: 'utf8', timeout: 400_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });
    const diagnostics = `status ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr?.slice(-4000)}`;

    // The file on disk changed.
    expect(fs.readFileSync(path.join(work, 'hello.txt'), 'utf8'), diagnostics).toBe('hello, patched by apply_patch\n');
    expect(r.status, diagnostics).toBe(0);
    // What Codex received: its final message, after a file change it made itself.
    const events = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
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
