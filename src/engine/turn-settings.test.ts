import type { Query } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import type { TurnRequest } from '../turn/types.js';
import { SettingsApplier, settingsOf, startOptions, unsupportedSettings } from './turn-settings.js';

const req = (extra: Partial<TurnRequest>): TurnRequest => ({ model: 'sonnet', messages: [], tools: [], conversation: {}, stream: false, ...extra });

/** Records the control requests a live process would get. */
function fakeQuery() {
  const calls: unknown[] = [];
  const q = {
    applyFlagSettings: async (s: unknown) => void calls.push(['flags', s]),
    setMaxThinkingTokens: async (n: unknown) => void calls.push(['thinking', n]),
  } as unknown as Query;
  return { q, calls };
}

describe('settingsOf', () => {
  it('keeps effort, thinking off/budget and max tokens; adaptive or budget-less thinking is the default', () => {
    expect(settingsOf(req({ effort: 'xhigh', maxTokens: 900, thinking: { type: 'disabled' } }))).toEqual({ effort: 'xhigh', maxTokens: 900, thinking: 'off' });
    expect(settingsOf(req({ thinking: { type: 'enabled', budgetTokens: 2048 } }))).toEqual({ thinking: { budget: 2048 } });
    expect(settingsOf(req({ thinking: { type: 'adaptive' } }))).toEqual({});
    expect(settingsOf(req({ thinking: { type: 'enabled' } }))).toEqual({});
  });
});

describe('startOptions', () => {
  it('maps to the Agent SDK options a process starts with', () => {
    expect(startOptions({ effort: 'low', thinking: 'off', maxTokens: 1000 })).toEqual({
      effort: 'low',
      thinking: { type: 'disabled' },
      settings: { env: { CLAUDE_CODE_MAX_OUTPUT_TOKENS: '1000' } },
    });
    expect(startOptions({ thinking: { budget: 3000 } })).toEqual({ thinking: { type: 'enabled', budgetTokens: 3000 } });
    expect(startOptions({})).toEqual({});
  });
});

describe('SettingsApplier', () => {
  it('sends only what changed, and goes back to the defaults when a setting is no longer sent', async () => {
    const { q, calls } = fakeQuery();
    const a = new SettingsApplier({});
    await a.apply(q, {});
    expect(calls).toEqual([]);
    await a.apply(q, { effort: 'high', maxTokens: 500, thinking: 'off' });
    expect(calls).toEqual([
      ['flags', { effortLevel: 'high' }],
      ['flags', { env: { CLAUDE_CODE_MAX_OUTPUT_TOKENS: '500' } }],
      ['thinking', 0],
    ]);
    calls.length = 0;
    await a.apply(q, { effort: 'high', maxTokens: 500, thinking: 'off' });
    expect(calls).toEqual([]);
    await a.apply(q, {});
    expect(calls).toEqual([
      ['flags', { effortLevel: null }],
      ['flags', { env: { CLAUDE_CODE_MAX_OUTPUT_TOKENS: '' } }],
      ['thinking', null],
    ]);
  });

  it('turns thinking back on with a budget when the process started with a thinking setting (null would keep it)', async () => {
    const { q, calls } = fakeQuery();
    const a = new SettingsApplier({ thinking: 'off' });
    await a.apply(q, {});
    expect(calls).toEqual([['thinking', 31_999]]);
  });
});

describe('unsupportedSettings', () => {
  const sonnet55 = { value: 'sonnet', supportsEffort: true, supportedEffortLevels: ['low', 'medium', 'high', 'xhigh', 'max'], supportsThinkingOff: false };
  const sonnet46 = { value: 'claude-sonnet-4-6', supportsEffort: true, supportedEffortLevels: ['low', 'medium', 'high', 'max'], supportsThinkingOff: true };

  it("names what the model cannot take, in the client's field names", () => {
    const r = req({ thinking: { type: 'disabled' }, effort: 'xhigh', settingFields: { thinking: 'reasoning_effort', effort: 'reasoning_effort' } });
    expect(unsupportedSettings(r, sonnet55)).toEqual(['reasoning_effort']);
    expect(unsupportedSettings(r, sonnet46)).toEqual(['reasoning_effort']);
    expect(unsupportedSettings(req({ effort: 'high' }), { value: 'x', supportsEffort: false })).toEqual(['effort']);
    expect(unsupportedSettings(req({ effort: 'high', thinking: { type: 'disabled' } }), sonnet46)).toEqual([]);
    expect(unsupportedSettings(r, undefined)).toEqual([]);
  });
});
