/**
 * Responses `tools` and `tool_choice` to canonical ones.
 *
 * - `function` tools pass through; their `parameters` JSON Schema is kept unchanged
 *   (a missing one becomes an empty object schema).
 * - `namespace` tools (Codex) are flattened: each inner function becomes one tool named
 *   `<namespace>__<name>`. The flat name must match ^[a-zA-Z0-9_-]{1,64}$ (OpenAI's own
 *   rule for function names, so any client-visible name stays valid); otherwise the
 *   request is refused with a 400 naming the inner tool. `namespacedTools` maps the flat
 *   name back, so calls go out as `{namespace, name}` again.
 * - `custom` tools (freeform: the model answers with one raw string, e.g. Codex's
 *   `apply_patch`) become a tool taking one string, `input`; the grammar (or the text
 *   format) goes into the tool description, since Claude cannot be held to a grammar:
 *   `format` is listed in `ignored`. `customTools` names them, so their calls go out as
 *   `custom_tool_call` items with the raw string (docs/decisions/092-codex-freeform-tools.md).
 * - Everything else is hosted by OpenAI (web_search, file_search, code_interpreter,
 *   image_generation, computer_use, mcp, local_shell, shell, apply_patch…): dropped, and
 *   listed in `ignored` for a debug log.
 */
import type { ToolChoice, ToolDef, WebSearchOffer } from '../../turn/types.js';
import { Fields, fieldPath, invalidAt, type JsonObject, wrongType } from '../shared/read-fields.js';

/** Something the request carried that maxproxy drops (for a debug log). */
export interface IgnoredInput {
  /** Dotted path of what was dropped, e.g. `tools.2` or `input.5`. */
  field: string;
  /** Its `type`, e.g. `web_search`, `reasoning`. */
  type: string;
}

export interface NamespacedName {
  namespace: string;
  name: string;
}

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
export const NAMESPACE_SEPARATOR = '__';

/** The flat tool name of a namespace's function, checked against the name rule. */
export function flatToolName(namespace: string, name: string, path: string): string {
  const flat = `${namespace}${NAMESPACE_SEPARATOR}${name}`;
  if (!FUNCTION_NAME.test(flat)) {
    throw invalidAt(path, `namespace tool '${namespace}' / '${name}' flattens to '${flat}', which does not match ${FUNCTION_NAME.source}`);
  }
  return flat;
}

export interface PreparedTools {
  tools: ToolDef[];
  namespacedTools: Map<string, NamespacedName>;
  /** Names of the `custom` (freeform) tools. */
  customTools: Set<string>;
  /** The kept tools as the client sent them, for the response to repeat. */
  echo: JsonObject[];
  /** Hosted web search, served through the CLI's WebSearch (decision 091). */
  webSearch?: WebSearchOffer;
}

const WEB_SEARCH_TYPES = new Set(['web_search', 'web_search_preview', 'web_search_2025_08_26', 'web_search_preview_2025_03_11']);

/**
 * A `web_search` tool: `filters.allowed_domains` is enforced; `search_context_size` and
 * `user_location` have no CLI equivalent and are named. `external_web_access: false`
 * (Codex's "cached" mode) asks for no live access, which the CLI's search always is: not served.
 */
function webSearchOffer(f: Fields, ignored: IgnoredInput[]): WebSearchOffer | undefined {
  if (f.boolean('external_web_access') === false) {
    ignored.push({ field: f.path, type: 'web_search without external_web_access (only live search is available)' });
    return undefined;
  }
  const allowed = f.object('filters')?.stringArray('allowed_domains');
  if (f.raw('search_context_size') !== undefined) ignored.push({ field: f.at('search_context_size'), type: 'not honoured by Claude Code' });
  if (f.raw('user_location') !== undefined) ignored.push({ field: f.at('user_location'), type: 'not honoured by Claude Code' });
  // Codex sends ["text", "image"] for catalog models with image search: the CLI's search
  // returns text results only, so anything but "text" is named (docs/facts/codex-web-search.md).
  const contentTypes = f.stringArray('search_content_types');
  if (contentTypes?.some((t) => t !== 'text')) {
    ignored.push({ field: f.at('search_content_types'), type: 'only text results (the CLI search returns no images)' });
  }
  return allowed?.length ? { allowedDomains: allowed } : {};
}

export function prepareTools(value: unknown[] | undefined, path: string, ignored: IgnoredInput[]): PreparedTools {
  const out: PreparedTools = { tools: [], namespacedTools: new Map(), customTools: new Set(), echo: [] };
  const seen = new Set<string>();
  const add = (tool: ToolDef, namePath: string): void => {
    if (seen.has(tool.name)) throw invalidAt(namePath, `tool names must be unique, '${tool.name}' repeats`);
    seen.add(tool.name);
    out.tools.push(tool);
  };
  (value ?? []).forEach((raw, i) => {
    const f = Fields.of(raw, fieldPath(path, i));
    const type = f.requiredString('type');
    if (type === 'function') {
      const name = f.requiredString('name');
      if (!FUNCTION_NAME.test(name)) {
        throw invalidAt(f.at('name'), `function names must match ${FUNCTION_NAME.source}, got '${name}'`);
      }
      add(functionTool(f, name), f.at('name'));
      out.echo.push(f.obj);
    } else if (type === 'namespace') {
      const namespace = f.nonEmptyString('name');
      f.requiredArray('tools').forEach((innerRaw, j) => {
        const inner = Fields.of(innerRaw, fieldPath(f.at('tools'), j));
        const innerType = inner.requiredString('type');
        if (innerType === 'custom') {
          const flat = flatToolName(namespace, inner.nonEmptyString('name'), inner.at('name'));
          add(customTool(inner, flat, ignored), inner.at('name'));
          out.namespacedTools.set(flat, { namespace, name: inner.requiredString('name') });
          out.customTools.add(flat);
          return;
        }
        if (innerType !== 'function') {
          ignored.push({ field: inner.path, type: innerType });
          return;
        }
        const name = inner.nonEmptyString('name');
        const flat = flatToolName(namespace, name, inner.at('name'));
        add(functionTool(inner, flat), inner.at('name'));
        out.namespacedTools.set(flat, { namespace, name });
      });
      out.echo.push(f.obj);
    } else if (type === 'custom') {
      const name = f.requiredString('name');
      if (!FUNCTION_NAME.test(name)) {
        throw invalidAt(f.at('name'), `custom tool names must match ${FUNCTION_NAME.source}, got '${name}'`);
      }
      add(customTool(f, name, ignored), f.at('name'));
      out.customTools.add(name);
      out.echo.push(f.obj);
    } else if (WEB_SEARCH_TYPES.has(type) && !out.webSearch) {
      const offer = webSearchOffer(f, ignored);
      if (offer) {
        out.webSearch = offer;
        out.echo.push(f.obj);
      }
    } else {
      ignored.push({ field: f.path, type });
    }
  });
  return out;
}

function functionTool(f: Fields, name: string): ToolDef {
  const description = f.string('description');
  f.boolean('strict');
  const inputSchema = f.record('parameters') ?? { type: 'object', properties: {} };
  return { name, ...(description !== undefined ? { description } : {}), inputSchema };
}

/** The one string property a custom tool's input is carried in. */
export const CUSTOM_INPUT = 'input';

/**
 * A freeform tool as a function of one string. The grammar is described, not enforced
 * (Claude has no constrained decoding), hence `format` in `ignored` when it has a grammar.
 */
function customTool(f: Fields, name: string, ignored: IgnoredInput[]): ToolDef {
  const parts: string[] = [];
  const description = f.string('description');
  if (description !== undefined && description.trim() !== '') parts.push(description.trim());
  const format = f.object('format');
  const formatType = format?.string('type') ?? 'text';
  if (format !== undefined && formatType === 'grammar') {
    const syntax = format.oneOf('syntax', ['lark', 'regex'] as const) ?? 'lark';
    const definition = format.requiredString('definition');
    parts.push(
      `This tool takes free-form text, not JSON: put the whole text in \`${CUSTOM_INPUT}\`, exactly as the tool expects it. ` +
        `The text must match this ${syntax === 'lark' ? 'Lark grammar' : 'regular expression'}:\n\n${definition}`,
    );
    ignored.push({ field: format.path, type: `${syntax} grammar, described to the model, not enforced` });
  } else if (formatType === 'text') {
    parts.push(`This tool takes free-form text, not JSON: put the whole text in \`${CUSTOM_INPUT}\`.`);
  } else {
    throw invalidAt(format?.at('type') ?? f.at('format'), `custom tool formats are 'text' or 'grammar', got '${formatType}'`);
  }
  return {
    name,
    description: parts.join('\n\n'),
    inputSchema: {
      type: 'object',
      properties: { [CUSTOM_INPUT]: { type: 'string', description: 'The raw text input of the tool.' } },
      required: [CUSTOM_INPUT],
      additionalProperties: false,
    },
  };
}

/**
 * `tool_choice`: 'auto' | 'none' | 'required' | {type:'function', name} | {type:'custom', name}. `allowed_tools`
 * keeps only its mode (the subset cannot be expressed); a choice that forces a hosted tool
 * falls back to auto, since that tool was dropped. Both are listed in `ignored`.
 */
export function convertToolChoice(
  value: unknown,
  path: string,
  tools: readonly ToolDef[],
  ignored: IgnoredInput[],
  customTools: ReadonlySet<string> = new Set(),
): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    switch (value) {
      case 'auto':
        return { type: 'auto' };
      case 'none':
        return { type: 'none' };
      case 'required':
        return { type: 'any' };
      default:
        throw invalidAt(path, `must be 'auto', 'none', 'required' or an object, got '${value}'`);
    }
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(path, 'a string or an object', value);
  const f = Fields.of(value, path);
  const type = f.requiredString('type');
  if (type === 'function') {
    const name = f.requiredString('name');
    if (!tools.some((t) => t.name === name)) {
      throw invalidAt(f.at('name'), `tool_choice names '${name}', which is not among the request's function tools`);
    }
    return { type: 'tool', name };
  }
  if (type === 'custom') {
    const name = f.requiredString('name');
    if (!customTools.has(name)) {
      throw invalidAt(f.at('name'), `tool_choice names '${name}', which is not among the request's custom tools`);
    }
    return { type: 'tool', name };
  }
  ignored.push({ field: path, type });
  if (type === 'allowed_tools') {
    return f.oneOf('mode', ['auto', 'required'] as const) === 'required' ? { type: 'any' } : { type: 'auto' };
  }
  return { type: 'auto' };
}
