import type { TimeSlicer } from '../event-loop/time-slicer.js';
import { mergeTurns } from '../turn/merge-turns.js';
import type { ContentBlock, HostedTools, ToolDef, TurnMessage } from '../turn/types.js';
import { digestInSlices, digestOf, isRemembered, LONG_STRING } from './long-digests.js';

/**
 * Conversation fingerprints: how a request is recognised as the continuation of a
 * live session. Clients re-send history in their own shapes (a string instead of
 * text blocks, no thinking blocks, rewritten tool-call ids), so the fingerprint is
 * taken over a normalised form that survives those round trips.
 */

/** Tool-call ids as clients may rewrite them (OpenClaw strips `_`): compare alphanumerics only. */
export const normalizeToolId = (id: string): string => id.replace(/[^a-zA-Z0-9]/g, '');

/** JSON with sorted keys, so `{a,b}` and `{b,a}` hash alike. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

type Hash = (s: string) => string;

function blockKey(b: ContentBlock, sha: Hash): string | undefined {
  switch (b.type) {
    case 'text':
      return undefined; // texts are joined per message below
    case 'image':
      return `i:${sha(b.source.type === 'base64' ? b.source.data : b.source.url).slice(0, 24)}`;
    case 'document': {
      // The data hashed on its own (a PDF is megabytes: prepareFingerprint slices it), then the
      // rest: the same bytes under another title or citation setting is another document.
      const { source, ...rest } = b;
      const data = source.type === 'url' ? source.url : source.type === 'content' ? stableJson(source.content) : source.data;
      return `d:${source.type}:${sha(data).slice(0, 24)}:${sha(stableJson(rest)).slice(0, 24)}`;
    }
    case 'tool_use':
      return `u:${normalizeToolId(b.id)}:${b.name}:${stableJson(b.input)}`;
    case 'tool_result': {
      const c = typeof b.content === 'string' ? b.content : b.content.map((x) => (x.type === 'text' ? x.text : blockKey(x, sha))).join('\n');
      return `r:${normalizeToolId(b.tool_use_id)}:${b.is_error ? 1 : 0}:${c.trim()}`;
    }
    case 'server_tool_use':
    case 'web_search_result':
    case 'web_fetch_result':
      return undefined; // hosted search and fetch blocks: the answer text that follows them is matched
    case 'thinking':
    case 'redacted_thinking':
      return undefined; // many clients drop thinking from the history they re-send
  }
}

/** One normalised line per message, consecutive same-role messages merged. */
export function normalizeMessages(messages: TurnMessage[], sha: Hash = digestOf): string[] {
  return mergeTurns(messages).map((m) => {
    const text = m.content
      .filter((b): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text')
      .map((b) => b.text.trim())
      .filter(Boolean)
      .join('\n');
    const rest = m.content.map((b) => blockKey(b, sha)).filter((k): k is string => k !== undefined);
    return `${m.role}|${sha(text)}|${rest.map(sha).join(',')}`;
  });
}

/** What must match besides the history for a live process to be reusable. */
export function shapeKey(system: string | undefined, tools: ToolDef[], outputSchema?: Record<string, unknown>, hostedTools?: HostedTools): string {
  // Hosted tools are in the shape only when offered, so every other request keeps its key.
  const hosted = hostedTools?.webSearch ? { h: { webSearch: hostedTools.webSearch } } : {}; // the key search sessions had before fetch existed
  // Web fetch's wire position (`field`) is not part of what the session offers the CLI.
  const { field: _field, ...webFetch } = hostedTools?.webFetch ?? { field: '' };
  const fetch = hostedTools?.webFetch ? { f: webFetch } : {};
  return digestOf(
    stableJson({
      s: (system ?? '').trim(),
      t: tools.map((t) => ({ n: t.name, d: t.description ?? '', s: t.inputSchema })),
      o: outputSchema ?? null,
      ...hosted,
      ...fetch,
    }),
  ).slice(0, 32);
}

export function fingerprint(shape: string, messages: TurnMessage[]): string {
  return digestOf(`${shape}\n${normalizeMessages(messages).join('\n')}`).slice(0, 40);
}

/**
 * Hashes ahead, in slices, every long string the fingerprint of `messages` will hash
 * (images, long texts, large tool results), so the synchronous `fingerprint` that
 * follows finds them remembered and the event loop is never held for a whole image.
 */
export async function prepareFingerprint(messages: TurnMessage[], slicer: TimeSlicer): Promise<void> {
  const long: string[] = [];
  normalizeMessages(messages, (s) => {
    if (s.length >= LONG_STRING && !isRemembered(s)) long.push(s);
    return '';
  });
  for (const s of long) await digestInSlices(s, slicer);
}
