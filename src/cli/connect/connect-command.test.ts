import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import JSON5 from 'json5';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Config, defaults } from '../../config/defaults.js';
import { SettingsStore } from '../../config/settings.js';
import type { LoginItemStatus } from '../../desktop/login-item.js';
import { backupPath, connectCommand } from './connect-command.js';
import { staleConnections } from './port-moved.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');

let root: string;
let config: Config;
let settings: SettingsStore;
let out: string;
let err: string;
const disabled: LoginItemStatus = { enabled: false, mechanism: null, path: null, upToDate: false, entries: [] };

const run = (args: string[], flags: Record<string, unknown> = {}, loginItem = disabled) =>
  connectCommand(args, flags, {
    config,
    settings,
    env: {},
    home: path.join(root, 'home'),
    io: { out: (t) => void (out += t), err: (t) => void (err += t) },
    loginItem: async () => loginItem,
  });

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-connect-'));
  config = { ...defaults(), dataDir: path.join(root, 'data'), port: 45_991 };
  settings = new SettingsStore(config.dataDir);
  out = '';
  err = '';
});

describe('maxproxy connect', () => {
  it('writes OpenClaw at its usual place, remembers it, says what it did, and changes nothing the second time', async () => {
    const file = path.join(root, 'home', '.openclaw', 'openclaw.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const original = fs.readFileSync(path.join(testdata, 'openclaw.json5'), 'utf8');
    fs.writeFileSync(file, original);
    expect(await run(['openclaw'], { setDefault: true })).toBe(0);
    const cfg = JSON5.parse(fs.readFileSync(file, 'utf8'));
    expect(cfg.models.providers.maxproxy.baseUrl).toBe('http://127.0.0.1:45991/v1');
    expect(cfg.agents.defaults.model).toEqual({ primary: 'maxproxy/sonnet', fallbacks: [] });
    expect(fs.readFileSync(backupPath(file), 'utf8')).toBe(original);
    expect(out).toMatch(/maxproxy is not running/);
    expect(out).toMatch(/no fallbacks/);
    expect(out).toMatch(/does not start at login.*maxproxy login-item enable/);
    expect(settings.get().connections).toEqual({
      openclaw: { config: file, api: 'openai', previousDefault: { primary: 'anthropic/claude-opus-4-6', fallbacks: ['openai/gpt-5.4-mini'] } },
    });

    const written = fs.readFileSync(file, 'utf8');
    const mtime = fs.statSync(file).mtimeMs;
    out = '';
    expect(await run(['openclaw'], { setDefault: true }, { ...disabled, enabled: true, mechanism: 'systemd', upToDate: true })).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(written);
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
    expect(out).toMatch(/already up to date; nothing changed/);
    expect(out).toMatch(/starts at login \(systemd\), restarted after a crash/);
  });

  it('--remove after --set-default puts the earlier default back', async () => {
    const file = path.join(root, 'openclaw.json');
    const original = fs.readFileSync(path.join(testdata, 'openclaw.json'), 'utf8');
    fs.writeFileSync(file, original);
    await run(['openclaw'], { config: file, setDefault: true });
    await run(['openclaw'], { config: file, setDefault: true, defaultModel: 'opus' });
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).agents.defaults.model).toEqual({ primary: 'maxproxy/opus', fallbacks: [] });
    expect(settings.get().connections?.openclaw?.previousDefault).toBe('anthropic/claude-opus-4-6');
    out = '';
    expect(await run(['openclaw'], { config: file, remove: true })).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(original);
    expect(out).toMatch(/anthropic\/claude-opus-4-6 again/);
  });

  it('--dry-run prints the diff and writes nothing', async () => {
    const file = path.join(root, 'oc.jsonc');
    const original = fs.readFileSync(path.join(testdata, 'opencode.jsonc'), 'utf8');
    fs.writeFileSync(file, original);
    expect(await run(['opencode'], { config: file, dryRun: true })).toBe(0);
    expect(out).toContain(`--- ${file}`);
    expect(out).toMatch(/^\+ {4}"maxproxy": \{$/m);
    expect(fs.readFileSync(file, 'utf8')).toBe(original);
    expect(fs.existsSync(backupPath(file))).toBe(false);
    expect(settings.get().connections).toBeUndefined();
  });

  it('--remove takes it out again (and the Codex profile with it) and forgets the connection', async () => {
    const file = path.join(root, 'codex', 'config.toml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const original = fs.readFileSync(path.join(testdata, 'codex.toml'), 'utf8');
    fs.writeFileSync(file, original);
    expect(await run(['codex'], { config: file })).toBe(0);
    expect(fs.readFileSync(path.join(root, 'codex', 'maxproxy.config.toml'), 'utf8')).toMatch(/model_provider = "maxproxy"/);
    expect(await run(['codex'], { config: file, remove: true })).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(original);
    expect(fs.existsSync(path.join(root, 'codex', 'maxproxy.config.toml'))).toBe(false);
    expect(settings.get().connections).toBeUndefined();
  });

  it('leaves a config it cannot parse untouched and names the line', async () => {
    const file = path.join(root, 'openclaw.json');
    const broken = '{\n  gateway: { mode: "local" },\n  models: { providers: { x: [1, 2 } },\n}\n';
    fs.writeFileSync(file, broken);
    expect(await run(['openclaw'], { config: file })).toBe(1);
    expect(err).toContain(`${file}:3:`);
    expect(err).toMatch(/left untouched/);
    expect(fs.readFileSync(file, 'utf8')).toBe(broken);
    expect(fs.existsSync(backupPath(file))).toBe(false);
  });

  it('without a tool name updates every tool connected before (after a port move)', async () => {
    const oc = path.join(root, 'opencode.json');
    const cx = path.join(root, 'config.toml');
    await run(['opencode'], { config: oc });
    await run(['codex'], { config: cx });
    const connections = settings.get().connections!;
    expect(staleConnections(connections, 'http://127.0.0.1:45991')).toEqual([]);
    config.port = 45_992;
    expect(staleConnections(connections, 'http://127.0.0.1:45992').map((f) => f.id)).toEqual(['opencode', 'codex']);
    expect(await run([])).toBe(0);
    expect(staleConnections(connections, 'http://127.0.0.1:45992')).toEqual([]);
  });

  it('refuses unknown tools and bad --api values', async () => {
    expect(await run(['cursor'])).toBe(2);
    expect(err).toMatch(/unknown tool "cursor"/);
    expect(await run(['openclaw'], { api: 'grpc' })).toBe(2);
    expect(await run([])).toBe(2);
  });
});
