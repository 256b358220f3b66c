import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assistantMessageFrom } from '../api/responses/history.js';
import { parseResponsesRequest } from '../api/responses/parse-responses-request.js';
import type { TurnResult } from '../turn/collect.js';
import type { TurnMessage } from '../turn/types.js';
import { ResponseStore } from './response-store.js';

const user = (text: string): TurnMessage => ({ role: 'user', content: [{ type: 'text', text }] });
const result = (content: TurnResult['content']): TurnResult => ({
  messageId: 'm',
  model: 'claude',
  sessionId: 's',
  content,
  stopReason: 'end_turn',
  stopSequence: null,
  usage: { inputTokens: 1, outputTokens: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
  rateLimits: [],
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'response-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('ResponseStore in memory', () => {
  it('records a turn with the answer appended', () => {
    const store = new ResponseStore();
    store.record('resp_1', { system: 'sys', messages: [user('hi')] }, result([{ type: 'text', text: 'hello' }]));
    expect(store.get('resp_1')).toEqual({
      system: 'sys',
      messages: [user('hi'), { role: 'assistant', content: [{ type: 'text', text: 'hello' }] }],
    });
    expect(store.get('resp_missing')).toBeUndefined();
  });

  it('adds no empty assistant message', () => {
    expect(assistantMessageFrom(result([]))).toBeUndefined();
    const store = new ResponseStore();
    store.record('r', { messages: [user('a')] }, result([]));
    expect(store.get('r')).toEqual({ messages: [user('a')] });
  });

  it('evicts the least recently used entry past maxEntries (get counts as use)', () => {
    const store = new ResponseStore({ maxEntries: 2 });
    store.put('a', { messages: [user('a')] });
    store.put('b', { messages: [user('b')] });
    store.get('a');
    store.put('c', { messages: [user('c')] });
    expect(store.size).toBe(2);
    expect(store.get('b')).toBeUndefined();
    expect(store.get('a')).toBeDefined();
    expect(store.get('c')).toBeDefined();
  });

  it('serves as the history lookup of parseResponsesRequest across turns', () => {
    const store = new ResponseStore();
    const ctx = { headers: {} };
    const first = parseResponsesRequest(
      {
        model: 'm',
        input: [
          { role: 'developer', content: 'dev' },
          { role: 'user', content: 'one' },
        ],
      },
      ctx,
    );
    store.record('resp_1', first.conversation, result([{ type: 'text', text: 'uno' }]));
    const second = parseResponsesRequest({ model: 'm', input: 'two', previous_response_id: 'resp_1', instructions: 'ins' }, ctx, store.lookup);
    expect(second.request.system).toBe('ins\n\ndev');
    expect(second.request.messages).toEqual([user('one'), { role: 'assistant', content: [{ type: 'text', text: 'uno' }] }, user('two')]);
    expect(store.delete('resp_1')).toBe(true);
    expect(() => parseResponsesRequest({ model: 'm', input: 'x', previous_response_id: 'resp_1' }, ctx, store.lookup)).toThrow(
      "Previous response with id 'resp_1' not found.",
    );
  });
});

describe('ResponseStore on disk', () => {
  it('persists atomically (0600, no temp file left) and loads on construct, in LRU order', async () => {
    const file = join(dir, 'sub', 'responses.json');
    const store = new ResponseStore({ filePath: file, persistDelayMs: 10_000 });
    const shared = user('shared');
    store.put('r1', { system: 's', messages: [shared] });
    store.put('r2', { messages: [shared, { role: 'assistant', content: [{ type: 'text', text: 'a' }] }] });
    await store.flush();

    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['responses.json']);
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as { messages: unknown[]; entries: unknown[] };
    expect(onDisk.messages).toHaveLength(2); // the shared message is stored once
    expect(onDisk.entries).toEqual([
      ['r1', 's', [0]],
      ['r2', null, [0, 1]],
    ]);

    const reloaded = new ResponseStore({ filePath: file, maxEntries: 1 });
    expect(reloaded.size).toBe(1);
    expect(reloaded.get('r2')).toEqual({ messages: [shared, { role: 'assistant', content: [{ type: 'text', text: 'a' }] }] });
    expect(reloaded.get('r1')).toBeUndefined();
  });

  it('writes after persistDelayMs without an explicit flush', async () => {
    const file = join(dir, 'r.json');
    const store = new ResponseStore({ filePath: file, persistDelayMs: 5 });
    store.put('r1', { messages: [user('x')] });
    for (let waited = 0; waited < 2000 && new ResponseStore({ filePath: file }).size === 0; waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(new ResponseStore({ filePath: file }).get('r1')).toEqual({ messages: [user('x')] });
  });

  it('flushSync writes at once', () => {
    const file = join(dir, 'sync.json');
    const store = new ResponseStore({ filePath: file, persistDelayMs: 10_000 });
    store.put('r1', { messages: [user('x')] });
    store.flushSync();
    expect(new ResponseStore({ filePath: file }).size).toBe(1);
  });

  it('starts empty without a file, and reports an unreadable file instead of dying', () => {
    const errors: Error[] = [];
    expect(new ResponseStore({ filePath: join(dir, 'none.json'), onError: (e) => errors.push(e) }).size).toBe(0);
    expect(errors).toEqual([]);

    for (const bad of ['{not json', '{"version":2,"messages":[],"entries":[]}', '{"version":1,"messages":[],"entries":[["r",null,[3]]]}']) {
      const file = join(dir, 'bad.json');
      writeFileSync(file, bad);
      const store = new ResponseStore({ filePath: file, onError: (e) => errors.push(e) });
      expect(store.size).toBe(0);
    }
    expect(errors).toHaveLength(3);
    expect(errors[1].message).toContain('not a response store file');
  });

  it('reports a failed write through onError and keeps the change pending', async () => {
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'a file where a directory should be');
    const errors: Error[] = [];
    const store = new ResponseStore({ filePath: join(blocker, 'r.json'), persistDelayMs: 10_000, onError: (e) => errors.push(e) });
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOTDIR']); // reading it at start
    store.put('r1', { messages: [user('x')] });
    await store.flush();
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOTDIR', 'ENOTDIR']); // writing under a file
    expect(store.get('r1')).toBeDefined();
    // Still pending: once the directory can exist, the next flush writes it.
    rmSync(blocker);
    await store.flush();
    expect(new ResponseStore({ filePath: join(blocker, 'r.json') }).get('r1')).toEqual({ messages: [user('x')] });
    expect(errors).toHaveLength(2);
  });
});
