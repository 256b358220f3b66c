/** Which models maxproxy serves right now, and where it answers. */
import type { Config } from '../../config/defaults.js';
import { ModelRegistry } from '../../engine/models.js';
import { readLock } from '../instance-lock.js';
import type { ServedModel } from './types.js';

const urlHost = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);

/** The running daemon's URL, or undefined when none runs for this data dir. */
export function runningUrl(config: Config): string | undefined {
  return readLock(config.dataDir)?.url;
}

/** Where a daemon started with this configuration answers. */
export function configuredUrl(config: Config): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${urlHost(host)}:${config.port}`;
}

export function authHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}`, 'x-api-key': apiKey } : {};
}

/** The running daemon's own list (Anthropic shape: it carries display names). */
export async function daemonModels(url: string, apiKey: string | undefined): Promise<ServedModel[]> {
  const r = await fetch(`${url}/v1/models`, {
    headers: { ...authHeaders(apiKey), 'anthropic-version': '2023-06-01' },
    signal: AbortSignal.timeout(10_000),
  });
  if (!r.ok) throw new Error(`GET ${url}/v1/models answered ${r.status}${r.status === 401 ? ' (pass --api-key or set MAXPROXY_API_KEY)' : ''}`);
  const body = (await r.json()) as { data?: Array<{ id?: unknown; display_name?: unknown }> };
  const out: ServedModel[] = [];
  for (const m of body.data ?? []) {
    if (typeof m.id !== 'string') continue;
    out.push({ id: m.id, name: typeof m.display_name === 'string' ? m.display_name : m.id });
  }
  if (out.length === 0) throw new Error(`GET ${url}/v1/models listed no models`);
  return out;
}

/** The engine's registry with this configuration's extra names: what a daemon started now would serve. */
export function registryModels(config: Config): ServedModel[] {
  return new ModelRegistry(config.models).list().map((m) => ({ id: m.id, name: m.displayName }));
}

/** Whether a model id would be answered (known, or a well-formed Claude id the registry passes through). */
export function isServed(config: Config, id: string): boolean {
  try {
    new ModelRegistry(config.models).resolve(id);
    return true;
  } catch {
    return false;
  }
}
