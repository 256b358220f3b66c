import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../../turn/types.js';
import { encodeMessagesError } from './encode-messages-error.js';

describe('encodeMessagesError', () => {
  it('maps every kind to Anthropic status and error type', () => {
    const table: [ErrorKind, number, string][] = [
      ['invalid_request', 400, 'invalid_request_error'],
      ['authentication', 401, 'authentication_error'],
      ['billing', 402, 'billing_error'],
      ['permission', 403, 'permission_error'],
      ['not_found', 404, 'not_found_error'],
      ['too_large', 413, 'request_too_large'],
      ['rate_limit', 429, 'rate_limit_error'],
      ['internal', 500, 'api_error'],
      ['upstream', 502, 'api_error'],
      ['unavailable', 503, 'api_error'],
      ['timeout', 504, 'timeout_error'],
      ['overloaded', 529, 'overloaded_error'],
    ];
    for (const [kind, status, type] of table) {
      expect(encodeMessagesError({ kind, message: `m-${kind}` })).toEqual({
        status,
        headers: {},
        body: { type: 'error', error: { type, message: `m-${kind}` } },
      });
    }
  });

  it('adds retry-after when known, rounded up', () => {
    expect(encodeMessagesError({ kind: 'rate_limit', message: 'slow down', retryAfterSeconds: 12.2 }).headers).toEqual({
      'retry-after': '13',
    });
  });
});
