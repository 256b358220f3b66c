/**
 * `maxproxy connect` read back by the real clients' own config loaders: opencode 1.18.33
 * (`opencode debug config`, `opencode models maxproxy`) and Codex CLI 0.171.0
 * (`codex doctor --json`), both installed on demand into the test-client cache (docs/decisions/097). OpenClaw cannot
 * run here (2026.9.6 refuses to install on Node < 24.16); its file is read with json5
 * 2.2.3, the parser and version OpenClaw 2026.9.6 itself reads openclaw.json with.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import JSON5 from 'json5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL_TIMEOUT_MS, type InstalledClient, installClient } from './clients/install-client.js';
import { MAIN, MockUpstream, ROOT, type RunningProxy, startProxy, tempDir, waitFor } from './harness.js';

const testdata = path.join(ROOT, 'src', 'cli', 'connect', 'testdata');

let upstream: MockUpstream;
let proxy: RunningProxy;
let served: string[];
let opencode: InstalledClient;
let codex: InstalledClient;

/** The tools' environment: their own home, nothing of ours that would redirect them. */
function toolEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, OPENCODE_DISABLE_AUTOUPDATE: '1', OPENCODE_DISABLE_MODELS_FETCH: '1', ...extra };
  for (const k of [
    'XDG_CONFIG_HOME',
    'XDG_DATA_HOME',
    'XDG_STATE_HOME',
    'XDG_CACHE_HOME',
    'CODEX_HOME',
    'OPENCODE_CONFIG',
    'OPENCLAW_CONFIG_PATH',
    'OPENCLAW_STATE_DIR',
  ])
    if (!(k in extra)) delete env[k];
  return env;
}

const connect = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  execFileSync(process.execPath, [MAIN, 'connect', ...args, '--data-dir', proxy.dataDir], { env, encoding: 'utf8', timeout: 60_000 });

/** The key connect wrote works, and the turn it pays for is the tool's, by the key's name (decision 090). */
async function keyedTurn(key: string, name: string): Promise<void> {
  expect(key).toMatch(new RegExp(`^mp-${name}-[A-Za-z0-9]{32}$`));
  const r = await fetch(`${proxy.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'user-agent': 'something-else/1.0' },
    body: JSON.stringify({ model: 'sonnet', messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(r.status).toBe(200);
  await waitFor(async () => ((await (await fetch(`${proxy.url}/status`)).json()) as any).ledger?.lastTurn?.client === name, 20_000);
}

beforeAll(async () => {
  opencode = await installClient('opencode');
  codex = await installClient('codex');
}, 2 * INSTALL_TIMEOUT_MS);

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({ upstream, auth: 'oauth' });
  const r = await fetch(`${proxy.baseURL}/models`);
  served = ((await r.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

describe('opencode reads what connect wrote', () => {
  it('sees the maxproxy provider with every served model, and the rest of the config as it was', async (ctx) => {
    if (!opencode.ok) return ctx.skip(opencode.reason);
    const home = tempDir('maxproxy-opencode-');
    const file = path.join(home, '.config', 'opencode', 'opencode.jsonc');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const original = fs.readFileSync(path.join(testdata, 'opencode.jsonc'), 'utf8');
    fs.writeFileSync(file, original);
    const env = toolEnv(home);
    expect(connect(env, 'opencode')).toContain(`opencode: connected ${file}`);

    const project = tempDir('maxproxy-opencode-project-');
    const shown = JSON.parse(execFileSync(opencode.bin, ['debug', 'config'], { env, cwd: project, encoding: 'utf8', timeout: 120_000 }));
    expect(shown.provider.maxproxy.npm).toBe('@ai-sdk/openai-compatible');
    expect(shown.provider.maxproxy.options.baseURL).toBe(proxy.baseURL);
    expect(Object.keys(shown.provider.maxproxy.models)).toEqual(served);
    // opencode shows the key masked; the file holds it.
    expect(shown.provider.maxproxy.options.apiKey).not.toMatch(/^mp-/);
    await keyedTurn(JSON5.parse(fs.readFileSync(file, 'utf8')).provider.maxproxy.options.apiKey, 'opencode');
    // A second run reuses the key the config holds.
    expect(connect(env, 'opencode')).toContain('already up to date');
    // Everything else as the user wrote it.
    expect(shown.autoupdate).toBe(false);
    expect(shown.model).toBe('ollama/qwen3:8b');
    expect(shown.provider.ollama.models['qwen3:8b'].name).toBe('Qwen3 8B');
    expect(shown.mcp.context7.url).toBe('https://mcp.context7.com/mcp');

    const listed = execFileSync(opencode.bin, ['models', 'maxproxy'], { env, cwd: project, encoding: 'utf8', timeout: 180_000 });
    // Every model the daemon serves (the aliases and what the pinned Claude Code reports).
    expect(served).toEqual(expect.arrayContaining(['sonnet', 'opus', 'haiku']));
    for (const id of served) expect(listed.split('\n')).toContain(`maxproxy/${id}`);

    connect(env, 'opencode', '--remove');
    expect(fs.readFileSync(file, 'utf8')).toBe(original);
  }, 400_000);
});

describe('Codex reads what connect wrote', () => {
  it('loads the config with maxproxy as its provider and model, and reaches the daemon over HTTP', async (ctx) => {
    if (!codex.ok) return ctx.skip(codex.reason);
    const home = tempDir('maxproxy-codex-');
    const codexHome = path.join(home, '.codex');
    fs.mkdirSync(codexHome, { recursive: true });
    const original = fs.readFileSync(path.join(testdata, 'codex.toml'), 'utf8');
    fs.writeFileSync(path.join(codexHome, 'config.toml'), original);
    const env = toolEnv(home);
    expect(connect(env, 'codex', '--set-default', '--default-model', 'opus')).toContain('Codex now uses maxproxy by default, model opus.');

    const r = spawnSync(codex.bin, ['doctor', '--json'], { env, cwd: home, encoding: 'utf8', input: '', timeout: 180_000 });
    const report = JSON.parse(r.stdout) as { checks: Record<string, { status: string; summary: string; details: Record<string, string> }> };
    const load = report.checks['config.load'];
    expect(load.status).toBe('ok');
    expect(load.details['config.toml parse']).toBe('ok');
    expect(load.details['model provider']).toBe('maxproxy');
    expect(load.details.model).toBe('opus');
    expect(JSON.stringify(report.checks['network.provider_reachability'].details)).toContain(`maxproxy API`);
    const token = /experimental_bearer_token = "([^"]+)"/.exec(fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8'))![1];
    await keyedTurn(token, 'codex');

    // --set-default replaced the user's model; --remove puts it back where it was.
    expect(connect(env, 'codex', '--remove')).toContain('default is model gpt-5.5 again');
    expect(fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8')).toBe(original);
    expect(fs.existsSync(path.join(codexHome, 'maxproxy.config.toml'))).toBe(false);
  }, 400_000);
});

describe('OpenClaw file (read with json5 2.2.3, as OpenClaw 2026.9.6 reads it)', () => {
  it('routes the agents through maxproxy with no fallback after --set-default', async () => {
    const home = tempDir('maxproxy-openclaw-');
    const file = path.join(home, '.openclaw', 'openclaw.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(path.join(testdata, 'openclaw.json5'), file);
    const out = connect(toolEnv(home), 'openclaw', '--set-default');
    expect(out).toContain('maxproxy/sonnet with no fallbacks');
    const cfg = JSON5.parse(fs.readFileSync(file, 'utf8'));
    expect(cfg.models.providers.maxproxy).toMatchObject({ baseUrl: proxy.baseURL, api: 'openai-completions' });
    expect(cfg.models.providers.maxproxy.models.map((m: { id: string }) => m.id)).toEqual(served);
    expect(cfg.agents.defaults.model).toEqual({ primary: 'maxproxy/sonnet', fallbacks: [] });
    expect(cfg.gateway.auth.token).toBe('replace-me');
    await keyedTurn(cfg.models.providers.maxproxy.apiKey, 'openclaw');
    // --no-key: the placeholder of before.
    connect(toolEnv(home), 'openclaw', '--no-key');
    expect(JSON5.parse(fs.readFileSync(file, 'utf8')).models.providers.maxproxy.apiKey).toBe('maxproxy');
  }, 120_000);
});
