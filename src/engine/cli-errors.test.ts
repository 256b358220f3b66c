import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../turn/types.js';
import { type CliFailure, classifyCliFailure } from './cli-errors.js';

const NOW = 1_800_000_000_000;

describe('classifyCliFailure', () => {
  // The CLI's own `error` field on its synthetic assistant message wins over the status.
  it.each<[string, Partial<CliFailure>, ErrorKind, string | undefined]>([
    ['authentication_failed', { assistantError: 'authentication_failed', apiStatus: 401 }, 'authentication', 'authentication_failed'],
    ['oauth_org_not_allowed', { assistantError: 'oauth_org_not_allowed', apiStatus: 403 }, 'authentication', 'oauth_org_not_allowed'],
    ['cloud_credential_error', { assistantError: 'cloud_credential_error' }, 'authentication', 'cloud_credential_error'],
    ['account_on_hold', { assistantError: 'account_on_hold', apiStatus: 403 }, 'permission', 'account_on_hold'],
    ['verification_required', { assistantError: 'verification_required' }, 'permission', 'verification_required'],
    ['billing_error (a 400 status)', { assistantError: 'billing_error', apiStatus: 400 }, 'billing', 'billing_error'],
    ['rate_limit', { assistantError: 'rate_limit', apiStatus: 429 }, 'rate_limit', 'rate_limit_exceeded'],
    ['overloaded', { assistantError: 'overloaded', apiStatus: 529 }, 'overloaded', 'overloaded'],
    ['model_not_found', { assistantError: 'model_not_found', apiStatus: 404 }, 'not_found', 'model_not_found'],
    ['invalid_request without terminal reason', { assistantError: 'invalid_request', apiStatus: 400 }, 'invalid_request', 'invalid_request'],
    [
      'invalid_request with another terminal reason',
      { assistantError: 'invalid_request', apiStatus: 400, terminalReason: 'model_error' },
      'invalid_request',
      'model_error',
    ],
    [
      'prompt too long (terminal reason prompt_too_long)',
      { assistantError: 'invalid_request', apiStatus: 400, terminalReason: 'prompt_too_long' },
      'invalid_request',
      'context_length_exceeded',
    ],
  ])('assistant error %s', (_name, f, kind, code) => {
    const e = classifyCliFailure({ message: 'm', ...f }, NOW);
    expect(e.kind).toBe(kind);
    expect(e.code).toBe(code);
  });

  // Without a known assistant error (server_error, unknown, none), the upstream status decides.
  it.each<[number | null | undefined, ErrorKind, string | undefined]>([
    [400, 'invalid_request', undefined],
    [401, 'authentication', undefined],
    [402, 'billing', undefined],
    [403, 'permission', undefined],
    [404, 'not_found', 'model_not_found'],
    [413, 'too_large', undefined],
    [429, 'rate_limit', undefined],
    [503, 'overloaded', undefined],
    [529, 'overloaded', undefined],
    [500, 'upstream', undefined],
    [502, 'upstream', undefined],
    [null, 'upstream', undefined],
    [undefined, 'upstream', undefined],
  ])('status %s with assistant error server_error → %s', (apiStatus, kind, code) => {
    const e = classifyCliFailure({ message: 'API Error', assistantError: 'server_error', apiStatus }, NOW);
    expect(e).toEqual({ kind, message: 'API Error', ...(code ? { code } : {}) });
  });

  it("a prompt too long carries the upstream words when they were recovered, else the CLI's", () => {
    const words = 'prompt is too long: 212345 tokens > 200000 maximum';
    const f: CliFailure = { message: 'Prompt is too long', assistantError: 'invalid_request', apiStatus: 400, terminalReason: 'prompt_too_long' };
    expect(classifyCliFailure({ ...f, upstreamMessage: words }, NOW)).toEqual({
      kind: 'invalid_request',
      code: 'context_length_exceeded',
      param: 'messages',
      message: words,
    });
    expect(classifyCliFailure(f, NOW).message).toBe('Prompt is too long');
  });

  it.each(['Not logged in · Please run /login', 'not logged in', 'OAuth token revoked · Please run /login'])(
    '"%s" → not_logged_in, whatever the other fields say',
    (message) => {
      const e = classifyCliFailure({ message, assistantError: 'authentication_failed', apiStatus: 401 }, NOW);
      expect(e.kind).toBe('authentication');
      expect(e.code).toBe('not_logged_in');
      expect(e.message).toContain('claude auth login');
    },
  );

  it('keeps the CLI message and prefixes authentication failures', () => {
    expect(classifyCliFailure({ message: 'Invalid API key · Fix external API key', assistantError: 'authentication_failed' }, NOW)).toEqual({
      kind: 'authentication',
      code: 'authentication_failed',
      message: 'Claude Code could not authenticate: Invalid API key · Fix external API key',
    });
  });

  it('an empty message gets a generic one', () => {
    expect(classifyCliFailure({ message: '' }, NOW).message).toBe('Claude Code failed without a message');
  });

  describe('retryAfterSeconds', () => {
    it.each<[string, Partial<CliFailure>, number | undefined]>([
      ['from the CLI retry delay, rounded up', { retryDelayMs: 1154 }, 2],
      ['exact seconds', { retryDelayMs: 3000 }, 3],
      ['a future rejected window wins over the retry delay', { retryDelayMs: 1000, rateLimitResetsAt: NOW / 1000 + 3600 }, 3600],
      ['fractional reset rounded up', { rateLimitResetsAt: NOW / 1000 + 10.2 }, 11],
      ['a past reset is ignored', { retryDelayMs: 2000, rateLimitResetsAt: NOW / 1000 - 60 }, 2],
      ['nothing known', {}, undefined],
      ['zero delay', { retryDelayMs: 0 }, undefined],
    ])('%s', (_name, f, expected) => {
      expect(classifyCliFailure({ message: 'm', assistantError: 'rate_limit', ...f }, NOW).retryAfterSeconds).toBe(expected);
      expect(classifyCliFailure({ message: 'm', apiStatus: 429, ...f }, NOW).retryAfterSeconds).toBe(expected);
      expect(classifyCliFailure({ message: 'm', apiStatus: 529, ...f }, NOW).retryAfterSeconds).toBe(expected);
    });

    it('is not given for errors a retry cannot fix', () => {
      expect(classifyCliFailure({ message: 'm', apiStatus: 400, retryDelayMs: 5000 }, NOW).retryAfterSeconds).toBeUndefined();
      expect(classifyCliFailure({ message: 'm', assistantError: 'billing_error', retryDelayMs: 5000 }, NOW).retryAfterSeconds).toBeUndefined();
    });
  });
});
