/** What `maxproxy connect` writes into a client's config, whatever the client. */

export const CLIENTS = ['openclaw', 'opencode', 'codex'] as const;
export type ClientId = (typeof CLIENTS)[number];

/** The provider name every client gets. */
export const PROVIDER = 'maxproxy';

export interface ServedModel {
  id: string;
  name: string;
}

/** What the provider entry says. */
export interface Target {
  /** The daemon's root URL, e.g. http://127.0.0.1:3456 (no /v1). */
  url: string;
  /** The daemon's API key, when one is set (else clients get a placeholder they need not keep secret). */
  apiKey?: string;
  models: ServedModel[];
  /** OpenClaw only: which wire format it speaks to us. */
  api: 'openai' | 'anthropic';
  /** When set, make this model the client's default (OpenClaw: with no fallbacks). */
  defaultModel?: string;
}

/** What a config file says about the maxproxy provider (for doctor and for the summary). */
export interface ProviderView {
  /** The base URL the client will call (as written: with /v1 for OpenAI formats). */
  baseUrl?: string;
  /** The daemon root that base URL means (no /v1). */
  root?: string;
  models: string[];
  /** The client's default model ref when it points at maxproxy. */
  defaultModel?: string;
  /** The key the provider entry holds (connect reuses a client key it already holds; never printed). */
  apiKey?: string;
}

/** A client config that could not be read; carries the line so the user can find it. */
export class ConfigParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: cannot be parsed (${reason}); it was left untouched`);
  }
}

/** One client's format: where its config lives, and how to edit it. */
export interface ClientFormat {
  id: ClientId;
  /** Human name. */
  title: string;
  /** The file the client reads by default (env and home decide). */
  defaultPath(env: NodeJS.ProcessEnv, home: string): string;
  /** Text of a new file holding nothing but our provider. */
  empty: string;
  /** Adds or updates the provider (and the default when asked); throws ConfigParseError. */
  apply(text: string, file: string, target: Target): Edit;
  /** Takes the provider (and a default that points at it) out; throws ConfigParseError. */
  /** `previous`: the tool's default before `--set-default` replaced it, put back when the default is ours. */
  remove(text: string, file: string, previous?: unknown): Edit;
  /** Reads what the file says about maxproxy, or undefined when it has no such provider. */
  inspect(text: string, file: string): ProviderView | undefined;
}

export interface Edit {
  text: string;
  /** Things the user should know (a default set, agents that keep their own model…). */
  notes: string[];
  /** `--set-default` replaced this default (JSON; null when there was none): remembered so `--remove` can put it back. */
  previousDefault?: unknown;
}

/** http://host:port/v1 → http://host:port. */
export function rootOf(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}
