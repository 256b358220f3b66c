/**
 * Chat Completions `tools` (and the legacy `functions`), `tool_choice` (and the legacy
 * `function_call`) to canonical ones.
 *
 * - `{type:'function', function:{name, description, parameters, strict}}` → a ToolDef whose
 *   inputSchema is `parameters` unchanged (a missing one becomes an empty object schema);
 *   `strict` is accepted and unused. Names must match OpenAI's ^[a-zA-Z0-9_-]{1,64}$ and be
 *   unique across tools and functions.
 * - Other tool types (`custom` freeform tools) are dropped and listed in `ignored`.
 * - tool_choice 'auto' | 'none' | 'required' (→ any) | {type:'function', function:{name}}
 *   (→ tool, which must be one of the request's tools). `allowed_tools` keeps only its mode;
 *   a choice forcing a dropped custom tool falls back to auto; both are listed in `ignored`.
 */
import type { ToolChoice, ToolDef } from '../../turn/types.js';
import { Fields, fieldPath, invalidAt } from '../shared/read-fields.js';

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const EMPTY_SCHEMA = (): Record<string, unknown> => ({ type: 'object', properties: {} });

export function prepareChatTools(tools: unknown[] | undefined, functions: unknown[] | undefined, f: Fields, ignored: string[]): ToolDef[] {
  const out: ToolDef[] = [];
  const add = (fn: Fields): void => {
    const name = fn.requiredString('name');
    if (!FUNCTION_NAME.test(name)) {
      throw invalidAt(fn.at('name'), `function names must match ${FUNCTION_NAME.source}, got '${name}'`);
    }
    if (out.some((t) => t.name === name)) throw invalidAt(fn.at('name'), `tool names must be unique, '${name}' repeats`);
    const description = fn.string('description');
    fn.boolean('strict');
    const inputSchema = fn.record('parameters') ?? EMPTY_SCHEMA();
    out.push({ name, ...(description !== undefined ? { description } : {}), inputSchema });
  };
  (tools ?? []).forEach((raw, i) => {
    const tool = Fields.of(raw, fieldPath(f.at('tools'), i));
    const type = tool.requiredString('type');
    if (type === 'function') add(tool.requiredObject('function'));
    else ignored.push(`${tool.path} (${type} tool)`);
  });
  for (const [i, raw] of (functions ?? []).entries()) add(Fields.of(raw, fieldPath(f.at('functions'), i)));
  return out;
}

/** `tool_choice`, or the legacy `function_call` when tool_choice is absent. */
export function convertChatToolChoice(f: Fields, tools: readonly ToolDef[], ignored: string[]): ToolChoice | undefined {
  if (f.has('tool_choice')) return convertChoice(f.raw('tool_choice'), f.at('tool_choice'), tools, ignored, 'tool');
  if (f.has('function_call')) return convertChoice(f.raw('function_call'), f.at('function_call'), tools, ignored, 'function');
  return undefined;
}

function convertChoice(value: unknown, path: string, tools: readonly ToolDef[], ignored: string[], shape: 'tool' | 'function'): ToolChoice {
  if (typeof value === 'string') {
    switch (value) {
      case 'auto':
        return { type: 'auto' };
      case 'none':
        return { type: 'none' };
      case 'required':
        if (shape === 'tool') return { type: 'any' };
        break;
    }
    const allowed = shape === 'tool' ? "'auto', 'none', 'required'" : "'auto', 'none'";
    throw invalidAt(path, `must be ${allowed} or an object, got '${value}'`);
  }
  const f = Fields.of(value, path);
  if (shape === 'function') return forced(f, 'name', tools);
  const type = f.requiredString('type');
  if (type === 'function') return forced(f.requiredObject('function'), 'name', tools);
  ignored.push(`${path} (${type})`);
  if (type === 'allowed_tools') {
    const mode = f.requiredObject('allowed_tools').oneOf('mode', ['auto', 'required'] as const);
    return mode === 'required' ? { type: 'any' } : { type: 'auto' };
  }
  return { type: 'auto' };
}

function forced(f: Fields, key: string, tools: readonly ToolDef[]): ToolChoice {
  const name = f.requiredString(key);
  if (!tools.some((t) => t.name === name)) {
    throw invalidAt(f.at(key), `names '${name}', which is not among the request's function tools`);
  }
  return { type: 'tool', name };
}
