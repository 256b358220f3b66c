import { TurnFailure } from '../turn/types.js';

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (e: Error) => void;
  since: number;
}

/**
 * A concurrency cap with a bounded FIFO queue. A full queue is refused at once
 * (503 with retry-after); a waiter whose client leaves is taken out of the queue.
 */
export class Limiter {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    public max: number,
    public maxQueue: number,
    private readonly onChange: () => void = () => undefined,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.queue.length;
  }

  get oldestWaitMs(): number {
    return this.queue.length ? Date.now() - this.queue[0].since : 0;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new TurnFailure({ kind: 'unavailable', message: 'client disconnected' }));
    if (this.active < this.max && this.queue.length === 0) return Promise.resolve(this.grant());
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(
        new TurnFailure({
          kind: 'unavailable',
          code: 'queue_full',
          message: `maxproxy is busy: ${this.active} requests running and ${this.queue.length} queued`,
          retryAfterSeconds: 5,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject, since: Date.now() };
      this.queue.push(w);
      this.onChange();
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) {
            this.queue.splice(i, 1);
            this.onChange();
            reject(new TurnFailure({ kind: 'unavailable', message: 'client disconnected while queued' }));
          }
        },
        { once: true },
      );
    });
  }

  private grant(): () => void {
    this.active++;
    this.onChange();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const next = this.queue.shift();
      if (next) next.resolve(this.grant());
      this.onChange();
    };
  }
}
