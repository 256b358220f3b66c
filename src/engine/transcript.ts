import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TimeSlicer } from '../event-loop/time-slicer.js';
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

/**
 * Blocks the upstream would refuse in replayed history are dropped: unsigned thinking, and
 * hosted search and fetch blocks (without the upstream's encrypted_content they cannot be
 * replayed, and a fetch the daemon ran was never the upstream's; the answer text stays).
 */
function replayable(blocks: ContentBlock[]): ContentBlock[] {
  return blocks.filter(
    (b) => !(b.type === 'thinking' && !b.signature) && b.type !== 'server_tool_use' && b.type !== 'web_search_result' && b.type !== 'web_fetch_result',
  );
}

export interface TranscriptOptions {
  sessionId: string;
  cwd: string;
  version: string;
  model: string;
  /** Maps a client tool name to the name the CLI knows it by (mcp__client__x). */
  toolName?: (clientName: string) => string;
}

/** The transcript's lines (JSON, one entry each), produced one at a time. */
function* transcriptLines(history: TurnMessage[], opts: TranscriptOptions): Generator<string> {
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
    yield JSON.stringify(entry);
    parent = uuid;
  }
}

export function buildTranscript(history: TurnMessage[], opts: TranscriptOptions): string {
  return `${[...transcriptLines(history, opts)].join('\n')}\n`;
}

/** Lines gathered into one write. */
const WRITE_BATCH_CHARS = 1024 * 1024;

/**
 * Writes a synthetic transcript for `history` and returns the session id to resume. A long
 * history (megabytes of pasted files) is serialised a batch at a time with yields between
 * batches and written asynchronously, so it never holds the event loop in one block.
 */
export async function writeTranscript(
  history: TurnMessage[],
  childEnv: Record<string, string | undefined>,
  opts: Omit<TranscriptOptions, 'sessionId'>,
  slicer = new TimeSlicer(),
): Promise<string> {
  const sessionId = randomUUID();
  const file = transcriptPath(childEnv, opts.cwd, sessionId);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const out = await fs.promises.open(file, 'w', 0o600);
  try {
    let batch: string[] = [];
    let chars = 0;
    let written = false;
    const flush = async () => {
      written = true;
      await out.write(`${batch.join('\n')}\n`);
      batch = [];
      chars = 0;
    };
    for (const line of transcriptLines(history, { ...opts, sessionId })) {
      batch.push(line);
      chars += line.length;
      if (chars >= WRITE_BATCH_CHARS || slicer.spent()) {
        await flush();
        await slicer.pause();
      }
    }
    // An empty history is written as buildTranscript writes it: one newline.
    if (batch.length || !written) await flush();
  } finally {
    await out.close();
  }
  return sessionId;
}
