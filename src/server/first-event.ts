import type { TurnEvent } from '../turn/types.js';

/**
 * Waits for the first event that decides the HTTP status (content or an error),
 * holding back keep-alives, so a failure before any output can still be answered
 * with a real status code instead of a 200 stream carrying an error.
 * Resolves `timedOut` when the wait exceeds `maxWaitMs` (the caller then commits
 * to a stream and keeps the client alive with comments).
 */
export async function peekFirst(
  it: AsyncIterator<TurnEvent>,
  maxWaitMs: number,
): Promise<{ head: TurnEvent[]; first?: TurnEvent; ended: boolean; timedOut: boolean; pending?: Promise<IteratorResult<TurnEvent>> }> {
  const head: TurnEvent[] = [];
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const next = it.next();
    const remaining = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(0, remaining))));
    const r = await Promise.race([next, timeout]);
    clearTimeout(timer);
    if (r === 'timeout') return { head, ended: false, timedOut: true, pending: next };
    if (r.done) return { head, ended: true, timedOut: false };
    if (r.value.type === 'keepalive' || r.value.type === 'rate_limit') {
      head.push(r.value);
      continue;
    }
    return { head, first: r.value, ended: false, timedOut: false };
  }
}
