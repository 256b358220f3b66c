import type { TurnEvent } from '../turn/types.js';

/** What a turn cut by shutdown ends with, in every API's own error format. */
export const SHUTDOWN_ERROR: TurnEvent = {
  type: 'error',
  error: { kind: 'unavailable', code: 'shutting_down', message: 'maxproxy is shutting down; the request was stopped before it finished', retryAfterSeconds: 5 },
};

/**
 * Passes a turn's events through until `signal` fires (the shutdown grace ran out), then
 * ends it with an error event and stops the turn: the client sees its API's error event
 * (or a 503) instead of a stream that just stops.
 */
export async function* untilShutdown(events: AsyncIterable<TurnEvent>, signal: AbortSignal | undefined): AsyncIterable<TurnEvent> {
  if (!signal) {
    yield* events;
    return;
  }
  const it = events[Symbol.asyncIterator]();
  let onAbort!: () => void;
  const aborted = new Promise<'cut'>((resolve) => {
    onAbort = () => resolve('cut');
    if (signal.aborted) resolve('cut');
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([it.next(), aborted]);
      if (next === 'cut') {
        yield SHUTDOWN_ERROR;
        void it.return?.();
        return;
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
