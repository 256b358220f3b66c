import type { EffortLevel, Options, Query } from '@anthropic-ai/claude-agent-sdk';
import type { TurnRequest } from '../turn/types.js';
import type { CliModelInfo } from './models.js';

/**
 * The client's per-request model settings as Claude Code can take them (measured with
 * 2.1.330 against the mock; table in docs/settings.md):
 * - effort → `output_config.effort`: the `effort` option at start, `applyFlagSettings({effortLevel})`
 *   on a live process (null = the model's default again);
 * - thinking off / a budget → the `thinking` option at start, `setMaxThinkingTokens(0 | N)`
 *   live (models with adaptive thinking treat any N > 0 as "on");
 * - max tokens → `CLAUDE_CODE_MAX_OUTPUT_TOKENS` in the flag-settings `env` (at start and live;
 *   an empty value restores the default).
 * Undefined fields mean "the CLI's default", so a request that stops sending a setting gets
 * the default back on a live session.
 */
export interface TurnSettings {
  effort?: EffortLevel;
  thinking?: 'off' | { budget: number };
  maxTokens?: number;
}

export function settingsOf(req: TurnRequest): TurnSettings {
  const s: TurnSettings = {};
  if (req.effort) s.effort = req.effort;
  if (req.thinking?.type === 'disabled') s.thinking = 'off';
  else if (req.thinking?.type === 'enabled' && req.thinking.budgetTokens !== undefined && req.thinking.budgetTokens > 0)
    s.thinking = { budget: req.thinking.budgetTokens };
  if (req.maxTokens !== undefined) s.maxTokens = req.maxTokens;
  return s;
}

/** Query options that start a process with these settings (a turn the CLI runs by itself needs them up front). */
export function startOptions(s: TurnSettings): Partial<Options> {
  return {
    ...(s.effort ? { effort: s.effort } : {}),
    ...(s.thinking === 'off' ? { thinking: { type: 'disabled' as const } } : {}),
    ...(typeof s.thinking === 'object' ? { thinking: { type: 'enabled' as const, budgetTokens: s.thinking.budget } } : {}),
    ...(s.maxTokens !== undefined ? { settings: { env: { CLAUDE_CODE_MAX_OUTPUT_TOKENS: String(s.maxTokens) } } } : {}),
  };
}

const thinkingKey = (t: TurnSettings['thinking']): string => (t === undefined ? 'default' : t === 'off' ? 'off' : `budget:${t.budget}`);

/** A budget that means "thinking on" when a process started with thinking off must go back to the default. */
const THINKING_ON_AGAIN = 31_999;

/**
 * Keeps a live process's settings equal to the current request's: only what changed is
 * sent, as control requests, before the turn's message.
 */
export class SettingsApplier {
  private current: TurnSettings;
  private readonly startedWithThinking: boolean;

  constructor(initial: TurnSettings) {
    this.current = { ...initial };
    this.startedWithThinking = initial.thinking !== undefined;
  }

  async apply(q: Query, next: TurnSettings): Promise<void> {
    const cur = this.current;
    if (cur.effort !== next.effort) await q.applyFlagSettings({ effortLevel: next.effort ?? null });
    if (cur.maxTokens !== next.maxTokens)
      // An empty value is the CLI's default again (measured); clearing the key ({env: null}) is not.
      await q.applyFlagSettings({ env: { CLAUDE_CODE_MAX_OUTPUT_TOKENS: next.maxTokens === undefined ? '' : String(next.maxTokens) } });
    if (thinkingKey(cur.thinking) !== thinkingKey(next.thinking)) {
      const t = next.thinking;
      // null goes back to the spawn-time setting, which is not the default when the process started with one.
      if (t === undefined) await q.setMaxThinkingTokens(this.startedWithThinking ? THINKING_ON_AGAIN : null);
      else await q.setMaxThinkingTokens(t === 'off' ? 0 : t.budget);
    }
    this.current = { ...next };
  }
}

/**
 * What the chosen model cannot do of what the request asked, in the client's field names
 * (from the CLI's own model list: supportsEffort, supportedEffortLevels, supportsThinkingOff).
 * The CLI silently sends its default instead; maxproxy reports it.
 */
export function unsupportedSettings(req: TurnRequest, model: CliModelInfo | undefined): string[] {
  if (!model) return [];
  const out: string[] = [];
  const f = req.settingFields ?? {};
  if (req.effort && (model.supportsEffort === false || (model.supportedEffortLevels && !model.supportedEffortLevels.includes(req.effort))))
    out.push(f.effort ?? 'effort');
  if (req.thinking?.type === 'disabled' && model.supportsThinkingOff === false) out.push(f.thinking ?? 'thinking');
  return out;
}
