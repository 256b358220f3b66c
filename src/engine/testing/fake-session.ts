import { randomUUID } from 'node:crypto';
import { TurnCollector } from '../../turn/collect.js';
import { type ContentBlock, emptyUsage, type TurnEvent } from '../../turn/types.js';
import { Channel } from '../channel.js';
import type { LiveState, TurnOutcome } from '../live-session.js';
import type { CliModelInfo } from '../models.js';
import type { EngineSession, SessionSpec } from '../session-factory.js';
import type { TurnSettings } from '../turn-settings.js';

/** What a fake session answers to the next turn: text, or client tool calls (it then waits for their results). */
export type FakeReply = { text: string } | { toolCalls: Array<{ id: string; name: string; input?: Record<string, unknown> }> };

/**
 * A stand-in for a Claude Code process, for unit tests of the engine's bookkeeping.
 * It answers each turn from a script of replies (default: "echo:<input text>") and
 * records what it was sent.
 */
export class FakeSession implements EngineSession {
  readonly id: string;
  state: LiveState = 'idle';
  model: string;
  pid = undefined;
  turns = 0;
  lastUsed = Date.now();
  pendingToolIds: string[] = [];
  readonly autoContinues: boolean;
  readonly sent: ContentBlock[][] = [];
  readonly replies: FakeReply[] = [];
  private readonly closedFns: Array<() => void> = [];

  constructor(readonly spec: SessionSpec) {
    this.id = spec.resume ?? randomUUID();
    this.model = spec.model;
    this.autoContinues = spec.autoContinue === true;
  }

  async setModel(model: string): Promise<void> {
    this.model = model;
  }

  async setToolsEnabled(): Promise<void> {}

  /** What the engine asked of this session before each turn. */
  readonly settingsApplied: TurnSettings[] = [];

  async applySettings(settings: TurnSettings): Promise<void> {
    this.settingsApplied.push(settings);
  }

  async supportedModels(): Promise<CliModelInfo[]> {
    return [];
  }

  runTurn(content: ContentBlock[]): { events: AsyncIterable<TurnEvent>; done: Promise<TurnOutcome> } {
    if (this.state === 'closed') throw new Error('session is closed');
    this.sent.push(content);
    this.turns++;
    this.lastUsed = Date.now();
    const reply = this.replies.shift() ?? { text: `echo:${content.map((b) => (b.type === 'text' ? b.text : b.type)).join(' ')}` };
    const events: TurnEvent[] = [{ type: 'start', messageId: `msg_${this.turns}`, model: this.model, sessionId: this.id, usage: emptyUsage() }];
    if ('text' in reply) {
      events.push(
        { type: 'block_start', index: 0, block: { type: 'text' } },
        { type: 'text_delta', index: 0, text: reply.text },
        { type: 'block_stop', index: 0 },
      );
    } else {
      reply.toolCalls.forEach((c, index) => {
        events.push(
          { type: 'block_start', index, block: { type: 'tool_use', id: c.id, name: c.name } },
          { type: 'tool_input_delta', index, partialJson: JSON.stringify(c.input ?? {}) },
          { type: 'block_stop', index },
        );
      });
    }
    const waits = !('text' in reply);
    events.push({ type: 'stop', stopReason: waits ? 'tool_use' : 'end_turn', usage: { ...emptyUsage(), inputTokens: 3, outputTokens: 2 } });
    const fold = new TurnCollector();
    const out = new Channel<TurnEvent>();
    for (const e of events) {
      fold.push(e);
      out.push(e);
    }
    out.end();
    this.state = waits ? 'waiting_tools' : 'idle';
    this.pendingToolIds = waits && 'toolCalls' in reply ? reply.toolCalls.map((c) => c.id) : [];
    const done = Promise.resolve<TurnOutcome>({
      ok: true,
      assistant: { role: 'assistant', content: fold.content() },
      closed: false,
      fold: fold.summary(),
      collected: fold.outcome(),
      firstOutputAt: Date.now(),
    });
    return { events: out, done };
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const fn of this.closedFns) fn();
  }

  onClosed(fn: () => void): void {
    this.closedFns.push(fn);
  }
}
