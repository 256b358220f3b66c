/**
 * Puts values already read from an iterator (and a `next()` still in flight) back in
 * front of the rest of it. Used wherever a stream's first events are inspected before
 * it is handed on: the engine (a resumed turn's start) and the server (the first event
 * that decides the HTTP status). Returning early closes the underlying iterator.
 */
export async function* rejoin<T>(head: readonly T[], pending: Promise<IteratorResult<T>> | undefined, it: AsyncIterator<T>): AsyncIterable<T> {
  try {
    for (const e of head) yield e;
    if (pending !== undefined) {
      const r = await pending;
      if (r.done) return;
      yield r.value;
    }
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}
