import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SettingsStore } from './settings.js';

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-settings-'));

function withFile(content: string): { dataDir: string; file: string } {
  const dataDir = dir();
  const file = path.join(dataDir, 'settings.json');
  fs.writeFileSync(file, content);
  return { dataDir, file };
}

describe('SettingsStore', () => {
  it('no file: no settings, no error, nothing written', () => {
    const dataDir = dir();
    const s = new SettingsStore(dataDir);
    expect(s.get()).toEqual({});
    expect(s.error).toBeUndefined();
    expect(s.warnings).toEqual([]);
    expect(s.exists()).toBe(false);
  });

  it('reads valid settings', () => {
    const { dataDir } = withFile(
      JSON.stringify({ port: 8080, thresholds: { warn: 0.5, critical: 0.8 }, notifications: false, models: { fast: 'claude-haiku-4-5' } }),
    );
    const s = new SettingsStore(dataDir);
    expect(s.error).toBeUndefined();
    expect(s.get()).toEqual({ port: 8080, thresholds: { warn: 0.5, critical: 0.8 }, notifications: false, models: { fast: 'claude-haiku-4-5' } });
  });

  it('writes atomically to settings.json, only our keys', () => {
    const dataDir = dir();
    const s = new SettingsStore(dataDir);
    s.set('port', 8787);
    s.set('startAtLogin', true);
    expect(JSON.parse(fs.readFileSync(s.file, 'utf8'))).toEqual({ port: 8787, startAtLogin: true });
    expect(fs.readdirSync(dataDir)).toEqual(['settings.json']);
    s.set('startAtLogin', undefined);
    expect(JSON.parse(fs.readFileSync(s.file, 'utf8'))).toEqual({ port: 8787 });
  });

  it.each([
    ['a wrong type', JSON.stringify({ port: 'abc' }), /`port` must be integer/],
    ['an out-of-range port', JSON.stringify({ port: 70000 }), /`port` must be <= 65535/],
    [
      'thresholds as percentages',
      JSON.stringify({ thresholds: { warn: 75, critical: 90 } }),
      /`thresholds\/warn` must be <= 1.*\(thresholds are fractions: 0\.75 means 75%\)/,
    ],
    ['warn above critical', JSON.stringify({ thresholds: { warn: 0.9, critical: 0.5 } }), /`thresholds`: warn \(0\.9\) must not be above critical \(0\.5\)/],
    ['a bad log level', JSON.stringify({ logLevel: 'loud' }), /`logLevel` must be equal to one of the allowed values/],
    ['a model map with a non-string', JSON.stringify({ models: { fast: 3 } }), /`models\/fast` must be string/],
    ['broken JSON', '{"port": 3456,', /JSON/],
    ['an empty file', '', /JSON/],
    ['not an object', '[]', /must be object/],
  ])('an invalid file (%s) is reported with the offending key, used as empty, and left untouched', (_what, content, message) => {
    const { dataDir, file } = withFile(content);
    const before = fs.statSync(file).mtimeMs;
    const s = new SettingsStore(dataDir);
    expect(s.error).toMatch(message);
    expect(s.error).toContain(file);
    expect(s.error).toMatch(/was not changed.*Using the defaults until it is fixed\.$/);
    expect(s.warnings).toEqual([s.error]);
    expect(s.get()).toEqual({});
    // Writes are refused rather than replacing the user's file.
    expect(() => s.set('port', 8080)).toThrow(/invalid and was not changed/);
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
    expect(fs.statSync(file).mtimeMs).toBe(before);
    expect(fs.readdirSync(dataDir)).toEqual(['settings.json']);
  });

  it('unknown keys (a typo, a per-run flag) are reported by name and ignored; the rest is used', () => {
    const content = JSON.stringify({ prot: 8080, headless: true, port: 9000 });
    const { dataDir, file } = withFile(content);
    const s = new SettingsStore(dataDir);
    expect(s.error).toBeUndefined();
    expect(s.unknownKeys).toEqual(['prot', 'headless']);
    expect(s.warnings).toEqual([`settings file ${file}: ignoring unknown keys \`prot\`, \`headless\``]);
    expect(s.get()).toEqual({ port: 9000 });
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
  });

  it('an invalid value is refused on set, and the file keeps its last good state', () => {
    const dataDir = dir();
    const s = new SettingsStore(dataDir);
    s.set('port', 8080);
    expect(() => s.set('port', -1 as number)).toThrow(/`port` must be >= 0/);
    expect(() => s.set('thresholds', { warn: 0.95, critical: 0.9 })).toThrow(/must not be above critical/);
    expect(JSON.parse(fs.readFileSync(s.file, 'utf8'))).toEqual({ port: 8080 });
  });
});
