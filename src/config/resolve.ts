import path from 'node:path';
import { isIpLiteral, isLoopbackAddress, noKeyMessage } from './bind-address.js';
import { type Config, defaultDataDir, defaults } from './defaults.js';
import { SettingsStore } from './settings.js';

export interface ResolvedConfig {
  config: Config;
  settings: SettingsStore;
  /** Problems to log once the logger exists (invalid settings file...). */
  warnings: string[];
}

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
  // Flags and env refuse a blank key (flags.ts), settings.json by its schema: no path turns the check off silently.
  // A host name is resolved before listening (checkBindNeedsKey in main): this catches literals early.
  if (isIpLiteral(merged.host) && !isLoopbackAddress(merged.host) && !merged.apiKey) throw new Error(noKeyMessage(merged.host));
  if (merged.allowedOrigins.length > 0 && !merged.apiKey) {
    throw new Error(
      'refusing --allowed-origin without an API key: any page on that origin could otherwise spend your subscription. ' +
        'Set --api-key-file, MAXPROXY_API_KEY or --api-key as well.',
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
