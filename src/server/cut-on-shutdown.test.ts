import { describe, expect, it } from 'vitest';
import type { TurnEvent } from '../turn/types.js';
import { SHUTDOWN_ERROR, untilShutdown } from './cut-on-shutdown.js';

describe('untilShutdown', () => {
  it('passes events through, then ends a stalled turn with the shutdown error and stops it', async () => {
    async function* turn(): AsyncGenerator<TurnEvent> {
      yield { type: 'text_delta', index: 0, text: 'partial' };
      await new Promise(() => undefined); // the CLI stalls
    }
    const cut = new AbortController();
    const seen: TurnEvent[] = [];
    const done = (async () => {
      for await (const e of untilShutdown(turn(), cut.signal)) seen.push(e);
    })();
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([{ type: 'text_delta', index: 0, text: 'partial' }]);
    cut.abort();
    await done;
    expect(seen.at(-1)).toEqual(SHUTDOWN_ERROR);
  });

  it('a turn that ends first is untouched', async () => {
    async function* turn(): AsyncGenerator<TurnEvent> {
      yield { type: 'text_delta', index: 0, text: 'all' };
    }
    const seen: TurnEvent[] = [];
    for await (const e of untilShutdown(turn(), new AbortController().signal)) seen.push(e);
    expect(seen).toEqual([{ type: 'text_delta', index: 0, text: 'all' }]);
  });
});
