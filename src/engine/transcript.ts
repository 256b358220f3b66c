import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergeTurns } from '../turn/merge-turns.js';
import type { ContentBlock, TurnMessage } from '../turn/types.js';

/**
 * Rebuilding a conversation the CLI has never seen (first contact after a restart,
 * an edited or regenerated history): write it as a Claude Code transcript and let
 * the CLI resume it, so the model sees real role-alternating messages with their
 * tool calls and images instead of a flattened text. The entry shape is the one the
 * pinned CLI writes itself (captured in test/fixtures/cli/transcript-*.jsonl).
 */

/** The CLI keys transcripts by working directory with every non-alphanumeric replaced by '-'. */
export const projectDirName = (cwd: string): string => cwd.replace(/[^a-zA-Z0-9]/g, '-');

export function claudeConfigDir(childEnv: Record<string, string | undefined>): string {
  return childEnv.CLAUDE_CONFIG_DIR || path.join(childEnv.HOME || os.homedir(), '.claude');
}

export function transcriptPath(childEnv: Record<string, string | undefined>, cwd: string, sessionId: string): string {
  return path.join(claudeConfigDir(childEnv), 'projects', projectDirName(cwd), `${sessionId}.jsonl`);
}

/** Blocks the upstream would refuse in replayed history are dropped (unsigned thinking). */
function replayable(blocks: ContentBlock[]): ContentBlock[] {
  return blocks.filter((b) => !(b.type === 'thinking' && !b.signature));
}

export interface TranscriptOptions {
  sessionId: string;
  cwd: string;
  version: string;
  model: string;
  /** Maps a client tool name to the name the CLI knows it by (mcp__client__x). */
  toolName?: (clientName: string) => string;
}

export function buildTranscript(history: TurnMessage[], opts: TranscriptOptions): string {
  const lines: string[] = [];
  let parent: string | null = null;
  const ts = new Date().toISOString();
  for (const m of mergeTurns(history)) {
    const uuid = randomUUID();
    let content = replayable(m.content);
    if (opts.toolName) {
      content = content.map((b) => (b.type === 'tool_use' ? { ...b, name: opts.toolName!(b.name) } : b));
    }
    if (content.length === 0) content = [{ type: 'text', text: '' }];
    const base = {
      parentUuid: parent,
      isSidechain: false,
      uuid,
      timestamp: ts,
      userType: 'external',
      entrypoint: 'sdk-ts',
      cwd: opts.cwd,
      sessionId: opts.sessionId,
      version: opts.version,
    };
    const entry =
      m.role === 'user'
        ? { ...base, type: 'user', message: { role: 'user', content } }
        : {
            ...base,
            type: 'assistant',
            message: {
              id: `msg_${uuid.replace(/-/g, '').slice(0, 24)}`,
              type: 'message',
              role: 'assistant',
              model: opts.model,
              content,
              stop_reason: content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
              stop_sequence: null,
              usage: { input_tokens: 0, output_tokens: 0 },
            },
          };
    lines.push(JSON.stringify(entry));
    parent = uuid;
  }
  return `${lines.join('\n')}\n`;
}

/** Writes a synthetic transcript for `history` and returns the session id to resume. */
export function writeTranscript(history: TurnMessage[], childEnv: Record<string, string | undefined>, opts: Omit<TranscriptOptions, 'sessionId'>): string {
  const sessionId = randomUUID();
  const file = transcriptPath(childEnv, opts.cwd, sessionId);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, buildTranscript(history, { ...opts, sessionId }), { mode: 0o600 });
  return sessionId;
}
