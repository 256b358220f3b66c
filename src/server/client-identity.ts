/**
 * The client a request is attributed to, and what its key allows (docs/decisions/090):
 * the key's name when it carried a client key, else the name its User-Agent gives, as
 * before. An unkeyed request whose User-Agent name is also a key's name is labelled
 * "<name> (no key)", so a client pretending to be another cannot spend under, or use up,
 * that key's share.
 */
import { clientName } from '../status/client-name.js';
import type { TurnError } from '../turn/types.js';
import type { Identity } from './guards/client-key-guard.js';

export function clientLabel(identity: Identity, userAgent: string | undefined, isKeyName: (name: string) => boolean): string {
  if (identity.key) return identity.key.name;
  const ua = clientName(userAgent);
  return isKeyName(ua) ? `${ua} (no key)` : ua;
}

/** Resolves a model name to its canonical id; throws for a name that is not served. */
export type ResolveModel = (name: string) => { id: string };

const resolvedId = (resolve: ResolveModel, name: string): string | undefined => {
  try {
    return resolve(name).id;
  } catch {
    return undefined;
  }
};

/** Whether a key limited to `allowed` (names or ids, aliases resolved) may use `requested`. */
export function modelAllowed(allowed: readonly string[] | undefined, requested: string, resolve: ResolveModel): boolean {
  if (!allowed?.length) return true;
  const want = resolvedId(resolve, requested);
  return allowed.some((a) => a.toLowerCase() === requested.toLowerCase() || (want !== undefined && resolvedId(resolve, a) === want));
}

/** 403 in the endpoint's own shape: the key exists and is fine, this model is not one of its models. */
export function modelRefusal(identity: Identity, requested: string, resolve: ResolveModel): TurnError | undefined {
  const key = identity.key;
  if (!key?.models?.length || modelAllowed(key.models, requested, resolve)) return undefined;
  return {
    kind: 'permission',
    code: 'model_not_allowed',
    param: 'model',
    message: `the client key "${key.name}" may not use the model '${requested}'; it may use: ${key.models.join(', ')}`,
  };
}
