import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TurnFailure } from '../turn/types.js';
import { CLI_ALIASES, type CliModelInfo, ModelRegistry, undot } from './models.js';

// What the pinned CLI (2.1.330) answered to supportedModels() under an API key, captured.
const CLI_ROWS = JSON.parse(fs.readFileSync(new URL('../../test/fixtures/cli/supported-models.json', import.meta.url), 'utf8')) as CliModelInfo[];

const failureOf = (fn: () => unknown): TurnFailure => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TurnFailure);
    return e as TurnFailure;
  }
  throw new Error('expected a TurnFailure');
};

describe('ModelRegistry', () => {
  const reg = new ModelRegistry();

  it.each(CLI_ALIASES)('alias %s stays an alias for the CLI to resolve', (alias) => {
    expect(reg.resolve(alias)).toMatchObject({ id: alias, cliModel: alias });
    expect(reg.resolve(alias).displayName).toMatch(/chosen by Claude Code/);
  });

  it.each(['claude-opus-4.6', 'claude-sonnet-4.5', 'claude-opus-4.8[1m]'])('dotted %s resolves to the dashed id', (name) => {
    expect(reg.resolve(name).cliModel).toBe(undot(name));
    expect(reg.resolve(name).cliModel).not.toContain('.');
  });

  it.each(['claude-sonnet-4-5-20250929', 'claude-opus-4-1', 'claude-haiku-6', 'claude-opus-9-9', 'claude-sonnet-4-5[1m]'])(
    'unlisted Claude id %s is passed through for upstream to judge',
    (id) => {
      expect(reg.resolve(id)).toEqual({ id, displayName: id, cliModel: id });
    },
  );

  it.each(['gpt-4o', 'claude', 'claude-sonnet', 'claude-opus-x', 'Sonnet', ' sonnet', 'claude-sonnet-5-5; rm -rf /'])(
    'unknown %j → not_found, model_not_found (never mapped to another model)',
    (name) => {
      const f = failureOf(() => reg.resolve(name));
      expect(f.error).toMatchObject({ kind: 'not_found', code: 'model_not_found', param: 'model' });
      expect(f.error.message).toContain(`'${name}'`);
      expect(f.error.message).toContain('sonnet');
    },
  );

  it.each([undefined, null, '', '   ', 42, {}])('missing model %j → invalid_request on param model', (name) => {
    expect(failureOf(() => reg.resolve(name)).error).toMatchObject({ kind: 'invalid_request', param: 'model' });
  });

  it('before the CLI reported its list, offers the aliases', () => {
    expect(reg.list().map((m) => m.id)).toEqual(CLI_ALIASES);
  });

  describe("with the CLI's own list", () => {
    const cli = new ModelRegistry({ 'my-sonnet': 'claude-sonnet-4.6' });
    cli.load(CLI_ROWS);

    it('offers each model id the CLI resolves to, then its aliases, then configured names', () => {
      const ids = cli.list().map((m) => m.id);
      expect(ids).toEqual([
        'claude-opus-5-5',
        'claude-fable-5-2',
        'claude-sonnet-5-5',
        'claude-haiku-5-5',
        'claude-sonnet-4-6',
        'opus',
        'fable',
        'sonnet',
        'haiku',
        'my-sonnet',
      ]);
      expect(cli.resolve('my-sonnet').cliModel).toBe('claude-sonnet-4-6');
      expect(cli.list().find((m) => m.id === 'claude-sonnet-5-5')?.displayName).toBe('Claude Sonnet 5.5');
    });

    it('does not offer models past end of life (the CLI no longer lists them)', () => {
      expect(cli.list().map((m) => m.id)).not.toContain('claude-sonnet-4-5');
    });

    it("keeps the CLI's capabilities per model, by id and alias", () => {
      expect(cli.capabilitiesOf('sonnet')?.supportsThinkingOff).toBe(false);
      expect(cli.capabilitiesOf('claude-sonnet-4-6')?.supportedEffortLevels).not.toContain('xhigh');
    });
  });

  describe('extra map (settings / flags)', () => {
    const extra = new ModelRegistry({ 'gpt-4o': 'sonnet', 'my-opus': 'claude-opus-4-8', opus: 'claude-opus-4-7' });

    it('adds names that run another model', () => {
      expect(extra.resolve('gpt-4o')).toEqual({ id: 'gpt-4o', displayName: 'gpt-4o → sonnet', cliModel: 'sonnet' });
      expect(extra.resolve('my-opus')).toMatchObject({ id: 'my-opus', cliModel: 'claude-opus-4-8' });
    });

    it('can re-point a built-in alias', () => {
      expect(extra.resolve('opus')).toMatchObject({ id: 'opus', cliModel: 'claude-opus-4-7' });
    });

    it('lists the extra names, each once', () => {
      const ids = extra.list().map((m) => m.id);
      expect(ids).toContain('gpt-4o');
      expect(ids).toContain('my-opus');
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('does not leak into other registries', () => {
      expect(failureOf(() => reg.resolve('gpt-4o')).error.code).toBe('model_not_found');
    });
  });
});
