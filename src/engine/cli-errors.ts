import type { SDKAPIRetryMessage } from '@anthropic-ai/claude-agent-sdk';
import type { TurnError } from '../turn/types.js';

/** What the CLI told us about a failed turn, gathered while the turn ran. */
export interface CliFailure {
  /** `error` of the synthetic assistant message (authentication_failed, rate_limit, ...). */
  assistantError?: string;
  /** The result's text (the CLI's own message to a user). */
  message: string;
  /** `api_error_status` of the result: the upstream HTTP status, when there was one. */
  apiStatus?: number | null;
  terminalReason?: string;
  /** The longest retry wait the CLI announced (api_retry), ms. */
  retryDelayMs?: number;
  /**
   * The upstream's own error message, when the CLI kept it only in its transcript
   * (`errorDetails`; e.g. "prompt is too long: N tokens > M maximum").
   */
  upstreamMessage?: string;
  /** Reset time (epoch seconds) of a rejected rate-limit window, if the CLI reported one. */
  rateLimitResetsAt?: number;
  /** `api_error` of the synthetic assistant message: the CLI's typed cause (e.g. claude_code_version_too_old). */
  apiError?: string;
  /** The model the turn asked for (for messages that must name it). */
  model?: string;
}

/**
 * The upstream refused the model for this Claude Code version (measured with 2.1.330: a 400
 * with error.details.error_code "claude_code_version_too_old", which the CLI reports as the
 * synthetic message's api_error). The CLI's text carries the versions; ours adds the model
 * and the two ways to upgrade.
 */
function versionTooOld(f: CliFailure, msg: string): TurnError {
  const upstream = (f.upstreamMessage ?? msg).replace(/^API Error:\s*\d{3}\s*/, '');
  const needed = /version (\S+) or newer is required/.exec(upstream)?.[1];
  const inUse = /Claude Code (\S+)/.exec(upstream)?.[1];
  return {
    kind: 'invalid_request',
    code: 'claude_code_version_too_old',
    param: 'model',
    modelFloor: { model: f.model, required: needed, cliVersion: inUse },
    message:
      `The model ${f.model ? `"${f.model}" ` : ''}needs a newer Claude Code than the one maxproxy runs` +
      `${inUse ? ` (${inUse}${needed ? `; ${needed} or newer is required` : ''})` : ''}. ` +
      `Upgrade maxproxy (it bundles a newer Claude Code), or start it with --claude-path pointing at a newer \`claude\`. Upstream said: ${upstream}`,
  };
}

const NOT_LOGGED_IN = /not logged in|please run \/login/i;

/**
 * The one place where a CLI failure becomes a canonical error (and so an HTTP status).
 * Classification prefers the CLI's structured fields over its wording.
 */
export function classifyCliFailure(f: CliFailure, now = Date.now()): TurnError {
  const msg = f.message || 'Claude Code failed without a message';
  const retryAfter = (): number | undefined => {
    if (f.rateLimitResetsAt && f.rateLimitResetsAt * 1000 > now) return Math.ceil(f.rateLimitResetsAt - now / 1000);
    if (f.retryDelayMs && f.retryDelayMs > 0) return Math.ceil(f.retryDelayMs / 1000);
    return undefined;
  };
  if (NOT_LOGGED_IN.test(msg)) {
    return {
      kind: 'authentication',
      code: 'not_logged_in',
      message:
        'Claude Code is not logged in. Run `maxproxy login` (or `claude auth login`, or `claude` and then /login) as the user running maxproxy, then retry.',
    };
  }
  if (f.terminalReason === 'prompt_too_long') {
    // With compaction off the CLI gives up at once; clients detect this code to compact
    // on their side. The upstream's own words, when recovered, replace the CLI's summary.
    return { kind: 'invalid_request', code: 'context_length_exceeded', param: 'messages', message: f.upstreamMessage ?? msg };
  }
  if (f.apiError === 'claude_code_version_too_old') return versionTooOld(f, msg);
  switch (f.assistantError) {
    case 'authentication_failed':
    case 'oauth_org_not_allowed':
    case 'cloud_credential_error':
      return { kind: 'authentication', code: f.assistantError, message: `Claude Code could not authenticate: ${msg}` };
    case 'account_on_hold':
    case 'verification_required':
      return { kind: 'permission', code: f.assistantError, message: msg };
    case 'billing_error':
      return { kind: 'billing', code: 'billing_error', message: msg };
    case 'rate_limit':
      return { kind: 'rate_limit', code: 'rate_limit_exceeded', message: msg, retryAfterSeconds: retryAfter() };
    case 'overloaded':
      return { kind: 'overloaded', code: 'overloaded', message: msg, retryAfterSeconds: retryAfter() };
    case 'model_not_found':
      return { kind: 'not_found', code: 'model_not_found', message: msg };
    case 'invalid_request':
      return { kind: 'invalid_request', code: f.terminalReason ?? 'invalid_request', message: msg };
    default:
      break;
  }
  switch (f.apiStatus) {
    case 400:
      return { kind: 'invalid_request', message: msg };
    case 401:
      return { kind: 'authentication', message: msg };
    case 402:
      return { kind: 'billing', message: msg };
    case 403:
      return { kind: 'permission', message: msg };
    case 404:
      return { kind: 'not_found', code: 'model_not_found', message: msg };
    case 413:
      return { kind: 'too_large', message: msg };
    case 429:
      return { kind: 'rate_limit', message: msg, retryAfterSeconds: retryAfter() };
    case 529:
    case 503:
      return { kind: 'overloaded', message: msg, retryAfterSeconds: retryAfter() };
    default:
      return { kind: 'upstream', message: msg };
  }
}

/**
 * The CLI is about to wait out a long upstream back-off (429/529/503). Holding the client
 * for it helps nobody: the turn is answered at once with retry-after instead.
 */
export function longRetryWait(m: SDKAPIRetryMessage, maxWaitMs: number): TurnError | undefined {
  const status = m.error_status;
  if (status === null || ![429, 529, 503].includes(status) || m.retry_delay_ms <= maxWaitMs) return undefined;
  const secs = Math.ceil(m.retry_delay_ms / 1000);
  return { kind: status === 429 ? 'rate_limit' : 'overloaded', message: `upstream answered ${status}; retry in ${secs} s`, retryAfterSeconds: secs };
}
