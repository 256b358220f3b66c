/**
 * Anthropic `tools` and `tool_choice` to canonical ones. Client tool schemas pass through
 * unchanged (the engine serves them to the CLI as they are). Server tools (any `type`
 * other than `custom`: web_search_20250305, bash_20250124, text_editor_…, computer_…)
 * are dropped: the CLI runs its own tools only for itself, never for a client.
 */
import type { ToolChoice, ToolDef, WebFetchOffer, WebSearchOffer } from '../../turn/types.js';
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

/**
 * The one hosted tool of a type family (`web_search_<date>`, `web_fetch_<date>`) in the
 * request's tools, with its wire field (`tools.N`); a second one is a 400.
 */
function findHostedTool(value: unknown[] | undefined, path: string, prefix: 'web_search_' | 'web_fetch_'): { f: Fields; field: string } | undefined {
  let found: { f: Fields; field: string } | undefined;
  value?.forEach((raw, i) => {
    const f = Fields.of(raw, fieldPath(path, i));
    if (f.string('type')?.startsWith(prefix) !== true) return;
    if (found) throw invalidAt(f.at('type'), `only one ${prefix.slice(0, -1)} tool may be given`);
    found = { f, field: fieldPath(path, i) };
  });
  return found;
}

/**
 * The client's hosted web search (`{type: "web_search_<date>", name: "web_search", …}`),
 * served through the CLI's WebSearch (decision 091). `user_location` has no CLI equivalent
 * (named in x-maxproxy-ignored by messagesIgnored).
 */
export function convertWebSearch(value: unknown[] | undefined, path: string): { offer?: WebSearchOffer } {
  const tool = findHostedTool(value, path, 'web_search_');
  return tool ? { offer: limitsOf(tool.f) } : {};
}

/** max_uses and the domain lists, shared by web_search_* and web_fetch_*. */
function limitsOf(f: Fields): WebSearchOffer {
  const maxUses = f.integer('max_uses', { min: 1 });
  const domains = (field: string): string[] | undefined => {
    const list = f.array(field);
    if (list === undefined) return undefined;
    return list.map((d, j) => {
      if (typeof d !== 'string' || d.trim() === '') throw invalidAt(fieldPath(f.at(field), j), 'must be a non-empty domain string');
      return d.trim();
    });
  };
  const allowedDomains = domains('allowed_domains');
  const blockedDomains = domains('blocked_domains');
  if (allowedDomains?.length && blockedDomains?.length) throw invalidAt(f.at('blocked_domains'), 'allowed_domains and blocked_domains cannot both be given');
  return {
    ...(maxUses !== undefined ? { maxUses } : {}),
    ...(allowedDomains?.length ? { allowedDomains } : {}),
    ...(blockedDomains?.length ? { blockedDomains } : {}),
  };
}

/**
 * The client's hosted web fetch (`{type: "web_fetch_<date>", name: "web_fetch", …}`),
 * served by the daemon's fetcher when allowWebFetch is on (decision 095); the engine names
 * it ignored otherwise.
 */
export function convertWebFetch(value: unknown[] | undefined, path: string): { offer?: WebFetchOffer } {
  const tool = findHostedTool(value, path, 'web_fetch_');
  if (!tool) return {};
  const { f, field } = tool;
  const maxContentTokens = f.integer('max_content_tokens', { min: 1 });
  const citations = f.object('citations')?.boolean('enabled');
  return {
    offer: {
      field,
      ...limitsOf(f),
      ...(maxContentTokens !== undefined ? { maxContentTokens } : {}),
      ...(citations !== undefined ? { citations } : {}),
    },
  };
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
