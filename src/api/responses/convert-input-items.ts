/**
 * Responses `input` (a string or an item array) to canonical messages.
 *
 * - `message` items (or items with a role and no type): user/assistant become messages;
 *   system/developer become system text (collected separately, in order).
 * - `function_call` → a tool_use block on an assistant message (call_id is the tool id);
 *   `function_call_output` → a tool_result block on a user message.
 * - `custom_tool_call` (a freeform tool's call) → a tool_use whose input is `{input: <the
 *   raw text>}`, the shape the model was offered (prepare-tools.ts), so the history matches
 *   what the model answered; `custom_tool_call_output` → a tool_result like function outputs.
 * - `reasoning` items and the call/output items of hosted tools (which maxproxy never
 *   offers) are dropped and listed in `ignored`. Item `id`/`status` fields are accepted
 *   and unused.
 * - Consecutive items of the same role merge into one message (see mergeTurns), which is
 *   also how history from previous_response_id joins the new input.
 */
import type { ContentBlock, DocumentBlock, ImageBlock, Role, TextBlock, TurnFailure, TurnMessage } from '../../turn/types.js';
import { checkDocumentUrl, documentFromFileData, fileIdRefused } from '../shared/convert-document.js';
import { imageSourceFromUrl } from '../shared/parse-image-url.js';
import { describeJson, Fields, fieldPath, fieldRequired, invalidAt, isJsonObject, wrongType } from '../shared/read-fields.js';
import { CUSTOM_INPUT, flatToolName, type IgnoredInput } from './prepare-tools.js';

export interface ConvertedInput {
  /** system/developer message texts, in input order. */
  system: string[];
  /** user/assistant turns in input order, not yet merged. */
  turns: TurnMessage[];
}

/** Items of hosted tools: dropped like the tools themselves. */
const HOSTED_ITEMS = new Set([
  'web_search_call',
  'file_search_call',
  'image_generation_call',
  'code_interpreter_call',
  'computer_call',
  'computer_call_output',
  'local_shell_call',
  'local_shell_call_output',
  'shell_call',
  'shell_call_output',
  'apply_patch_call',
  'apply_patch_call_output',
  'mcp_list_tools',
  'mcp_approval_request',
  'mcp_approval_response',
  'mcp_call',
  'tool_search_call',
  'tool_search_output',
  'compaction',
]);

export function convertInput(value: unknown, path: string, ignored: IgnoredInput[]): ConvertedInput {
  if (typeof value === 'string') {
    return { system: [], turns: [{ role: 'user', content: [{ type: 'text', text: value }] }] };
  }
  if (!Array.isArray(value)) throw wrongType(path, 'a string or an array of input items', value);
  const out: ConvertedInput = { system: [], turns: [] };
  for (const [i, raw] of value.entries()) convertItem(raw, fieldPath(path, i), out, ignored);
  return out;
}

function convertItem(raw: unknown, path: string, out: ConvertedInput, ignored: IgnoredInput[]): void {
  const f = Fields.of(raw, path);
  const type = f.string('type') ?? (f.has('role') ? 'message' : undefined);
  if (type === undefined) throw invalidAt(f.at('type'), 'field required (or a role, for a message)');
  switch (type) {
    case 'message':
      convertMessage(f, out);
      return;
    case 'function_call':
      out.turns.push(toolCallTurn(f, parseArguments(f.requiredString('arguments'), f.at('arguments'))));
      return;
    case 'custom_tool_call':
      out.turns.push(toolCallTurn(f, { [CUSTOM_INPUT]: f.requiredString('input') }));
      return;
    case 'custom_tool_call_output':
    case 'function_call_output': {
      const output = f.raw('output');
      if (output === undefined) throw fieldRequired(f.at('output'));
      out.turns.push({
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: f.nonEmptyString('call_id'),
            content: convertToolOutput(output, f.at('output')),
          },
        ],
      });
      return;
    }
    case 'item_reference':
      throw invalidAt(f.at('type'), 'item_reference is not supported (maxproxy keeps no items by id); send the item itself');
    default:
      if (type === 'reasoning' || HOSTED_ITEMS.has(type)) {
        ignored.push({ field: path, type });
        return;
      }
      throw invalidAt(f.at('type'), `unknown input item type '${type}'`);
  }
}

/** The assistant turn of a function or custom tool call; the two differ only in how `input` is read. */
function toolCallTurn(f: Fields, input: Record<string, unknown>): TurnMessage {
  const name = f.nonEmptyString('name');
  const namespace = f.string('namespace');
  return {
    role: 'assistant',
    content: [
      {
        type: 'tool_use',
        id: f.nonEmptyString('call_id'),
        name: namespace ? flatToolName(namespace, name, f.at('name')) : name,
        input,
      },
    ],
  };
}

function convertMessage(f: Fields, out: ConvertedInput): void {
  const role = f.oneOf('role', ['user', 'assistant', 'system', 'developer'] as const);
  if (role === undefined) throw fieldRequired(f.at('role'));
  const content = f.raw('content');
  if (content === undefined) throw fieldRequired(f.at('content'));
  if (role === 'system' || role === 'developer') {
    out.system.push(systemText(content, f.at('content')));
    return;
  }
  const blocks: ContentBlock[] =
    typeof content === 'string'
      ? [{ type: 'text', text: content }]
      : Array.isArray(content)
        ? content.map((part, i) => convertPart(part, role, fieldPath(f.at('content'), i)))
        : failType(f.at('content'), content);
  out.turns.push({ role, content: blocks });
}

const failType = (path: string, v: unknown): never => {
  throw wrongType(path, 'a string or an array of content parts', v);
};

const TEXT_PARTS = ['input_text', 'output_text', 'text'];

function convertPart(raw: unknown, role: Role, path: string): TextBlock | ImageBlock | DocumentBlock {
  const f = Fields.of(raw, path);
  const type = f.requiredString('type');
  if (TEXT_PARTS.includes(type)) return { type: 'text', text: f.requiredString('text') };
  if (type === 'refusal' && role === 'assistant') return { type: 'text', text: f.requiredString('refusal') };
  if (type === 'input_image') {
    if (role !== 'user') throw invalidAt(f.at('type'), 'images are only allowed in user messages');
    return convertInputImage(f);
  }
  if (type === 'input_file') {
    if (role !== 'user') throw invalidAt(f.at('type'), 'files are only allowed in user messages');
    return convertInputFile(f);
  }
  throw unsupportedPart(type, f.at('type'));
}

/** input_file: `file_data` (a data URL) or an https `file_url` the upstream fetches; never `file_id`. */
function convertInputFile(f: Fields): DocumentBlock {
  const filename = f.string('filename');
  if (f.has('file_data')) return documentFromFileData(f.nonEmptyString('file_data'), filename, f.at('file_data'));
  if (f.has('file_url')) {
    const block: DocumentBlock = { type: 'document', source: { type: 'url', url: checkDocumentUrl(f.nonEmptyString('file_url'), f.at('file_url')) } };
    if (filename) block.title = filename;
    return block;
  }
  if (f.has('file_id')) fileIdRefused(f.at('file_id'));
  throw invalidAt(f.at('file_data'), 'input_file needs file_data (a data: URL) or file_url (https)');
}

function convertInputImage(f: Fields): ImageBlock {
  if (f.has('file_id') && !f.has('image_url')) {
    throw invalidAt(f.at('file_id'), 'file_id images are not supported (maxproxy has no Files API); send image_url as a data: or https URL');
  }
  // image_url is a string here; Chat Completions' {url} object shape is accepted too.
  const raw = f.raw('image_url');
  const url = isJsonObject(raw) ? Fields.of(raw, f.at('image_url')).nonEmptyString('url') : f.nonEmptyString('image_url');
  return { type: 'image', source: imageSourceFromUrl(url, f.at('image_url')) };
}

function unsupportedPart(type: string, path: string): TurnFailure {
  switch (type) {
    case 'input_audio':
      return invalidAt(path, 'audio input is not supported');
    case 'refusal':
      return invalidAt(path, 'refusal parts are only allowed in assistant messages');
    default:
      return invalidAt(path, `unknown content part type '${type}'`);
  }
}

/** system/developer content: a string or text parts, joined with a blank line. */
function systemText(content: unknown, path: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw wrongType(path, 'a string or an array of text parts', content);
  return content
    .map((part, i) => {
      const f = Fields.of(part, fieldPath(path, i));
      const type = f.requiredString('type');
      if (!TEXT_PARTS.includes(type)) {
        throw invalidAt(f.at('type'), `system and developer messages take text parts only, got '${type}'`);
      }
      return f.requiredString('text');
    })
    .join('\n\n');
}

/** function_call arguments: a JSON object as text ('' means no arguments). */
function parseArguments(text: string, path: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidAt(path, 'is not valid JSON');
  }
  if (!isJsonObject(parsed)) throw invalidAt(path, `must be a JSON object, got ${describeJson(parsed)}`);
  return parsed;
}

/** function_call_output `output`: a string or input_text/input_image parts. */
function convertToolOutput(value: unknown, path: string): string | Array<TextBlock | ImageBlock> {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) throw wrongType(path, 'a string or an array of content parts', value);
  return value.map((part, i) => {
    const block = convertPart(part, 'user', fieldPath(path, i));
    // Tool results reach the CLI through MCP, whose results carry text and images only.
    if (block.type === 'document')
      throw invalidAt(fieldPath(fieldPath(path, i), 'type'), 'input_file is not supported in function_call_output; send the file in a user message');
    return block;
  });
}

export { mergeTurns } from '../../turn/merge-turns.js';
