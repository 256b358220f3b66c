import { describe, expect, it } from 'vitest';
import { TurnFailure } from '../turn/types.js';
import { BUILTIN_MODELS, CLI_ALIASES, ModelRegistry } from './models.js';

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

  it.each(BUILTIN_MODELS.map(([id]) => id))('built-in %s resolves to itself', (id) => {
    expect(reg.resolve(id)).toMatchObject({ id, cliModel: id });
  });

  it.each(['claude-sonnet-4-5-20250929', 'claude-opus-4-1', 'claude-haiku-6', 'claude-opus-9-9', 'claude-sonnet-4-5[1m]'])(
    'unlisted Claude id %s is passed through for upstream to judge',
    (id) => {
      expect(reg.resolve(id)).toEqual({ id, displayName: id, cliModel: id });
    },
  );

  it.each(['gpt-4o', 'claude', 'claude-sonnet', 'claude-opus-x', 'Sonnet', ' sonnet', 'claude-sonnet-4-5; rm -rf /'])(
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

  it('lists built-ins and aliases', () => {
    const ids = reg.list().map((m) => m.id);
    expect(ids).toEqual([...BUILTIN_MODELS.map(([id]) => id), ...CLI_ALIASES]);
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
