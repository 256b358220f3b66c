import type { ContentBlock, TurnMessage } from '../turn/types.js';
import { normalizeToolId } from './fingerprint.js';
import type { SessionRecord } from './session-map.js';

/** What the index needs of a live session (LiveSession, or a fake in tests). */
export interface IndexedSession {
  readonly id: string;
  readonly state: 'starting' | 'idle' | 'busy' | 'waiting_tools' | 'closed';
  readonly pendingToolIds: readonly string[];
  readonly lastUsed: number;
  close(): void;
}

/** A live session plus what recognises its conversation. */
export interface Slot<S extends IndexedSession = IndexedSession> {
  session: S;
  /** System prompt + tools + output schema: a session only continues requests of its own shape. */
  shape: string;
  /** Fingerprint of the conversation the process holds, after its last answer. */
  fp?: string;
  client: string;
  explicitId?: string;
  inputTokens: number;
  outputTokens: number;
}

/** The part of the session map (data dir) the index reads and moves. */
export interface SessionMapLike {
  get(fp: string): SessionRecord | undefined;
  delete(fp: string): void;
}

/** What a request's history and new input look like to the index. */
export interface Lookup {
  shape: string;
  /** Fingerprint of the request's history (everything before the new user input). */
  fpHistory: string;
  history: readonly TurnMessage[];
  input: readonly ContentBlock[];
  explicitId?: string;
}

/** How a request will reach its conversation. */
export type Plan<S extends IndexedSession> =
  /** A live process holds exactly this history (or waits for these tool results). */
  | { kind: 'live'; slot: Slot<S> }
  /** The session map knows the CLI session that ended at this history: `--resume` it. */
  | { kind: 'resume'; cliSessionId: string }
  /**
   * No process knows it: write these messages as a transcript and resume that. With
   * `autoContinue` the transcript ends in the client's tool results and the CLI runs the
   * turn by itself (a stream-json user message cannot carry tool results).
   */
  | { kind: 'rebuild'; messages: TurnMessage[]; autoContinue: boolean }
  /** An empty history: a new conversation (a warm spare may serve it). */
  | { kind: 'new' };

const toolResultIds = (input: readonly ContentBlock[]): Set<string> =>
  new Set(input.flatMap((b) => (b.type === 'tool_result' ? [normalizeToolId(b.tool_use_id)] : [])));

/**
 * The live sessions and the rules that decide which conversation a request continues.
 * Pure bookkeeping over `{id, state, pendingToolIds, close}`: spawning, transcripts and
 * the CLI are the engine's.
 */
export class ConversationIndex<S extends IndexedSession> {
  private readonly slots = new Set<Slot<S>>();

  constructor(private readonly map: SessionMapLike) {}

  add(slot: Slot<S>): void {
    this.slots.add(slot);
  }

  remove(slot: Slot<S>): void {
    this.slots.delete(slot);
  }

  get size(): number {
    return this.slots.size;
  }

  all(): Slot<S>[] {
    return [...this.slots];
  }

  byId(id: string): Slot<S> | undefined {
    return this.all().find((s) => s.session.id === id);
  }

  /**
   * Decides how a request continues its conversation. Side effect, by design: processes
   * suspended in tool calls of this very history whose client moved on without the
   * results are closed (they can only ever go on with those results), and a session-map
   * entry that is resumed is taken out of the map (resuming the same point twice would
   * fork the conversation).
   */
  plan(q: Lookup): Plan<S> {
    const bringsResults = q.input.some((b) => b.type === 'tool_result');
    if (q.history.length > 0) {
      const live = this.findLive(q, bringsResults);
      if (live) return { kind: 'live', slot: live };
    }
    if (bringsResults) return { kind: 'rebuild', messages: [...q.history, { role: 'user', content: [...q.input] }], autoContinue: true };
    if (q.history.length === 0) return { kind: 'new' };
    const rec = this.map.get(q.fpHistory);
    const busy = rec !== undefined && this.all().some((s) => s.session.id === rec.cliSessionId && s.session.state !== 'closed');
    if (rec && !busy) {
      this.map.delete(q.fpHistory);
      return { kind: 'resume', cliSessionId: rec.cliSessionId };
    }
    return { kind: 'rebuild', messages: [...q.history], autoContinue: false };
  }

  private findLive(q: Lookup, bringsResults: boolean): Slot<S> | undefined {
    const matching = this.all().filter((s) => s.fp === q.fpHistory && s.shape === q.shape);
    // A process suspended in tool calls can only go on with their results; an idle one, with anything.
    const usable = matching.filter((s) => (s.session.state === 'waiting_tools' ? bringsResults : s.session.state === 'idle'));
    const live = usable.find((s) => s.explicitId === q.explicitId) ?? usable[0];
    if (live) return live;
    if (bringsResults) {
      // Some clients re-send a tool-call turn without its text (content:null): the results
      // themselves still name the calls a waiting process is suspended in.
      const ids = toolResultIds(q.input);
      const byIds = this.all().find(
        (s) =>
          s.shape === q.shape &&
          s.session.state === 'waiting_tools' &&
          s.session.pendingToolIds.length === ids.size &&
          s.session.pendingToolIds.every((id) => ids.has(normalizeToolId(id))),
      );
      if (byIds) return byIds;
    }
    // The client moved on without answering the calls: that process cannot serve it any more.
    for (const s of matching) if (s.session.state === 'waiting_tools') s.session.close();
    return undefined;
  }

  /** Idle processes beyond `max` live sessions go, least recently used first. Returns those closed. */
  evictOverflow(max: number): Slot<S>[] {
    const idle = this.all()
      .filter((s) => s.session.state === 'idle')
      .sort((a, b) => a.session.lastUsed - b.session.lastUsed);
    const closed: Slot<S>[] = [];
    let excess = this.slots.size - max;
    for (const s of idle) {
      if (excess <= 0) break;
      s.session.close();
      closed.push(s);
      excess--;
    }
    return closed;
  }

  /** Idle processes unused for longer than `idleMs` go. Returns those closed. */
  evictIdle(now: number, idleMs: number): Slot<S>[] {
    const closed: Slot<S>[] = [];
    for (const s of this.all()) {
      if (s.session.state === 'idle' && now - s.session.lastUsed > idleMs) {
        s.session.close();
        closed.push(s);
      }
    }
    return closed;
  }
}
