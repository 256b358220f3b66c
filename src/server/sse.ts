import type { Response } from 'express';
import type { SseSink } from '../api/wire.js';
import type { PhaseMarks } from '../turn/phase-marks.js';

/**
 * An SseSink over an HTTP response: headers once, one write per event (Node
 * flushes each write; compression is never applied to event streams here).
 */
export class HttpSseSink implements SseSink {
  private started = false;

  constructor(
    private readonly res: Response,
    private readonly phases?: PhaseMarks,
  ) {}

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.res.status(200);
    this.res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    this.res.setHeader('cache-control', 'no-cache, no-transform');
    // No Connection header of ours: Node keeps the connection alive unless the client
    // asked to close it, and then closes it when the stream ends.
    this.res.setHeader('x-accel-buffering', 'no');
    this.res.flushHeaders();
    this.phases?.mark('sseHeaders');
    this.res.socket?.setNoDelay(true);
  }

  send(data: unknown, event?: string): void {
    if (this.closed) return;
    this.start();
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    this.res.write(`${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`);
    this.phases?.mark('sseFirstData');
    if (this.phases && payload.length < 2048) this.phases.delta('sse', payload);
  }

  comment(text: string): void {
    if (this.closed) return;
    this.start();
    this.res.write(`: ${text.replace(/[\r\n]+/g, ' ')}\n\n`);
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }
}
