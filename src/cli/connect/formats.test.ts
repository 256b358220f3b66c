import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffLines } from 'diff';
import JSON5 from 'json5';
import { parse as parseJsonc } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { codex } from './codex.js';
import { openclaw } from './openclaw.js';
import { opencode } from './opencode.js';
import { type ClientFormat, ConfigParseError, type Target } from './types.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');
const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');

const target = (over: Partial<Target> = {}): Target => ({
  url: 'http://127.0.0.1:3456',
  models: [
    { id: 'claude-opus-4-8', name: 'Claude Opus 4.8' },
    { id: 'sonnet', name: 'Sonnet (latest)' },
  ],
  api: 'openai',
  ...over,
});

/** `line` is `changed` with one stretch of text taken out (a comma, or an entry added on that line). */
const isInsertionInto = (line: string, changed: string) => {
  const extra = changed.length - line.length;
  if (extra <= 0) return false;
  for (let i = 0; i <= line.length; i++) if (changed.slice(0, i) + changed.slice(i + extra) === line) return true;
  return false;
};

/** The edit only adds: every original line stays, in order, at most with something inserted into it. */
function expectOnlyAdditions(before: string, after: string): void {
  const parts = diffLines(before, after);
  const added = parts.filter((p) => p.added).flatMap((p) => p.value.split('\n'));
  for (const p of parts.filter((x) => x.removed)) {
    for (const line of p.value.split('\n').filter(Boolean))
      expect(
        added.some((a) => isInsertionInto(line, a)),
        `line changed: ${line}`,
      ).toBe(true);
  }
}

const fixtures: Array<{ format: ClientFormat; file: string; parse: (t: string) => unknown }> = [
  { format: openclaw, file: 'openclaw.json5', parse: (t) => JSON5.parse(t) },
  { format: openclaw, file: 'openclaw.json', parse: (t) => JSON5.parse(t) },
  { format: opencode, file: 'opencode.jsonc', parse: (t) => parseJsonc(t, [], { allowTrailingComma: true }) },
  { format: codex, file: 'codex.toml', parse: (t) => parseToml(t) },
];

describe.each(fixtures)('$format.id: $file', ({ format, file, parse }) => {
  const original = read(file);

  it('adds the provider, keeping every other byte, comments included', () => {
    const { text } = format.apply(original, file, target());
    expect(text).not.toBe(original);
    expectOnlyAdditions(original, text);
    for (const line of original.split('\n').filter((l) => /\/\/|\/\*|#/.test(l))) expect(text).toContain(line.replace(/\s*$/, ''));
    const view = format.inspect(text, file)!;
    expect(view.root).toBe('http://127.0.0.1:3456');
    expect(view.baseUrl).toBe('http://127.0.0.1:3456/v1');
    if (format.id !== 'codex') expect(view.models).toEqual(['claude-opus-4-8', 'sonnet']);
    // Unrelated keys read back unchanged by the client's own parser.
    const before = parse(original) as Record<string, unknown>;
    const after = parse(text) as Record<string, unknown>;
    for (const key of Object.keys(before)) if (!['models', 'provider', 'model_providers', 'agents'].includes(key)) expect(after[key]).toEqual(before[key]);
  });

  it('changes nothing the second time', () => {
    const once = format.apply(original, file, target()).text;
    expect(format.apply(once, file, target()).text).toBe(once);
  });

  it('updates the URL and the models in place', () => {
    const once = format.apply(original, file, target()).text;
    const moved = format.apply(once, file, target({ url: 'http://127.0.0.1:8080', models: [{ id: 'haiku', name: 'Haiku' }] })).text;
    expect(format.inspect(moved, file)!.root).toBe('http://127.0.0.1:8080');
    if (format.id !== 'codex') expect(format.inspect(moved, file)!.models).toEqual(['haiku']);
    expectOnlyAdditions(original, moved);
    expect(format.remove(moved, file).text).toBe(original);
  });

  it('--remove gives back the original file byte for byte', () => {
    const once = format.apply(original, file, target()).text;
    expect(format.remove(once, file).text).toBe(original);
    expect(format.remove(original, file).text).toBe(original);
  });

  it('reports a file it cannot parse with its line, and writes nothing', () => {
    const lines = original.split('\n');
    lines.splice(3, 0, format.id === 'codex' ? 'broken = = 1' : '  "broken": [1, 2,,');
    const broken = lines.join('\n');
    const err = (() => {
      try {
        format.apply(broken, file, target());
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigParseError);
    expect((err as ConfigParseError).line).toBe(4);
    expect((err as ConfigParseError).message).toContain(`${file}:4:`);
  });
});

describe('OpenClaw specifics', () => {
  it('--set-default makes a maxproxy model the default with no fallbacks, and names agents with their own model', () => {
    const original = read('openclaw.json5');
    const edit = openclaw.apply(original, 'openclaw.json5', target({ defaultModel: 'sonnet' }));
    const cfg = JSON5.parse(edit.text);
    expect(cfg.agents.defaults.model).toEqual({ primary: 'maxproxy/sonnet', fallbacks: [] });
    expect(edit.notes.join('\n')).toMatch(/maxproxy\/sonnet with no fallbacks/);
    expect(edit.notes.join('\n')).toContain('research (openai/gpt-5.4)');
    // The agents' model map is in use here, so maxproxy's models are listed in it for /model.
    expect(cfg.agents.defaults.models['maxproxy/*']).toEqual({});
    expect(cfg.agents.defaults.models['anthropic/claude-opus-4-6']).toEqual({ alias: 'opus' });
    const removed = openclaw.remove(edit.text, 'openclaw.json5');
    expect(JSON5.parse(removed.text).agents.defaults.model).toBeUndefined();
    expect(removed.notes.join('\n')).toMatch(/its own default again/);
  });

  it('without --set-default the default stays as it is', () => {
    const original = read('openclaw.json');
    const edit = openclaw.apply(original, 'openclaw.json', target());
    expect(JSON.parse(edit.text).agents.defaults.model).toBe('anthropic/claude-opus-4-6');
    expect(edit.notes.join('\n')).toMatch(/unchanged \(anthropic\/claude-opus-4-6\)/);
  });

  it('--api anthropic writes the Messages adapter at the root URL', () => {
    const text = openclaw.apply(read('openclaw.json'), 'openclaw.json', target({ api: 'anthropic', apiKey: 'sk-local-123456' })).text;
    const p = JSON.parse(text).models.providers.maxproxy;
    expect(p).toMatchObject({ baseUrl: 'http://127.0.0.1:3456', api: 'anthropic-messages', apiKey: 'sk-local-123456' });
    expect(p.models[0]).toEqual({ id: 'claude-opus-4-8', name: 'Claude Opus 4.8', input: ['text', 'image'] });
  });

  it('creates a new file from nothing', () => {
    const text = openclaw.apply(openclaw.empty, 'new.json', target()).text;
    expect(JSON.parse(text).models.providers.maxproxy.api).toBe('openai-completions');
  });
});

describe('Codex specifics', () => {
  it('--set-default sets the top-level provider and model, and --remove takes both out', () => {
    const original = read('codex.toml');
    const edit = codex.apply(original, 'config.toml', target({ defaultModel: 'opus', apiKey: 'sk-local-123456' }));
    const cfg = parseToml(edit.text) as Record<string, any>;
    expect(cfg.model_provider).toBe('maxproxy');
    expect(cfg.model).toBe('opus');
    expect(cfg.model_providers.maxproxy).toEqual({
      name: 'maxproxy',
      base_url: 'http://127.0.0.1:3456/v1',
      wire_api: 'responses',
      experimental_bearer_token: 'sk-local-123456',
    });
    // The user's own comment after the replaced value is kept.
    expect(edit.text).toContain('model = "opus"\n');
    expect(edit.text).toContain('model_reasoning_effort = "high" # think harder');
    const removed = codex.remove(edit.text, 'config.toml').text;
    const back = parseToml(removed) as Record<string, any>;
    expect(back.model_provider).toBeUndefined();
    expect(back.model_providers.maxproxy).toBeUndefined();
    expect(back.model_providers.openrouter.name).toBe('OpenRouter');
  });

  it('refuses a provider written in a form it does not edit, leaving the file as it is', () => {
    const inline = `model = "o3"\n\n[model_providers]\nmaxproxy = { name = "maxproxy", base_url = "http://127.0.0.1:1/v1" }\n`;
    expect(() => codex.apply(inline, 'config.toml', target())).toThrow(/left untouched/);
  });

  it('writes a profile that selects maxproxy', () => {
    const profile = parseToml(codex.profile(target())) as Record<string, unknown>;
    expect(profile).toEqual({ model_provider: 'maxproxy', model: 'sonnet' });
  });
});
