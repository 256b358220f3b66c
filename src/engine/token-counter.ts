import fs from 'node:fs';
import { query } from '@anthropic-ai/claude-agent-sdk';
import type { TurnRequest } from '../turn/types.js';
import { CLIENT_SERVER, toCliToolName } from './client-tool-names.js';
import type { ProcessGroups } from './process-group.js';
import { loadToolsModule } from './tools-module.js';
import { transcriptPath, writeTranscript } from './transcript.js';

export interface CountOptions {
  claudePath: string;
  claudeVersion: string;
  cwd: string;
  env: Record<string, string>;
  model: string;
  groups: ProcessGroups;
  timeoutMs: number;
}

/**
 * Counts a request's input tokens the way Claude Code itself does for /context: a
 * short-lived CLI process holding the request (system prompt, client tools, the
 * messages as a resumed transcript) asks upstream's token-count API per category.
 * No model turn runs. The sum is what the request would cost as input, the CLI's
 * own short system prefix included.
 */
export async function countTokens(req: TurnRequest, o: CountOptions): Promise<number> {
  const resume = req.messages.length
    ? await writeTranscript(req.messages, o.env, { cwd: o.cwd, version: o.claudeVersion, model: o.model, toolName: toCliToolName })
    : undefined;
  const bridge = req.tools.length ? new (await loadToolsModule()).ClientToolBridge(req.tools) : undefined;
  const idle = (async function* () {
    await new Promise(() => undefined); // no turn is ever sent
  })();
  const q = query({
    prompt: idle as never,
    options: {
      pathToClaudeCodeExecutable: o.claudePath,
      cwd: o.cwd,
      env: o.env,
      model: o.model,
      tools: [],
      systemPrompt: req.system ?? '',
      settingSources: [],
      strictMcpConfig: true,
      extraArgs: { 'disable-slash-commands': null },
      ...(resume ? { resume } : {}),
      ...(bridge ? { mcpServers: { [CLIENT_SERVER]: { type: 'sdk', name: CLIENT_SERVER, instance: bridge.newServer() as never } } } : {}),
      spawnClaudeCodeProcess: (s) => o.groups.spawn({ command: s.command, args: s.args, cwd: s.cwd, env: s.env, signal: s.signal }) as never,
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = (async () => {
      await q.initializationResult();
      const usage = await q.getContextUsage({ detail: 'full' });
      return usage.categories.filter((c) => c.kind === 'used').reduce((n, c) => n + c.tokens, 0);
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`token count timed out after ${o.timeoutMs} ms`)), o.timeoutMs);
    });
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    q.close();
    bridge?.abortAll();
    if (resume) fs.rm(transcriptPath(o.env, o.cwd, resume), { force: true }, () => undefined);
  }
}
