import type { TurnRecord } from '../turn/turn-record.js';

/** A TurnRecord for tests (pure code only; integration tests get real ones from the engine). */
export function turn(p: Partial<TurnRecord> & { endedAt: number }): TurnRecord {
  return {
    startedAt: p.endedAt - 500,
    requestId: `req-${p.endedAt}-${Math.random().toString(36).slice(2, 7)}`,
    sessionId: 'sess-1',
    client: 'curl',
    endpoint: 'chat.completions',
    modelRequested: 'sonnet',
    modelServed: 'claude-sonnet-5-5',
    status: 'ok',
    usage: { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
    durationMs: 500,
    billing: 'plan',
    ...p,
  };
}
