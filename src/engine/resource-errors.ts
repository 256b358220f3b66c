import { TurnFailure } from '../turn/types.js';

/** Errors that mean the machine (or this process) ran out of something for a moment. */
const TRANSIENT = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM', 'ENOSPC']);

const codeOf = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const m = /\b(EMFILE|ENFILE)\b/.exec(String((e as Error | null)?.message ?? ''));
  return m?.[1];
};

/**
 * Out of descriptors (or memory, or disk) is a moment, not a verdict: the client gets a
 * retryable 503 with retry-after, never a 500 or a 502 that says something is broken.
 * Returns undefined for any other error.
 */
export function resourceFailure(e: unknown): TurnFailure | undefined {
  const code = codeOf(e);
  if (!code || !TRANSIENT.has(code)) return undefined;
  return new TurnFailure({
    kind: 'unavailable',
    code: 'resources_exhausted',
    message: `maxproxy is short of system resources (${code}); retry shortly`,
    retryAfterSeconds: 5,
  });
}
