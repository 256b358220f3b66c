/**
 * Output items, shared by the non-streaming and the streaming encoder so both give the
 * same items with the same ids:
 *   text → `message` with one output_text part; tool_use → `function_call`, or
 *   `custom_tool_call` for a `custom` tool (its `input` string is the raw text);
 *   thinking → `reasoning` with the thinking as its summary text (Claude's thinking is
 *   already a summary); redacted thinking has nothing to show and gets no item.
 * Item ids are `<msg|fc|ctc|rs>_<response id without resp_>_<output index>`.
 */
import type { ContentBlock, WebSearchHit } from '../../turn/types.js';
import { urlCitations } from '../shared/url-citations.js';
import { CUSTOM_INPUT, type NamespacedName } from './prepare-tools.js';
import type { CustomToolCallItem, FunctionCallItem, MessageItem, OutputItem, ReasoningItem, UrlCitation, WebSearchCallItem } from './wire-types.js';

export { urlCitations };

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export const itemId = (responseId: string, prefix: 'msg' | 'fc' | 'ctc' | 'rs' | 'ws', outputIndex: number): string =>
  `${prefix}_${responseId.replace(/^resp_/, '')}_${outputIndex}`;

export const messageItem = (id: string, text: string, status: ItemStatus, annotations: UrlCitation[] = []): MessageItem => ({
  type: 'message',
  id,
  status,
  role: 'assistant',
  content: [{ type: 'output_text', text, annotations }],
});

export const webSearchCallItem = (id: string, query: string, status: WebSearchCallItem['status'], hits?: readonly WebSearchHit[]): WebSearchCallItem => ({
  type: 'web_search_call',
  id,
  status,
  action: { type: 'search', query, ...(hits ? { sources: hits.map((h) => ({ type: 'url' as const, url: h.url })) } : {}) },
});

export const refusalItem = (id: string, refusal: string, status: ItemStatus): MessageItem => ({
  type: 'message',
  id,
  status,
  role: 'assistant',
  content: [{ type: 'refusal', refusal }],
});

export const reasoningItem = (id: string, text: string): ReasoningItem => ({
  type: 'reasoning',
  id,
  summary: text === '' ? [] : [{ type: 'summary_text', text }],
});

/** Where a flattened tool name came from: its namespace and name as the client sent them. */
function callName(name: string, namespaced?: ReadonlyMap<string, NamespacedName>): { name: string; namespace?: string } {
  const ns = namespaced?.get(name);
  return ns !== undefined ? { name: ns.name, namespace: ns.namespace } : { name };
}

/** A call of the flat tool name `name`, split back into namespace and name when it was flattened. */
export function functionCallItem(
  id: string,
  callId: string,
  name: string,
  args: string,
  status: ItemStatus,
  namespaced?: ReadonlyMap<string, NamespacedName>,
): FunctionCallItem {
  return { type: 'function_call', id, status, call_id: callId, ...callName(name, namespaced), arguments: args };
}

/** A call of the custom tool `name` (flat, when it came from a namespace). */
export function customToolCallItem(
  id: string,
  callId: string,
  name: string,
  input: string,
  status: ItemStatus,
  namespaced?: ReadonlyMap<string, NamespacedName>,
): CustomToolCallItem {
  return { type: 'custom_tool_call', id, status, call_id: callId, ...callName(name, namespaced), input };
}

/**
 * The raw text of a custom tool's call: its one string property. A model that answered
 * with something else (no `input`, or more) has its whole input passed on as JSON text,
 * so nothing it wrote is lost.
 */
export function customInputText(input: Record<string, unknown>): string {
  const value = input[CUSTOM_INPUT];
  return typeof value === 'string' && Object.keys(input).length === 1 ? value : JSON.stringify(input);
}

export function outputFromContent(
  content: readonly ContentBlock[],
  responseId: string,
  namespaced?: ReadonlyMap<string, NamespacedName>,
  customTools?: ReadonlySet<string>,
): OutputItem[] {
  const output: OutputItem[] = [];
  const hits = content.flatMap((b) => (b.type === 'web_search_result' ? b.results : []));
  for (const block of content) {
    const index = output.length;
    switch (block.type) {
      case 'text':
        output.push(messageItem(itemId(responseId, 'msg', index), block.text, 'completed', urlCitations(block.text, hits)));
        break;
      case 'server_tool_use': {
        // Only Anthropic clients offer a web fetch (decision 095); Responses has no item for one.
        if (block.name !== 'web_search') break;
        const result = content.find((b) => b.type === 'web_search_result' && b.toolUseId === block.id);
        const failed = result?.type === 'web_search_result' && result.error !== undefined;
        const found = result?.type === 'web_search_result' ? result.results : undefined;
        output.push(webSearchCallItem(itemId(responseId, 'ws', index), block.input.query, failed ? 'failed' : 'completed', failed ? undefined : found));
        break;
      }
      case 'thinking':
        output.push(reasoningItem(itemId(responseId, 'rs', index), block.thinking));
        break;
      case 'tool_use':
        if (customTools?.has(block.name)) {
          output.push(customToolCallItem(itemId(responseId, 'ctc', index), block.id, block.name, customInputText(block.input), 'completed', namespaced));
          break;
        }
        output.push(functionCallItem(itemId(responseId, 'fc', index), block.id, block.name, JSON.stringify(block.input), 'completed', namespaced));
        break;
      default:
        break; // redacted_thinking (and blocks a model never answers with)
    }
  }
  return output;
}
