import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaults } from './defaults.js';
import { envOverrides, parseFlags } from './flags.js';
import { resolveConfig } from './resolve.js';

function dataDirWith(settings?: unknown): string {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-resolve-'));
  if (settings !== undefined) fs.writeFileSync(path.join(dataDir, 'settings.json'), typeof settings === 'string' ? settings : JSON.stringify(settings));
  return dataDir;
}

const resolve = (argv: string[], env: NodeJS.ProcessEnv = {}) => resolveConfig(parseFlags(argv).overrides, envOverrides(env));

describe('resolveConfig: defaults < settings.json < MAXPROXY_* env < flags', () => {
  it('defaults when there is no settings file', () => {
    const dataDir = dataDirWith();
    const { config, warnings } = resolve(['--data-dir', dataDir]);
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({ host: '127.0.0.1', port: 3456, dataDir, notifications: true, thresholds: { warn: 0.75, critical: 0.9 } });
  });

  it('web fetch is off by default; settings.json, MAXPROXY_ALLOW_WEB_FETCH or --allow-web-fetch turn it on', () => {
    expect(resolve(['--data-dir', dataDirWith()]).config.allowWebFetch).toBe(false);
    expect(resolve(['--data-dir', dataDirWith({ allowWebFetch: true })]).config.allowWebFetch).toBe(true);
    expect(resolve(['--data-dir', dataDirWith()], { MAXPROXY_ALLOW_WEB_FETCH: '1' }).config.allowWebFetch).toBe(true);
    expect(resolve(['--data-dir', dataDirWith(), '--allow-web-fetch']).config.allowWebFetch).toBe(true);
    expect(resolve(['--data-dir', dataDirWith({ allowWebFetch: 'yes' })]).warnings.join('\n')).toMatch(/allowWebFetch/);
  });

  it('settings override defaults', () => {
    const dataDir = dataDirWith({ port: 8080, idleTimeoutMs: 120_000, thresholds: { warn: 0.6, critical: 0.8 }, portPresets: [8080, 9090] });
    const { config } = resolve(['--data-dir', dataDir]);
    expect(config).toMatchObject({ port: 8080, idleTimeoutMs: 120_000, thresholds: { warn: 0.6, critical: 0.8 }, portPresets: [8080, 9090] });
  });

  it('env overrides settings, flags override env, for that run only (the file is not changed)', () => {
    const settings = { port: 8080, idleTimeoutMs: 120_000, maxQueue: 5 };
    const dataDir = dataDirWith(settings);
    const env = { MAXPROXY_PORT: '9000', MAXPROXY_IDLE_TIMEOUT_MS: '60000' };
    expect(resolve(['--data-dir', dataDir], env).config).toMatchObject({ port: 9000, idleTimeoutMs: 60_000, maxQueue: 5 });
    const { config } = resolve(['--data-dir', dataDir, '--port', '9100', '--idle-timeout-ms', '2000'], env);
    expect(config).toMatchObject({ port: 9100, idleTimeoutMs: 2000, maxQueue: 5 });
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'settings.json'), 'utf8'))).toEqual(settings);
  });

  it('model maps merge (flags win per alias)', () => {
    const dataDir = dataDirWith({ models: { fast: 'claude-haiku-4-5', big: 'claude-opus-4-1' } });
    const { config } = resolve(['--data-dir', dataDir, '--model', 'fast=claude-sonnet-5-5']);
    expect(config.models).toEqual({ fast: 'claude-sonnet-5-5', big: 'claude-opus-4-1' });
  });

  it('an invalid settings file: a warning naming the key, defaults for everything, flags still apply', () => {
    const dataDir = dataDirWith({ port: 'abc', notifications: false });
    const { config, warnings, settings } = resolve(['--data-dir', dataDir, '--idle-timeout-ms', '5000']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/`port` must be integer/);
    expect(config.port).toBe(defaults().port);
    // Nothing from the invalid file is half-used.
    expect(config.notifications).toBe(true);
    expect(config.idleTimeoutMs).toBe(5000);
    expect(settings.error).toBe(warnings[0]);
  });

  it('unknown keys are warned about and do not leak into the run', () => {
    const dataDir = dataDirWith({ headless: true, claudeEnv: { X: '1' }, port: 8081 });
    const { config, warnings } = resolve(['--data-dir', dataDir]);
    expect(warnings).toEqual([expect.stringMatching(/ignoring unknown keys `headless`, `claudeEnv`/)]);
    expect(config.headless).toBe(false);
    expect(config.claudeEnv).toEqual({});
    expect(config.port).toBe(8081);
  });

  it('refuses a non-loopback host without an API key, from settings too', () => {
    const dataDir = dataDirWith({ host: '0.0.0.0' });
    expect(() => resolve(['--data-dir', dataDir])).toThrow(/refusing to listen on 0\.0\.0\.0 without an API key/);
    expect(resolve(['--data-dir', dataDir, '--api-key', 'k'.repeat(16)]).config.host).toBe('0.0.0.0');
  });

  it('a relative --data-dir becomes absolute (login items and the lock name it from elsewhere)', () => {
    const dataDir = dataDirWith();
    const rel = path.relative(process.cwd(), dataDir);
    expect(resolve(['--data-dir', rel]).config.dataDir).toBe(dataDir);
  });

  it('MAXPROXY_DATA_DIR picks the data dir (and so the settings file) when there is no flag', () => {
    const dataDir = dataDirWith({ port: 8082 });
    expect(resolve([], { MAXPROXY_DATA_DIR: dataDir }).config).toMatchObject({ dataDir, port: 8082 });
  });
});

describe('flags', () => {
  it('rejects unknown flags and malformed numbers instead of ignoring them', () => {
    expect(() => parseFlags(['--prot', '1'])).toThrow();
    expect(() => parseFlags(['--port', '12ab'])).toThrow(/--port takes a whole number/);
    expect(() => parseFlags(['--port', '70000'])).toThrow(/at most 65535/);
    expect(() => parseFlags(['--claude-env', 'NOEQUALS'])).toThrow(/KEY=VALUE/);
    expect(() => envOverrides({ MAXPROXY_PORT: 'x' })).toThrow(/MAXPROXY_PORT must be a whole number/);
  });

  it('subcommands', () => {
    expect(parseFlags([]).command).toBe('serve');
    expect(parseFlags(['status', '--data-dir', '/x'])).toMatchObject({ command: 'status', overrides: { dataDir: '/x' } });
    expect(parseFlags(['login-item', 'enable', '--data-dir', '/x'])).toMatchObject({ command: 'login-item', args: ['enable'] });
  });
});

describe('API key and origin rules (every path)', () => {
  it('refuses a blank, short or spaced key from flags and env; settings need 8 non-space characters too', () => {
    for (const k of ['', '   ', 'short', 'has space in it']) {
      expect(() => parseFlags(['--api-key', k])).toThrow(/--api-key/);
      expect(() => envOverrides({ MAXPROXY_API_KEY: k })).toThrow(/MAXPROXY_API_KEY/);
    }
    const dataDir = dataDirWith({ apiKey: '         ' });
    expect(resolve(['--data-dir', dataDir]).warnings[0]).toMatch(/apiKey/);
  });

  it('reads the key from --api-key-file and refuses an empty file', () => {
    const dir = dataDirWith();
    fs.writeFileSync(path.join(dir, 'key'), 'file-key-0123456789\n');
    fs.writeFileSync(path.join(dir, 'empty'), '\n');
    expect(parseFlags(['--api-key-file', path.join(dir, 'key')]).overrides.apiKey).toBe('file-key-0123456789');
    expect(() => parseFlags(['--api-key-file', path.join(dir, 'empty')])).toThrow(/empty/);
    expect(() => parseFlags(['--api-key-file', path.join(dir, 'none')])).toThrow(/cannot read/);
  });

  it('refuses allowed origins without a key, from settings too', () => {
    const dataDir = dataDirWith({ allowedOrigins: ['http://app.example'] });
    expect(() => resolve(['--data-dir', dataDir])).toThrow(/refusing --allowed-origin without an API key/);
    expect(resolve(['--data-dir', dataDir, '--api-key', 'k'.repeat(16)]).config.allowedOrigins).toEqual(['http://app.example']);
  });
});

describe('usage flags', () => {
  it('--extra-usage, --client-budget (repeatable), --usage-retention-days, and their env and settings', () => {
    const o = parseFlags(['--extra-usage', 'Notify', '--client-budget', 'OpenClaw=40', '--client-budget', 'OpenAI SDK=12.5%', '--usage-retention-days', '30']);
    expect(o.overrides).toMatchObject({ extraUsage: 'notify', clientBudgets: { OpenClaw: 40, 'OpenAI SDK': 12.5 }, usageRetentionDays: 30 });
    expect(() => parseFlags(['--extra-usage', 'maybe'])).toThrow(/refuse, notify or allow/);
    expect(() => parseFlags(['--client-budget', 'OpenClaw'])).toThrow(/CLIENT=PERCENT/);
    expect(() => parseFlags(['--client-budget', 'OpenClaw=140'])).toThrow(/CLIENT=PERCENT/);
    expect(() => parseFlags(['--usage-retention-days', '0'])).toThrow(/between 1 and 3650/);
    expect(envOverrides({ MAXPROXY_EXTRA_USAGE: 'allow', MAXPROXY_CLIENT_BUDGETS: 'curl=5, Codex=10', MAXPROXY_USAGE_RETENTION_DAYS: '7' })).toEqual({
      extraUsage: 'allow',
      clientBudgets: { curl: 5, Codex: 10 },
      usageRetentionDays: 7,
    });
    expect(parseFlags(['usage', '--since', '5h', '--by', 'model', '--json'])).toMatchObject({
      command: 'usage',
      usage: { since: '5h', by: 'model', json: true },
    });
  });

  it('defaults to refuse, 90 days, no budgets; budgets merge by client name in any case', () => {
    const dataDir = dataDirWith({ clientBudgets: { openclaw: 30, curl: 5 }, extraUsage: 'notify' });
    expect(resolve(['--data-dir', dataDirWith()]).config).toMatchObject({ extraUsage: 'refuse', usageRetentionDays: 90, clientBudgets: {} });
    const c = resolve(['--data-dir', dataDir, '--client-budget', 'OpenClaw=40']).config;
    expect(c.clientBudgets).toEqual({ curl: 5, OpenClaw: 40 });
    expect(c.extraUsage).toBe('notify');
  });
});
