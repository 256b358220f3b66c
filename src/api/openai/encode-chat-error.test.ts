import { describe, expect, it } from 'vitest';
import { encodeChatError } from './encode-chat-error.js';

describe('encodeChatError', () => {
  it('names the field of an invalid request', () => {
    expect(encodeChatError({ kind: 'invalid_request', message: 'messages.2.role: field required', param: 'messages.2.role' })).toEqual({
      status: 400,
      headers: {},
      body: {
        error: {
          message: 'messages.2.role: field required',
          type: 'invalid_request_error',
          param: 'messages.2.role',
          code: null,
        },
      },
    });
  });

  it('answers an unknown model with 404 model_not_found', () => {
    expect(
      encodeChatError({
        kind: 'not_found',
        message: "The model 'gpt-9' does not exist",
        param: 'model',
        code: 'model_not_found',
      }),
    ).toEqual({
      status: 404,
      headers: {},
      body: {
        error: { message: "The model 'gpt-9' does not exist", type: 'not_found_error', param: 'model', code: 'model_not_found' },
      },
    });
  });

  it('sends retry-after for rate limits when known', () => {
    expect(encodeChatError({ kind: 'rate_limit', message: 'slow down', retryAfterSeconds: 12.2 })).toEqual({
      status: 429,
      headers: { 'retry-after': '13' },
      body: { error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } },
    });
  });

  it.each([
    ['authentication', 401, 'authentication_error'],
    ['billing', 402, 'insufficient_quota'],
    ['permission', 403, 'permission_error'],
    ['too_large', 413, 'invalid_request_error'],
    ['internal', 500, 'server_error'],
    ['upstream', 502, 'server_error'],
    ['unavailable', 503, 'service_unavailable'],
    ['overloaded', 503, 'service_unavailable'],
    ['timeout', 504, 'timeout'],
  ] as const)('%s → %i %s', (kind, status, type) => {
    const wire = encodeChatError({ kind, message: 'x' });
    expect(wire.status).toBe(status);
    expect((wire.body as { error: { type: string } }).error.type).toBe(type);
  });
});
