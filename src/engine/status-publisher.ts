import type { StatusStore } from '../status/store.js';
import type { TurnEvent } from '../turn/types.js';
import type { Slot } from './conversation-index.js';
import type { Limiter } from './limiter.js';
import type { EngineSession } from './session-factory.js';

/** What the engine tells the status store (tray, /health, /status): sessions, the queue, what turns report. */

/** Counts tokens and rate limits as they pass, for status and the tray. */
export async function* trackStatus(status: StatusStore, slot: Slot<EngineSession>, events: AsyncIterable<TurnEvent>): AsyncIterable<TurnEvent> {
  for await (const ev of events) {
    if (ev.type === 'stop') {
      const u = ev.usage;
      slot.inputTokens += u.inputTokens + u.cacheReadInputTokens + u.cacheCreationInputTokens;
      slot.outputTokens += u.outputTokens;
      status.addTokens(u.inputTokens + u.cacheReadInputTokens + u.cacheCreationInputTokens + u.outputTokens);
      status.setClaude({ login: 'logged_in' });
      status.clearWarning('upstream-retry');
    } else if (ev.type === 'keepalive') {
      // The CLI is retrying upstream: visible in the tray and /health until a turn succeeds.
      status.setWarning({ id: 'upstream-retry', level: 'warning', message: `Anthropic API trouble: ${ev.reason}` });
    } else if (ev.type === 'rate_limit') {
      status.recordRateLimit(ev.info);
    } else if (ev.type === 'error' && ev.error.code === 'not_logged_in') {
      status.setClaude({ login: 'not_logged_in' });
    } else if (ev.type === 'error' && ev.error.code === 'claude_code_version_too_old') {
      const f = ev.error.modelFloor;
      const cliVersion = f?.cliVersion ?? status.snapshot().claude.version;
      status.notify({ kind: 'model-needs-newer-cli', model: f?.model ?? slot.session.model, required: f?.required, cliVersion });
    }
    yield ev;
  }
}

export function publishQueue(status: StatusStore, limiter: Limiter, maxQueue: number): void {
  status.setRequests({ active: limiter.running, queued: limiter.queued, oldestQueuedMs: limiter.oldestWaitMs });
  if (limiter.queued >= maxQueue && maxQueue > 0)
    status.setWarning({
      id: 'queue-full',
      level: 'warning',
      message: `Queue full: ${limiter.running} running, ${limiter.queued} waiting; new requests get 503`,
    });
  else status.clearWarning('queue-full');
}

export function publishSession(status: StatusStore, slot: Slot<EngineSession>, state: 'idle' | 'busy' | 'waiting_tools'): void {
  status.upsertSession({
    id: slot.session.id,
    client: slot.client,
    model: slot.session.model,
    turns: slot.session.turns,
    inputTokens: slot.inputTokens,
    outputTokens: slot.outputTokens,
    lastActivity: Date.now(),
    state,
    pid: slot.session.pid,
  });
}

/** A release that may be called from several places (turn end, failure) and runs once. */
export function onceOnly(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
