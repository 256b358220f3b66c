/**
 * Anthropic `tools` and `tool_choice` to canonical ones. Client tool schemas pass through
 * unchanged (the engine serves them to the CLI as they are). Server tools (any `type`
 * other than `custom`: web_search_20250305, bash_20250124, text_editor_…, computer_…)
 * are dropped: the CLI runs its own tools only for itself, never for a client.
 */
import type { ToolChoice, ToolDef } from '../../turn/types.js';
import { Fields, fieldPath, fieldRequired, invalidAt } from '../shared/read-fields.js';

/** Letters, digits, '_' and '-'; the bound is the larger of the lengths Anthropic has allowed (64, then 128). */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

export function convertTools(value: unknown[] | undefined, path: string): ToolDef[] {
  if (value === undefined) return [];
  const tools: ToolDef[] = [];
  const seen = new Set<string>();
  value.forEach((raw, i) => {
    const f = Fields.of(raw, fieldPath(path, i));
    const type = f.string('type');
    if (type !== undefined && type !== 'custom') return; // a server tool: not served
    const name = f.requiredString('name');
    if (!TOOL_NAME.test(name)) {
      throw invalidAt(f.at('name'), `tool names must match ${TOOL_NAME.source}, got '${name}'`);
    }
    if (seen.has(name)) throw invalidAt(f.at('name'), `tool names must be unique, '${name}' repeats`);
    seen.add(name);
    const inputSchema = f.record('input_schema');
    if (inputSchema === undefined) throw fieldRequired(f.at('input_schema'));
    const description = f.string('description');
    tools.push({ name, ...(description !== undefined ? { description } : {}), inputSchema });
  });
  return tools;
}

export interface ConvertedToolChoice {
  toolChoice?: ToolChoice;
  /** From `disable_parallel_tool_use`. */
  parallelToolCalls?: boolean;
}

export function convertToolChoice(value: unknown, path: string, tools: readonly ToolDef[]): ConvertedToolChoice {
  if (value === undefined || value === null) return {};
  const f = Fields.of(value, path);
  const type = f.oneOf('type', ['auto', 'any', 'tool', 'none'] as const);
  if (type === undefined) throw fieldRequired(f.at('type'));
  const disableParallel = f.boolean('disable_parallel_tool_use');
  const parallel = disableParallel === undefined ? {} : { parallelToolCalls: !disableParallel };
  if (type !== 'tool') return { toolChoice: { type }, ...parallel };
  const name = f.requiredString('name');
  if (!tools.some((t) => t.name === name)) {
    throw invalidAt(f.at('name'), `tool_choice names '${name}', which is not among the request's tools`);
  }
  return { toolChoice: { type: 'tool', name }, ...parallel };
}
