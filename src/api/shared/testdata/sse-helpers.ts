/** Test helpers: an in-memory SseSink, an SSE text parser, and an event source. */
import { type CollectOutcome, collectTurn } from '../../../turn/collect.js';
import type { TurnEvent } from '../../../turn/types.js';
import type { SseSink } from '../../wire.js';

export interface SseFrame {
  event?: string;
  data: unknown;
}

export class MemorySink implements SseSink {
  readonly frames: SseFrame[] = [];
  readonly comments: string[] = [];
  closed = false;
  /** Close the sink (client gone) after this many frames. */
  constructor(private readonly closeAfter = Infinity) {}

  send(data: unknown, event?: string): void {
    if (this.closed) throw new Error('write after close');
    this.frames.push(event === undefined ? { data } : { event, data });
    if (this.frames.length >= this.closeAfter) this.closed = true;
  }

  comment(text: string): void {
    if (this.closed) throw new Error('write after close');
    this.comments.push(text);
  }

  /** The frames as SSE text, the way the server writes them. */
  toText(): string {
    return this.frames
      .map((f) => `${f.event !== undefined ? `event: ${f.event}\n` : ''}data: ${JSON.stringify(f.data)}\n\n`)
      .join('');
  }
}

/** Parses SSE text (event/data lines, blank-line separated) into frames with JSON data. */
export function parseSse(text: string): SseFrame[] {
  return text
    .split(/\n\n+/)
    .map((chunk) => chunk.trim())
    .filter((chunk) => chunk !== '')
    .map((chunk) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of chunk.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      const parsed: unknown = JSON.parse(data.join('\n'));
      return event === undefined ? { data: parsed } : { event, data: parsed };
    });
}

export async function* eventsOf(events: TurnEvent[]): AsyncGenerator<TurnEvent> {
  for (const ev of events) yield ev;
}

/** The turn's outcome as the engine hands it to a stream encoder: its one fold of these events. */
export const outcomeOf = (events: TurnEvent[]): Promise<CollectOutcome> => collectTurn(eventsOf(events));

/** An outcome that never comes: for encoders that must not wait for it. */
export const noOutcome = (): Promise<CollectOutcome> => new Promise(() => {});

export interface SubsetOptions {
  /** Keys `actual` may have beyond `expected`. */
  allowedExtra?: readonly string[];
  /** Keys whose value only has to be of the same JSON type (ids chosen by the producer). */
  anyValue?: readonly string[];
  /** Keys of `expected` that `actual` may lack (fields the API has since dropped). */
  notRequired?: readonly string[];
}

/**
 * Compares `actual` with a documented `expected`: every field of `expected` must be in
 * `actual` with the same value (recursively; arrays of the same length), and `actual` may
 * have other fields only where allowed. Returns the problems found, by JSON path.
 */
export function subsetProblems(actual: unknown, expected: unknown, opts: SubsetOptions = {}, path = '$'): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array`];
    if (actual.length !== expected.length) return [`${path}: length ${actual.length} != ${expected.length}`];
    return expected.flatMap((e, i) => subsetProblems(actual[i], e, opts, `${path}[${i}]`));
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [`${path}: expected an object`];
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const problems = Object.keys(e).flatMap((k) => {
      if (!Object.hasOwn(a, k)) return opts.notRequired?.includes(k) ? [] : [`${path}.${k}: missing`];
      if (opts.anyValue?.includes(k)) {
        return typeof a[k] === typeof e[k] ? [] : [`${path}.${k}: ${typeof a[k]} is not a ${typeof e[k]}`];
      }
      return subsetProblems(a[k], e[k], opts, `${path}.${k}`);
    });
    for (const k of Object.keys(a)) {
      if (!Object.hasOwn(e, k) && !opts.allowedExtra?.includes(k)) problems.push(`${path}.${k}: unexpected field`);
    }
    return problems;
  }
  return Object.is(actual, expected) ? [] : [`${path}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`];
}
