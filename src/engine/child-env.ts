/**
 * The CLI child's environment. The Agent SDK's `env` REPLACES the child's
 * environment, so this is the whole of it.
 */

/** Would make the CLI bill an API key or talk to another endpoint instead of the user's subscription. */
export const STRIPPED_VARS = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_BASE_URL',
  'CLAUDECODE',
  'CLAUDE_CODE_ENTRYPOINT',
  // Cloud providers would bill a cloud account instead of the subscription.
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CODE_USE_FOUNDRY',
  'ANTHROPIC_BEDROCK_BASE_URL',
  'ANTHROPIC_VERTEX_BASE_URL',
  'ANTHROPIC_FOUNDRY_BASE_URL',
];

export interface ChildEnvOptions {
  /** --claude-env: set on purpose by the user, so these win over the stripping. */
  explicit: Record<string, string>;
  maxRetries: number;
}

export function buildChildEnv(parent: NodeJS.ProcessEnv, opts: ChildEnvOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) {
    if (v === undefined || STRIPPED_VARS.includes(k) || k.startsWith('MAXPROXY_')) continue;
    env[k] = v;
  }
  // No title generation or other side requests per session; no self-update of a pinned binary.
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  env.DISABLE_AUTOUPDATER = '1';
  // The CLI's default retry budget holds an auth failure for minutes; clients retry themselves.
  env.CLAUDE_CODE_MAX_RETRIES = String(opts.maxRetries);
  // Client tools added mid-session must not turn into a deferred tool-search placeholder.
  env.ENABLE_TOOL_SEARCH = 'false';
  for (const [k, v] of Object.entries(opts.explicit)) env[k] = v;
  return env;
}
