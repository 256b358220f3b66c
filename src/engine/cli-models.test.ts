import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CliModelLoader } from './cli-models.js';
import { ModelRegistry } from './models.js';

const rows = [{ value: 'sonnet', resolvedModel: 'claude-sonnet-5-5', displayName: 'Sonnet', description: 'Sonnet 5.5 · Efficient' }];
const log = pino({ level: 'silent' });

describe('CliModelLoader', () => {
  it("prefers a running session's list and loads once", async () => {
    const reg = new ModelRegistry();
    let fresh = 0;
    let live = 0;
    const loader = new CliModelLoader(
      reg,
      async () => {
        fresh++;
        return rows;
      },
      log,
    );
    const fromLive = () => {
      live++;
      return Promise.resolve(rows);
    };
    await loader.ensure(fromLive);
    await loader.ensure(fromLive);
    expect([live, fresh]).toEqual([1, 0]);
    expect(reg.list().map((m) => m.id)).toContain('claude-sonnet-5-5');
  });

  it('starts its own CLI without a session, and tries again after a failure', async () => {
    const reg = new ModelRegistry();
    let calls = 0;
    const loader = new CliModelLoader(
      reg,
      async () => {
        calls++;
        if (calls === 1) throw new Error('binary missing');
        return rows;
      },
      log,
    );
    await loader.ensure(() => undefined);
    expect(reg.isLoaded).toBe(false);
    await loader.ensure(() => undefined);
    expect(reg.isLoaded).toBe(true);
    expect(calls).toBe(2);
  });
});
