/**
 * Test helpers for Chat Completions streams: an in-memory SseSink that keeps what was
 * sent and renders it the way the server's sink writes it (a string, such as [DONE],
 * as is; anything else as JSON).
 */
import type { SseSink } from '../../wire.js';

export class ChatMemorySink implements SseSink {
  readonly frames: unknown[] = [];
  readonly comments: string[] = [];
  closed = false;
  /** Close the sink (client gone) after this many frames. */
  constructor(private readonly closeAfter = Infinity) {}

  send(data: unknown, event?: string): void {
    if (this.closed) throw new Error('write after close');
    if (event !== undefined) throw new Error('Chat Completions streams carry no event: lines');
    this.frames.push(data);
    if (this.frames.length >= this.closeAfter) this.closed = true;
  }

  comment(text: string): void {
    if (this.closed) throw new Error('write after close');
    this.comments.push(text);
  }

  toText(): string {
    return this.frames.map((d) => `data: ${typeof d === 'string' ? d : JSON.stringify(d)}\n\n`).join('');
  }
}
