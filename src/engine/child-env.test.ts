import { describe, expect, it } from 'vitest';
import { buildChildEnv, STRIPPED_VARS } from './child-env.js';

const PARENT: NodeJS.ProcessEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/u',
  LANG: 'C.UTF-8',
  ANTHROPIC_API_KEY: 'sk-ant-user-key',
  ANTHROPIC_AUTH_TOKEN: 'user-token',
  ANTHROPIC_BASE_URL: 'https://elsewhere.example',
  CLAUDECODE: '1',
  CLAUDE_CODE_ENTRYPOINT: 'cli',
  MAXPROXY_PORT: '3456',
  MAXPROXY_API_KEY: 'proxy-secret',
  CLAUDE_CODE_OAUTH_TOKEN: 'subscription-token',
  UNSET: undefined,
};

describe('buildChildEnv', () => {
  it('strips what would bill an API key, redirect the CLI or make it think it runs nested', () => {
    const env = buildChildEnv(PARENT, { explicit: {}, maxRetries: 2 });
    for (const k of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'CLAUDECODE', 'CLAUDE_CODE_ENTRYPOINT'])
      expect(env).not.toHaveProperty(k);
    expect(STRIPPED_VARS).toEqual(expect.arrayContaining(['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'CLAUDECODE']));
  });

  it("keeps maxproxy's own settings (and secrets) away from the CLI", () => {
    const env = buildChildEnv(PARENT, { explicit: {}, maxRetries: 2 });
    expect(Object.keys(env).filter((k) => k.startsWith('MAXPROXY_'))).toEqual([]);
  });

  it('passes the rest of the environment through, without undefined values', () => {
    const env = buildChildEnv(PARENT, { explicit: {}, maxRetries: 2 });
    expect(env).toMatchObject({ PATH: '/usr/bin:/bin', HOME: '/home/u', LANG: 'C.UTF-8', CLAUDE_CODE_OAUTH_TOKEN: 'subscription-token' });
    expect(env).not.toHaveProperty('UNSET');
  });

  it('sets the CLI behaviour maxproxy relies on', () => {
    const env = buildChildEnv(PARENT, { explicit: {}, maxRetries: 3 });
    expect(env).toMatchObject({
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_MAX_RETRIES: '3',
      ENABLE_TOOL_SEARCH: 'false',
    });
    expect(buildChildEnv({}, { explicit: {}, maxRetries: 0 }).CLAUDE_CODE_MAX_RETRIES).toBe('0');
  });

  it('the parent cannot override those settings, but an explicit --claude-env can', () => {
    const parent = { ...PARENT, CLAUDE_CODE_MAX_RETRIES: '10', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '0' };
    expect(buildChildEnv(parent, { explicit: {}, maxRetries: 1 })).toMatchObject({
      CLAUDE_CODE_MAX_RETRIES: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    });
    expect(buildChildEnv(parent, { explicit: { CLAUDE_CODE_MAX_RETRIES: '5' }, maxRetries: 1 }).CLAUDE_CODE_MAX_RETRIES).toBe('5');
  });

  it('explicitly configured credentials and endpoint win over the stripping', () => {
    const env = buildChildEnv(PARENT, {
      explicit: { ANTHROPIC_API_KEY: 'sk-configured', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999', CLAUDECODE: '1' },
      maxRetries: 1,
    });
    expect(env).toMatchObject({ ANTHROPIC_API_KEY: 'sk-configured', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999', CLAUDECODE: '1' });
    expect(env).not.toHaveProperty('ANTHROPIC_AUTH_TOKEN');
  });

  it('turns every form of compaction off, whatever the parent environment tunes', () => {
    const parent = {
      ...PARENT,
      CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: '5',
      CLAUDE_CODE_AUTO_COMPACT_WINDOW: '20000',
      DISABLE_COMPACT: '0',
      CLAUDE_CODE_SLEEP_COMPACT: '1',
    };
    const env = buildChildEnv(parent, { explicit: {}, maxRetries: 1 });
    expect(env).toMatchObject({ DISABLE_COMPACT: '1', DISABLE_AUTO_COMPACT: '1' });
    for (const k of ['CLAUDE_AUTOCOMPACT_PCT_OVERRIDE', 'CLAUDE_CODE_AUTO_COMPACT_WINDOW', 'CLAUDE_CODE_SLEEP_COMPACT']) expect(env).not.toHaveProperty(k);
  });

  it('does not modify the parent environment', () => {
    const copy = { ...PARENT };
    buildChildEnv(PARENT, { explicit: { HOME: '/elsewhere' }, maxRetries: 1 });
    expect(PARENT).toEqual(copy);
  });
});
