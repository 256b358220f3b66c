/**
 * Conversations kept for `previous_response_id` (see api/responses/history.ts): state and
 * file I/O, kept out of the pure translation layer.
 *
 * - Bounded: the least recently used entries go past `maxEntries` (default 500).
 * - Optionally persisted to one JSON file (mode 0600: it holds conversation text),
 *   written atomically at most once per `persistDelayMs` after a change (DebouncedJsonFile),
 *   and loaded when constructed. A missing file is an empty store; an unreadable one is
 *   reported through `onError` and the store starts empty (the daemon must not die of it).
 * - Successive responses of one conversation share their message objects; the file
 *   stores each distinct message once, so a long thread does not grow quadratically.
 * - Stored conversations are shared, not copied: callers treat them as read-only
 *   (parseResponsesRequest never mutates history, see mergeTurns).
 */
import { readFileSync } from 'node:fs';
import { assistantMessageFrom, type HistoryLookup, type StoredConversation } from '../api/responses/history.js';
import type { TurnResult } from '../turn/collect.js';
import type { TurnMessage } from '../turn/types.js';
import { DebouncedJsonFile } from './debounced-json-file.js';

export interface ResponseStoreOptions {
  maxEntries?: number;
  /** JSON file to load from and persist to; memory only when absent. */
  filePath?: string;
  persistDelayMs?: number;
  onError?: (err: Error) => void;
}

interface StoreFile {
  version: 1;
  /** Every distinct message once. */
  messages: TurnMessage[];
  /** Oldest first: [response id, system, indices into messages]. */
  entries: Array<[string, string | null, number[]]>;
}

export class ResponseStore {
  private readonly entries = new Map<string, StoredConversation>();
  private readonly maxEntries: number;
  private readonly file?: DebouncedJsonFile;

  constructor(opts: ResponseStoreOptions = {}) {
    this.maxEntries = Math.max(1, opts.maxEntries ?? 500);
    const onError = opts.onError ?? (() => {});
    if (opts.filePath !== undefined) {
      this.load(opts.filePath, onError);
      this.file = new DebouncedJsonFile({ file: opts.filePath, delayMs: opts.persistDelayMs ?? 1000, snapshot: () => this.serialize(), onError });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The conversation ending with response `id`; counts as a use for the LRU order. */
  get(id: string): StoredConversation | undefined {
    const conv = this.entries.get(id);
    if (conv !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, conv);
    }
    return conv;
  }

  /** `get` as a function, to hand to parseResponsesRequest. */
  readonly lookup: HistoryLookup = (id) => this.get(id);

  put(id: string, conv: StoredConversation): void {
    this.entries.delete(id);
    this.entries.set(id, conv);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.schedule();
  }

  /** Stores a finished turn: the request's conversation plus the assistant's answer. */
  record(id: string, conversation: StoredConversation, result: TurnResult): void {
    const answer = assistantMessageFrom(result);
    this.put(id, {
      ...(conversation.system !== undefined ? { system: conversation.system } : {}),
      messages: answer ? [...conversation.messages, answer] : [...conversation.messages],
    });
  }

  delete(id: string): boolean {
    const had = this.entries.delete(id);
    if (had) this.schedule();
    return had;
  }

  /** Writes pending changes now; resolves when written (errors go to onError). */
  async flush(): Promise<void> {
    await this.file?.flush();
  }

  /** Writes pending changes synchronously, for process exit. */
  flushSync(): void {
    this.file?.flushSync();
  }

  private schedule(): void {
    this.file?.changed();
  }

  private serialize(): StoreFile {
    const index = new Map<TurnMessage, number>();
    const messages: TurnMessage[] = [];
    const entries: StoreFile['entries'] = [];
    for (const [id, conv] of this.entries) {
      const refs = conv.messages.map((m) => {
        let i = index.get(m);
        if (i === undefined) {
          i = messages.push(m) - 1;
          index.set(m, i);
        }
        return i;
      });
      entries.push([id, conv.system ?? null, refs]);
    }
    return { version: 1, messages, entries };
  }

  private load(filePath: string, onError: (err: Error) => void): void {
    let text: string;
    try {
      text = readFileSync(filePath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') onError(asError(e));
      return;
    }
    try {
      const file: unknown = JSON.parse(text);
      if (!isStoreFile(file)) throw new Error('not a response store file (version 1)');
      for (const [id, system, refs] of file.entries.slice(-this.maxEntries)) {
        const messages = refs.map((i) => file.messages[i]);
        this.entries.set(id, system === null ? { messages } : { system, messages });
      }
    } catch (e) {
      this.entries.clear();
      onError(new Error(`response store ${filePath} ignored: ${asError(e).message}`));
    }
  }
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

const isJsonObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isStoreFile(v: unknown): v is StoreFile {
  if (!isJsonObject(v) || v.version !== 1 || !Array.isArray(v.messages) || !Array.isArray(v.entries)) return false;
  const messages = v.messages;
  const messageOk = (m: unknown): boolean => isJsonObject(m) && (m.role === 'user' || m.role === 'assistant') && Array.isArray(m.content);
  return (
    messages.every(messageOk) &&
    v.entries.every(
      (e) =>
        Array.isArray(e) &&
        e.length === 3 &&
        typeof e[0] === 'string' &&
        (e[1] === null || typeof e[1] === 'string') &&
        Array.isArray(e[2]) &&
        e[2].every((i) => Number.isInteger(i) && i >= 0 && i < messages.length),
    )
  );
}
