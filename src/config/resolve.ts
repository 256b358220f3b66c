import path from 'node:path';
import { type Config, defaultDataDir, defaults } from './defaults.js';
import { SettingsStore } from './settings.js';

export interface ResolvedConfig {
  config: Config;
  settings: SettingsStore;
  /** Problems to log once the logger exists (invalid settings file...). */
  warnings: string[];
}

const isLoopback = (h: string) => h === '127.0.0.1' || h === 'localhost' || h === '::1' || h === '[::1]' || h.startsWith('127.');

/** defaults < settings.json < MAXPROXY_* env < flags. */
export function resolveConfig(flags: Partial<Config>, env: Partial<Config>): ResolvedConfig {
  // Absolute: login items, the lock file and `maxproxy status` name it from elsewhere.
  const dataDir = path.resolve(flags.dataDir ?? env.dataDir ?? defaultDataDir());
  const settings = new SettingsStore(dataDir);
  const warnings: string[] = [];
  warnings.push(...settings.warnings);
  const merged: Config = { ...defaults(), ...settings.get(), ...env, ...flags, dataDir };
  merged.models = { ...settings.get().models, ...env.models, ...flags.models };
  merged.clientBudgets = mergeBudgets(settings.get().clientBudgets, env.clientBudgets, flags.clientBudgets);
  if (merged.apiKey === '') merged.apiKey = undefined;
  if (!isLoopback(merged.host) && !merged.apiKey) {
    throw new Error(
      `refusing to listen on ${merged.host} without an API key: anyone who can reach it could spend your subscription. ` +
        `Set --api-key (or MAXPROXY_API_KEY), or bind 127.0.0.1.`,
    );
  }
  return { config: merged, settings, warnings };
}

/** Client names match in any case: a later source's `openclaw` replaces an earlier `OpenClaw`. */
function mergeBudgets(...sources: Array<Record<string, number> | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const src of sources) {
    for (const [name, pct] of Object.entries(src ?? {})) {
      for (const k of Object.keys(out)) if (k.toLowerCase() === name.toLowerCase()) delete out[k];
      out[name] = pct;
    }
  }
  return out;
}
