import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../../turn/types.js';
import { encodeResponseFailure, encodeResponsesError } from './encode-responses-error.js';

describe('encodeResponsesError', () => {
  it('maps every kind to status, type and default code', () => {
    const table: [ErrorKind, number, string, string | null][] = [
      ['invalid_request', 400, 'invalid_request_error', null],
      ['authentication', 401, 'authentication_error', 'invalid_api_key'],
      ['billing', 402, 'insufficient_quota', 'insufficient_quota'],
      ['permission', 403, 'permission_error', null],
      ['not_found', 404, 'not_found_error', null],
      ['too_large', 413, 'invalid_request_error', 'request_too_large'],
      ['rate_limit', 429, 'rate_limit_error', 'rate_limit_exceeded'],
      ['internal', 500, 'server_error', null],
      ['upstream', 502, 'server_error', null],
      ['unavailable', 503, 'service_unavailable', null],
      ['overloaded', 503, 'service_unavailable', 'overloaded'],
      ['timeout', 504, 'timeout', null],
    ];
    for (const [kind, status, type, code] of table) {
      expect(encodeResponsesError({ kind, message: 'm' })).toEqual({
        status,
        headers: {},
        body: { error: { message: 'm', type, param: null, code } },
      });
    }
  });

  it('carries param, an explicit code and retry-after', () => {
    expect(
      encodeResponsesError({
        kind: 'not_found',
        message: "Previous response with id 'resp_x' not found.",
        param: 'previous_response_id',
        code: 'previous_response_not_found',
      }),
    ).toEqual({
      status: 404,
      headers: {},
      body: {
        error: {
          message: "Previous response with id 'resp_x' not found.",
          type: 'not_found_error',
          param: 'previous_response_id',
          code: 'previous_response_not_found',
        },
      },
    });
    expect(encodeResponsesError({ kind: 'rate_limit', message: 'm', retryAfterSeconds: 0.2 }).headers).toEqual({
      'retry-after': '1',
    });
  });
});

describe('encodeResponseFailure', () => {
  it('gives a code Codex understands, and a retry hint for rate limits', () => {
    expect(encodeResponseFailure({ kind: 'rate_limit', message: 'Usage limit reached.', retryAfterSeconds: 41.5 })).toEqual({
      code: 'rate_limit_exceeded',
      message: 'Usage limit reached. Please try again in 42s.',
    });
    expect(encodeResponseFailure({ kind: 'billing', message: 'out of credit' })).toEqual({
      code: 'insufficient_quota',
      message: 'out of credit',
    });
    expect(encodeResponseFailure({ kind: 'upstream', message: 'boom' })).toEqual({ code: 'server_error', message: 'boom' });
    expect(encodeResponseFailure({ kind: 'invalid_request', message: 'too long', code: 'context_length_exceeded' })).toEqual({
      code: 'context_length_exceeded',
      message: 'too long',
    });
  });
});
