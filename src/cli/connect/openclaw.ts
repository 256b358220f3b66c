/**
 * OpenClaw: one JSON5 file, `$OPENCLAW_CONFIG_PATH`, else `$OPENCLAW_STATE_DIR/openclaw.json`,
 * else `~/.openclaw/openclaw.json` (both variables may start with `~`). Custom providers
 * live in `models.providers.<id>` ({baseUrl, api, apiKey, models: [{id, name, input}]});
 * the agents' default model is `agents.defaults.model`, a "provider/model" string or
 * `{primary, fallbacks}`. OpenClaw validates the whole file strictly and refuses to start
 * on unknown keys, so only documented keys are written.
 */
import path from 'node:path';
import { editConfig, getPath, type JsonOp, parseConfig } from './json-edit.js';
import { type ClientFormat, type Edit, PROVIDER, type ProviderView, rootOf, type Target } from './types.js';

const PROVIDER_PATH = ['models', 'providers', PROVIDER];
const DEFAULT_PATH = ['agents', 'defaults', 'model'];
/** Listed in the agents' model map, every maxproxy model shows in `/model` when that map is in use. */
const PICKER_PATH = ['agents', 'defaults', 'models', `${PROVIDER}/*`];

const expandHome = (p: string, home: string) => (p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p);

function providerEntry(t: Target) {
  const anthropic = t.api === 'anthropic';
  return {
    baseUrl: anthropic ? t.url : `${t.url}/v1`,
    api: anthropic ? 'anthropic-messages' : 'openai-completions',
    // OpenClaw wants a key for every provider; without --api-key maxproxy accepts any.
    apiKey: t.apiKey ?? 'maxproxy',
    models: t.models.map((m) => ({ id: m.id, name: m.name, input: ['text', 'image'] })),
  };
}

const primaryOf = (model: unknown): string | undefined =>
  typeof model === 'string' ? model : model && typeof model === 'object' ? ((model as { primary?: unknown }).primary as string | undefined) : undefined;

/** Agents that name their own model keep it: say so, since they will not route through maxproxy. */
function agentsWithOwnModel(config: Record<string, unknown>): string[] {
  const out: string[] = [];
  const list = getPath(config, ['agents', 'list']);
  const entries = getPath(config, ['agents', 'entries']);
  const items: Array<[string, unknown]> = Array.isArray(list)
    ? list.map((a, i) => [String((a as { id?: unknown })?.id ?? i), a])
    : entries && typeof entries === 'object'
      ? Object.entries(entries)
      : [];
  for (const [id, agent] of items) {
    const p = primaryOf((agent as { model?: unknown } | undefined)?.model);
    if (p && !p.startsWith(`${PROVIDER}/`)) out.push(`${id} (${p})`);
  }
  return out;
}

export const openclaw: ClientFormat = {
  id: 'openclaw',
  title: 'OpenClaw',
  defaultPath(env, home) {
    if (env.OPENCLAW_CONFIG_PATH?.trim()) return expandHome(env.OPENCLAW_CONFIG_PATH.trim(), home);
    const state = env.OPENCLAW_STATE_DIR?.trim() ? expandHome(env.OPENCLAW_STATE_DIR.trim(), home) : path.join(home, '.openclaw');
    return path.join(state, 'openclaw.json');
  },
  empty: '{}\n',
  apply(text, file, t): Edit {
    const config = parseConfig(text, file, 'json5');
    const ops: JsonOp[] = [{ path: PROVIDER_PATH, value: providerEntry(t) }];
    const notes: string[] = [];
    const picker = getPath(config, ['agents', 'defaults', 'models']);
    if (picker && typeof picker === 'object' && Object.keys(picker).length > 0) ops.push({ path: PICKER_PATH, value: getPath(config, PICKER_PATH) ?? {} });
    let previousDefault: unknown;
    if (t.defaultModel) {
      const ref = `${PROVIDER}/${t.defaultModel}`;
      const current = getPath(config, DEFAULT_PATH);
      if (!primaryOf(current)?.startsWith(`${PROVIDER}/`)) previousDefault = current ?? null;
      ops.push({ path: DEFAULT_PATH, value: { primary: ref, fallbacks: [] } });
      notes.push(
        `The agents' default model is now ${ref} with no fallbacks: if maxproxy cannot answer, OpenClaw reports the error instead of calling another provider.`,
      );
      const own = agentsWithOwnModel(config);
      if (own.length) notes.push(`These agents keep their own model and do not route through maxproxy: ${own.join(', ')}.`);
    } else {
      const current = primaryOf(getPath(config, DEFAULT_PATH));
      notes.push(
        current?.startsWith(`${PROVIDER}/`)
          ? `The agents' default model stays ${current}.`
          : `The agents' default model is unchanged${current ? ` (${current})` : ''}; pick a maxproxy model with /model, or run again with --set-default to route every agent through maxproxy with no fallback.`,
      );
    }
    return { text: editConfig(text, file, 'json5', ops), notes, previousDefault };
  },
  remove(text, file, previous): Edit {
    const config = parseConfig(text, file, 'json5');
    const ops: JsonOp[] = [
      { path: PROVIDER_PATH, value: undefined },
      { path: PICKER_PATH, value: undefined },
    ];
    const notes: string[] = [];
    const current = primaryOf(getPath(config, DEFAULT_PATH));
    if (current?.startsWith(`${PROVIDER}/`)) {
      const back = previous ?? undefined;
      ops.push({ path: DEFAULT_PATH, value: back });
      notes.push(
        back === undefined
          ? `The agents' default model was ${current}; it is removed, so OpenClaw uses its own default again.`
          : `The agents' default model is ${primaryOf(back) ?? 'what it was'} again, as before --set-default.`,
      );
    }
    return { text: editConfig(text, file, 'json5', ops), notes };
  },
  inspect(text, file): ProviderView | undefined {
    const config = parseConfig(text, file, 'json5');
    const p = getPath(config, PROVIDER_PATH) as { baseUrl?: unknown; models?: unknown; apiKey?: unknown } | undefined;
    if (!p || typeof p !== 'object') return undefined;
    const baseUrl = typeof p.baseUrl === 'string' ? p.baseUrl : undefined;
    const models = Array.isArray(p.models) ? p.models.map((m) => String((m as { id?: unknown })?.id)) : [];
    const primary = primaryOf(getPath(config, DEFAULT_PATH));
    return {
      baseUrl,
      root: baseUrl ? rootOf(baseUrl) : undefined,
      models,
      defaultModel: primary?.startsWith(`${PROVIDER}/`) ? primary.slice(PROVIDER.length + 1) : undefined,
      apiKey: typeof p.apiKey === 'string' ? p.apiKey : undefined,
    };
  },
};
