import { query, type SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import type { Logger } from '../log/logger.js';
import { Channel } from './channel.js';
import type { CliModelInfo, ModelRegistry } from './models.js';
import type { ProcessGroups } from './process-group.js';

export interface CliModelsOptions {
  claudePath: string;
  cwd: string;
  env: Record<string, string>;
  groups: ProcessGroups;
  timeoutMs: number;
}

/**
 * Asks the pinned Claude Code which models it can use (the Agent SDK's `supportedModels()`,
 * answered from the CLI's initialize response: no request reaches the upstream). The
 * process is started with the same environment as every session, so the list is the one
 * this login sees, and ended at once.
 */
export async function fetchCliModels(o: CliModelsOptions): Promise<CliModelInfo[]> {
  const input = new Channel<SDKUserMessage>();
  const q = query({
    prompt: input,
    options: {
      pathToClaudeCodeExecutable: o.claudePath,
      cwd: o.cwd,
      env: o.env,
      tools: [],
      settingSources: [],
      strictMcpConfig: true,
      spawnClaudeCodeProcess: (s) => o.groups.spawn({ command: s.command, args: s.args, cwd: s.cwd, env: s.env, signal: s.signal }, () => undefined) as never,
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Claude Code did not list its models within ${o.timeoutMs} ms`)), o.timeoutMs);
    });
    return (await Promise.race([q.supportedModels(), timeout])) as CliModelInfo[];
  } finally {
    if (timer) clearTimeout(timer);
    input.end();
    q.close();
  }
}

/**
 * Loads the CLI's model list into a registry once, on first need: from a running
 * session's process when there is one (`fromLive`), else from a short-lived CLI. Never
 * rejects; after a failure the aliases and pass-through ids stay served and the next call
 * tries again.
 */
export class CliModelLoader {
  private loading?: Promise<void>;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly fresh: () => Promise<CliModelInfo[]>,
    private readonly log: Logger,
  ) {}

  ensure(fromLive: () => Promise<CliModelInfo[]> | undefined): Promise<void> {
    if (this.registry.isLoaded) return Promise.resolve();
    this.loading ??= (async () => {
      try {
        this.registry.load(await (fromLive() ?? this.fresh()));
        this.log.debug({ models: this.registry.list().map((m) => m.id) }, "Claude Code's model list");
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'could not read the model list from Claude Code; serving its aliases and well-formed Claude ids');
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
