/**
 * opencode: JSONC, the global config in `$XDG_CONFIG_HOME/opencode/` (`~/.config/opencode/`
 * on Linux and macOS alike), `opencode.jsonc`, `opencode.json` or `config.json`; or the file
 * `$OPENCODE_CONFIG` names. A custom provider is `provider.<id>` with the AI SDK package it
 * is driven by, `options.baseURL`/`options.apiKey`, and `models` keyed by id; the default
 * model is the top-level `model`, "provider/model".
 */
import fs from 'node:fs';
import path from 'node:path';
import { editConfig, getPath, type JsonOp, parseConfig } from './json-edit.js';
import { type ClientFormat, type Edit, PROVIDER, type ProviderView, rootOf, type Target } from './types.js';

const PROVIDER_PATH = ['provider', PROVIDER];

function providerEntry(t: Target) {
  return {
    npm: '@ai-sdk/openai-compatible',
    name: 'maxproxy',
    options: { baseURL: `${t.url}/v1`, apiKey: t.apiKey ?? 'maxproxy' },
    models: Object.fromEntries(t.models.map((m) => [m.id, { name: m.name }])),
  };
}

export const opencode: ClientFormat = {
  id: 'opencode',
  title: 'opencode',
  defaultPath(env, home) {
    if (env.OPENCODE_CONFIG?.trim()) return env.OPENCODE_CONFIG.trim();
    const dir = path.join(env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config'), 'opencode');
    // Edit the file the user already has; opencode reads all three.
    for (const name of ['opencode.jsonc', 'opencode.json', 'config.json']) {
      if (fs.existsSync(path.join(dir, name))) return path.join(dir, name);
    }
    return path.join(dir, 'opencode.json');
  },
  empty: '{\n  "$schema": "https://opencode.ai/config.json"\n}\n',
  apply(text, file, t): Edit {
    const ops: JsonOp[] = [{ path: PROVIDER_PATH, value: providerEntry(t) }];
    const notes: string[] = [];
    let previousDefault: unknown;
    if (t.defaultModel) {
      const current = getPath(parseConfig(text, file, 'jsonc'), ['model']);
      if (!(typeof current === 'string' && current.startsWith(`${PROVIDER}/`))) previousDefault = current ?? null;
      ops.push({ path: ['model'], value: `${PROVIDER}/${t.defaultModel}` });
      notes.push(`opencode's default model is now ${PROVIDER}/${t.defaultModel}.`);
    } else {
      notes.push('Pick a maxproxy model in opencode with /models (or run again with --set-default).');
    }
    return { text: editConfig(text, file, 'jsonc', ops), notes, previousDefault };
  },
  remove(text, file, previous): Edit {
    const config = parseConfig(text, file, 'jsonc');
    const ops: JsonOp[] = [{ path: PROVIDER_PATH, value: undefined }];
    const notes: string[] = [];
    const model = getPath(config, ['model']);
    if (typeof model === 'string' && model.startsWith(`${PROVIDER}/`)) {
      const back = typeof previous === 'string' ? previous : undefined;
      ops.push({ path: ['model'], value: back });
      notes.push(back ? `The default model is ${back} again, as before --set-default.` : `The default model was ${model}; it is removed.`);
    }
    return { text: editConfig(text, file, 'jsonc', ops), notes };
  },
  inspect(text, file): ProviderView | undefined {
    const config = parseConfig(text, file, 'jsonc');
    const p = getPath(config, PROVIDER_PATH) as { options?: { baseURL?: unknown; apiKey?: unknown }; models?: unknown } | undefined;
    if (!p || typeof p !== 'object') return undefined;
    const baseUrl = typeof p.options?.baseURL === 'string' ? p.options.baseURL : undefined;
    const model = getPath(config, ['model']);
    return {
      baseUrl,
      root: baseUrl ? rootOf(baseUrl) : undefined,
      models: p.models && typeof p.models === 'object' ? Object.keys(p.models) : [],
      defaultModel: typeof model === 'string' && model.startsWith(`${PROVIDER}/`) ? model.slice(PROVIDER.length + 1) : undefined,
      apiKey: typeof p.options?.apiKey === 'string' ? p.options.apiKey : undefined,
    };
  },
};
