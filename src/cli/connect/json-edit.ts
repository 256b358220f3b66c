/**
 * Edits JSON-family config files in place: only the properties we own change, every
 * other byte (comments, order, spacing) stays. JSONC files go through jsonc-parser's
 * modify/applyEdits (the library opencode itself reads its config with); JSON5 files
 * (OpenClaw) go through it too when they are plain JSON/JSONC, and through a lossless
 * JSON5 syntax tree (@croct/json5-parser) when they use JSON5-only syntax (unquoted keys,
 * single quotes…). Every edit is checked by parsing the result again with the client's
 * own parser: anything but exactly the intended change is refused, never written.
 */
import { isDeepStrictEqual } from 'node:util';
import { JsonLexer, JsonObjectNode, JsonParser, JsonTokenType } from '@croct/json5-parser';
import JSON5 from 'json5';
import {
  applyEdits,
  type FormattingOptions,
  findNodeAtLocation,
  type Node as JsonNode,
  modify,
  type ParseError,
  parse as parseJsonc,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';
import { ConfigParseError } from './types.js';

export type Dialect = 'jsonc' | 'json5';
/** One change: set the value at a path (objects created as needed), or delete it (value undefined). */
export interface JsonOp {
  path: string[];
  value: unknown;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function lineCol(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function jsoncErrors(text: string): ParseError[] {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  return errors;
}

/** Parses as the client does; a failure names the line. */
export function parseConfig(text: string, file: string, dialect: Dialect): Obj {
  if (text.trim() === '') return {};
  let value: unknown;
  if (dialect === 'jsonc') {
    const errors: ParseError[] = [];
    value = parseJsonc(text, errors, { allowTrailingComma: true });
    if (errors.length) {
      const { line, column } = lineCol(text, errors[0].offset);
      throw new ConfigParseError(file, line, column, printParseErrorCode(errors[0].error));
    }
  } else {
    try {
      value = JSON5.parse(text);
    } catch (e) {
      const err = e as SyntaxError & { lineNumber?: number; columnNumber?: number };
      throw new ConfigParseError(file, err.lineNumber ?? 1, err.columnNumber ?? 1, err.message.replace(/^JSON5: /, ''));
    }
  }
  if (!isObj(value)) throw new ConfigParseError(file, 1, 1, 'the top level is not an object');
  return value;
}

export function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const k of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function applyToObject(obj: Obj, op: JsonOp): void {
  let cur = obj;
  for (const k of op.path.slice(0, -1)) {
    if (!isObj(cur[k])) {
      if (op.value === undefined) return;
      cur[k] = {};
    }
    cur = cur[k] as Obj;
  }
  const last = op.path[op.path.length - 1];
  if (op.value === undefined) delete cur[last];
  else cur[last] = structuredClone(op.value);
}

/** The file's own indentation and line ending, for inserted text. */
function formatting(text: string): FormattingOptions {
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
  return {
    insertSpaces: !indent.startsWith('\t'),
    tabSize: indent.startsWith('\t') ? 1 : indent.length,
    eol: text.includes('\r\n') ? '\r\n' : '\n',
  };
}

/**
 * jsonc-parser re-formats the region it touches; inside an object written on one line that
 * would rewrite the user's whole object, so there the edit is made unformatted.
 */
function modifyKeepingStyle(text: string, op: JsonOp, fmt: FormattingOptions) {
  const parent = findNodeAtLocation(parseTree(text, [], { allowTrailingComma: true }) as JsonNode, op.path.slice(0, -1));
  const inline = parent && !text.slice(parent.offset, parent.offset + parent.length).includes('\n');
  return modify(text, op.path, op.value, inline ? {} : { formattingOptions: fmt });
}

function editWithJsonc(text: string, ops: JsonOp[]): string {
  let out = text;
  const fmt = formatting(text);
  for (const op of ops) out = applyEdits(out, modifyKeepingStyle(out, op, fmt));
  return out;
}

/**
 * JSON5 through jsonc-parser: a "shadow" of the text where each JSON5-only token (an
 * unquoted key, a single-quoted string) is written as JSON, plus a map back to the
 * original offsets. The edits jsonc-parser computes on the shadow touch only our
 * properties, so mapped back they leave every other byte of the original as it was.
 * Returns undefined when the file uses JSON5 syntax beyond that (hex numbers…).
 */
function editJson5ViaShadow(text: string, ops: JsonOp[]): string | undefined {
  let orig = text;
  const fmt = formatting(text);
  // One op at a time, each on a fresh shadow of the text the previous one produced.
  for (const op of ops) {
    const shadow = shadowOf(orig);
    if (!shadow) return undefined;
    const edits = modifyKeepingStyle(shadow.text, op, fmt).map((e) => {
      const start = shadow.toOrig(e.offset);
      return { offset: start, length: shadow.toOrig(e.offset + e.length) - start, content: e.content };
    });
    orig = applyEdits(orig, edits);
  }
  return orig;
}

/** The text with JSON5-only tokens written as JSON, and a map from its offsets to the original's. */
function shadowOf(text: string): { text: string; toOrig(offset: number): number } | undefined {
  let tokens: ReturnType<typeof JsonLexer.tokenize>;
  try {
    tokens = JsonLexer.tokenize(text);
  } catch {
    return undefined;
  }
  let shadow = '';
  /** [shadowStart, shadowEnd, origEnd] of each rewritten token. */
  const changed: Array<[number, number, number]> = [];
  for (const t of tokens) {
    const from = t.location.start.index;
    const to = t.location.end.index;
    const raw = text.slice(from, to);
    let json = raw;
    if (t.type === JsonTokenType.IDENTIFIER) json = JSON.stringify(raw);
    else if (t.type === JsonTokenType.STRING && raw.startsWith("'")) json = JSON.stringify(JSON5.parse(raw));
    if (json !== raw) changed.push([shadow.length, shadow.length + json.length, to]);
    shadow += json;
  }
  if (jsoncErrors(shadow).length) return undefined;
  return {
    text: shadow,
    toOrig(offset) {
      let delta = 0;
      for (const [start, end, origEnd] of changed) {
        if (offset <= start) break;
        if (offset < end) throw new Error('an edit inside a rewritten token');
        delta = origEnd - end;
      }
      return offset + delta;
    },
  };
}

function editWithJson5Tree(text: string, ops: JsonOp[]): string {
  const root = JsonParser.parse(text, JsonObjectNode);
  for (const op of ops) {
    let cur = root;
    const parents = op.path.slice(0, -1);
    let missing = false;
    for (const k of parents) {
      if (!cur.has(k) || !(cur.get(k) instanceof JsonObjectNode)) {
        if (op.value === undefined) {
          missing = true;
          break;
        }
        cur.set(k, {});
      }
      cur = cur.get(k, JsonObjectNode);
    }
    if (missing) continue;
    const last = op.path[op.path.length - 1];
    if (op.value === undefined) {
      if (cur.has(last)) cur.delete(last);
    } else cur.set(last, op.value as never);
  }
  return root.toString();
}

/** A delete that would leave its parent object empty deletes the parent instead (we created it). */
function pruned(config: Obj, op: JsonOp): JsonOp {
  if (op.value !== undefined) return op;
  let p = op.path;
  while (p.length > 1) {
    const parent = getPath(config, p.slice(0, -1));
    if (!isObj(parent) || Object.keys(parent).some((k) => k !== p[p.length - 1])) break;
    p = p.slice(0, -1);
  }
  return { path: p, value: undefined };
}

/**
 * Applies the ops to the text and returns the new text. Throws ConfigParseError when the
 * file cannot be parsed, and a plain Error when the result would not be exactly the
 * intended change (then nothing must be written).
 */
export function editConfig(text: string, file: string, dialect: Dialect, ops: JsonOp[]): string {
  const before = parseConfig(text, file, dialect);
  // What is already there stays as it is written: a second run changes nothing.
  ops = ops.filter((op) => !isDeepStrictEqual(getPath(before, op.path), op.value));
  if (ops.length === 0) return text;
  ops = ops.map((op) => pruned(before, op));
  const base = text.trim() === '' ? '{}\n' : text;
  let out: string;
  if (dialect === 'jsonc' || jsoncErrors(base).length === 0) out = editWithJsonc(base, ops);
  else out = editJson5ViaShadow(base, ops) ?? editWithJson5Tree(base, ops);
  const expected = structuredClone(before);
  for (const op of ops) applyToObject(expected, op);
  let after: Obj;
  try {
    after = parseConfig(out, file, dialect);
  } catch (e) {
    throw new Error(`editing ${file} would have broken it (${(e as Error).message}); it was left untouched`);
  }
  if (!isDeepStrictEqual(after, expected)) {
    throw new Error(`editing ${file} did not give the intended result; it was left untouched`);
  }
  return out;
}
