/**
 * The raw text of a custom (freeform) tool's call while its JSON input streams in.
 *
 * The model answers a custom tool with `{"input": "<text>"}` (prepare-tools.ts), streamed
 * as JSON fragments; Codex wants the text itself (`response.custom_tool_call_input.delta`).
 * This decodes the string value of `input` as far as the fragments so far allow: an escape
 * cut in two, or a high surrogate whose pair has not arrived, waits for the next fragment.
 * When the JSON does not start `{"input": "` (another key first), nothing is streamed and
 * the caller sends the whole text once the input is complete.
 */
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const PREFIX = /^\s*\{\s*"input"\s*:\s*"/;

export class CustomInputStream {
  private json = '';
  private emitted = 0;
  private streamable = true;

  /** Adds a JSON fragment; returns the new text it completes ('' when none). */
  push(fragment: string): string {
    this.json += fragment;
    if (!this.streamable) return '';
    const decoded = this.decodedPrefix();
    if (decoded === undefined) return '';
    const delta = decoded.slice(this.emitted);
    this.emitted = decoded.length;
    return delta;
  }

  /** The JSON received so far. */
  get text(): string {
    return this.json;
  }

  /** The text already given out as deltas. */
  get streamedLength(): number {
    return this.emitted;
  }

  private decodedPrefix(): string | undefined {
    const head = PREFIX.exec(this.json);
    if (head === null) {
      // Not yet enough to tell, or another shape: stop streaming once it cannot be ours.
      if (!couldStillBePrefix(this.json)) this.streamable = false;
      return undefined;
    }
    let out = '';
    for (let i = head[0].length; i < this.json.length; i++) {
      const c = this.json[i];
      if (c === '"') break;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.json[i + 1];
      if (e === undefined) break;
      if (e === 'u') {
        const hex = this.json.slice(i + 2, i + 6);
        if (hex.length < 4) break;
        const code = Number.parseInt(hex, 16);
        if (Number.isNaN(code)) {
          this.streamable = false;
          return undefined;
        }
        out += String.fromCharCode(code);
        i += 5;
        continue;
      }
      const plain = ESCAPES[e];
      if (plain === undefined) {
        this.streamable = false;
        return undefined;
      }
      out += plain;
      i += 1;
    }
    // A lone high surrogate at the end waits for its pair.
    const last = out.charCodeAt(out.length - 1);
    return last >= 0xd800 && last <= 0xdbff ? out.slice(0, -1) : out;
  }
}

/** Whether `s` can still grow into `{"input": "` (whitespace allowed where JSON allows it). */
function couldStillBePrefix(s: string): boolean {
  const compact = s.replace(/\s+/g, '');
  const target = '{"input":"';
  return target.startsWith(compact);
}
