import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TurnEvent } from '../turn/types.js';
import { type CliMessage, CliTurnTranslator } from './cli-turn-translator.js';
import { offeredToolHooks } from './offered-tools.js';

/** The CLI's own output for a turn that calls mcp__client__get_time (captured from the pinned CLI). */
const messages = fs
  .readFileSync(fileURLToPath(new URL('../../test/fixtures/cli/tool-use.jsonl', import.meta.url)), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as CliMessage);

function run(offered: Set<string> | undefined): { events: TurnEvent[]; foreign: string[]; tr: CliTurnTranslator } {
  const foreign: string[] = [];
  const tr = new CliTurnTranslator(
    's',
    offeredToolHooks(offered, (n) => foreign.push(n)),
  );
  return { events: messages.flatMap((m) => tr.push(m)), foreign, tr };
}

const toolStarts = (events: TurnEvent[]) => events.filter((e) => e.type === 'block_start' && e.block.type === 'tool_use');

describe('offered tools', () => {
  it('an offered client tool reaches the client under its own name and suspends the turn', () => {
    const { events, foreign, tr } = run(new Set(['get_time']));
    expect(toolStarts(events)).toEqual([expect.objectContaining({ block: expect.objectContaining({ type: 'tool_use', name: 'get_time' }) })]);
    expect(events.some((e) => e.type === 'tool_input_delta')).toBe(true);
    expect(foreign).toEqual([]);
    expect(tr.suspended).toBe(true);
  });

  it.each([
    ['not offered in this turn (tool_choice none)', new Set<string>()],
    ['no tools at all', undefined],
    ['another tool offered', new Set(['get_weather'])],
  ])('%s: the call, its input and its stop never reach the client, and it is reported', (_why, offered) => {
    const { events, foreign, tr } = run(offered);
    expect(toolStarts(events)).toEqual([]);
    expect(events.some((e) => e.type === 'tool_input_delta')).toBe(false);
    // Every block_stop closes a block the client saw start.
    const started = new Set(events.filter((e) => e.type === 'block_start').map((e) => (e as { index: number }).index));
    for (const e of events) if (e.type === 'block_stop') expect(started.has(e.index)).toBe(true);
    expect(foreign).toEqual(['mcp__client__get_time']);
    expect(tr.suspended).toBe(false);
  });

  it('a CLI built-in or a bare name is never a client tool, even when a tool of that name is offered', () => {
    const hooks = offeredToolHooks(new Set(['Bash', 'get_time']), () => undefined);
    expect(hooks.clientToolName?.('Bash')).toBeUndefined();
    expect(hooks.clientToolName?.('get_time')).toBeUndefined();
    expect(hooks.clientToolName?.('mcp__client__get_time')).toBe('get_time');
    expect(hooks.clientToolName?.('mcp__other__get_time')).toBeUndefined();
  });
});
