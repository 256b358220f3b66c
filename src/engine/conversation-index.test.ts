import { describe, expect, it } from 'vitest';
import type { ContentBlock, TurnMessage } from '../turn/types.js';
import { ConversationIndex, type IndexedSession, type Slot } from './conversation-index.js';
import type { SessionRecord } from './session-map.js';

class Fake implements IndexedSession {
  closed = 0;
  constructor(
    readonly id: string,
    public state: IndexedSession['state'] = 'idle',
    public pendingToolIds: string[] = [],
    public lastUsed = 0,
  ) {}
  close(): void {
    this.closed++;
    this.state = 'closed';
  }
}

const slot = (session: Fake, over: Partial<Slot<Fake>> = {}): Slot<Fake> => ({
  session,
  shape: 's',
  fp: 'h1',
  client: 'c',
  inputTokens: 0,
  outputTokens: 0,
  ...over,
});
const text = (t: string): ContentBlock => ({ type: 'text', text: t });
const history: TurnMessage[] = [
  { role: 'user', content: [text('a')] },
  { role: 'assistant', content: [text('b')] },
];

function index(records: Record<string, string> = {}) {
  const map = new Map(Object.entries(records).map(([fp, id]) => [fp, { fingerprint: fp, cliSessionId: id } as SessionRecord]));
  return { idx: new ConversationIndex<Fake>({ get: (fp) => map.get(fp), delete: (fp) => void map.delete(fp) }), map };
}

describe('ConversationIndex.plan', () => {
  it('prefers the live session of the same explicit conversation id among identical histories', () => {
    const { idx } = index();
    const a = slot(new Fake('a'), { explicitId: 'x' });
    const b = slot(new Fake('b'), { explicitId: 'y' });
    idx.add(a);
    idx.add(b);
    expect(idx.plan({ shape: 's', fpHistory: 'h1', history, input: [text('c')], explicitId: 'y' })).toEqual({ kind: 'live', slot: b });
  });

  it('never continues a busy session or one of another shape', () => {
    const { idx } = index();
    idx.add(slot(new Fake('busy', 'busy')));
    idx.add(slot(new Fake('other'), { shape: 't' }));
    expect(idx.plan({ shape: 's', fpHistory: 'h1', history, input: [text('c')] }).kind).toBe('rebuild');
  });

  it('resumes from the session map once, and rebuilds while that session is still live elsewhere', () => {
    const { idx, map } = index({ h1: 'cli-1' });
    idx.add(slot(new Fake('cli-1', 'busy'), { fp: 'h0' }));
    expect(idx.plan({ shape: 's', fpHistory: 'h1', history, input: [text('c')] }).kind).toBe('rebuild');
    idx.all()[0].session.state = 'closed';
    expect(idx.plan({ shape: 's', fpHistory: 'h1', history, input: [text('c')] })).toEqual({ kind: 'resume', cliSessionId: 'cli-1' });
    expect(map.has('h1')).toBe(false);
  });

  it('matches tool results to a waiting session by their ids, ignoring punctuation the client removed', () => {
    const { idx } = index();
    const waiting = slot(new Fake('w', 'waiting_tools', ['call_1', 'call_2']), { fp: 'elsewhere' });
    idx.add(waiting);
    const input: ContentBlock[] = [
      { type: 'tool_result', tool_use_id: 'call2', content: 'x' },
      { type: 'tool_result', tool_use_id: 'call1', content: 'y' },
    ];
    expect(idx.plan({ shape: 's', fpHistory: 'h9', history, input })).toEqual({ kind: 'live', slot: waiting });
    // A subset of the pending calls is not that session's answer.
    expect(idx.plan({ shape: 's', fpHistory: 'h9', history, input: input.slice(0, 1) }).kind).toBe('rebuild');
  });

  it('an empty history is a new conversation', () => {
    const { idx } = index();
    expect(idx.plan({ shape: 's', fpHistory: 'h0', history: [], input: [text('hi')] })).toEqual({ kind: 'new' });
  });
});

describe('ConversationIndex eviction', () => {
  it('closes idle sessions beyond the cap, least recently used first, never busy ones', () => {
    const { idx } = index();
    const old = new Fake('old', 'idle', [], 1);
    const busy = new Fake('busy', 'busy', [], 0);
    const recent = new Fake('recent', 'idle', [], 5);
    for (const s of [old, busy, recent]) idx.add(slot(s));
    expect(idx.evictOverflow(2).map((s) => s.session.id)).toEqual(['old']);
    expect(busy.closed + recent.closed).toBe(0);
  });

  it('closes idle sessions unused for longer than the idle time', () => {
    const { idx } = index();
    const stale = new Fake('stale', 'idle', [], 0);
    const waiting = new Fake('waiting', 'waiting_tools', ['t'], 0);
    const fresh = new Fake('fresh', 'idle', [], 9_000);
    for (const s of [stale, waiting, fresh]) idx.add(slot(s));
    expect(idx.evictIdle(10_000, 5_000).map((s) => s.session.id)).toEqual(['stale']);
  });
});
