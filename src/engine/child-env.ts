/**
 * The CLI child's environment. The Agent SDK's `env` REPLACES the child's
 * environment, so this is the whole of it.
 */

/**
 * Every compaction knob of the pinned CLI (2.1.330) besides the switch itself: a user's
 * value must not bring back a summary the client never sees (docs/decisions/030).
 */
export const COMPACTION_VARS = [
  'CLAUDE_AUTOCOMPACT_PCT_OVERRIDE',
  'CLAUDE_CODE_AUTO_COMPACT_WINDOW',
  'CLAUDE_CODE_IDLE_COMPACT_MIN_TOKENS',
  'CLAUDE_CODE_SLEEP_COMPACT',
  'CLAUDE_CODE_SLEEP_COMPACT_AFTER_MS',
  'CLAUDE_CODE_COLD_COMPACT',
  'CLAUDE_CODE_MAX_CONTEXT_TOKENS',
];

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
  // Settings that would turn compaction (the CLI rewriting the client's history) back on or tune it.
  ...COMPACTION_VARS,
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
  // Never rewrite the client's history: no automatic, reactive (prompt too long), idle or
  // manual compaction. DISABLE_COMPACT covers all of them; DISABLE_AUTO_COMPACT is the
  // older switch for the automatic one (measured with 2.1.330 against the mock).
  env.DISABLE_COMPACT = '1';
  env.DISABLE_AUTO_COMPACT = '1';
  // The client's tools come from an MCP server on the command line: connect it before the
  // first turn, so a turn the CLI starts by itself already has them (docs/decisions/034).
  env.MCP_CONNECTION_NONBLOCKING = 'false';
  // The CLI gives a server 5 s to connect, then goes on without its tools; a cold start on
  // a loaded machine can take longer, and a request without the client's tools is wrong.
  env.MCP_CONNECT_TIMEOUT_MS = '120000';
  env.MCP_TIMEOUT = '120000';
  for (const [k, v] of Object.entries(opts.explicit)) env[k] = v;
  return env;
}
