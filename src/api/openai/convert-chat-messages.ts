/**
 * Chat Completions `messages` to canonical turns.
 *
 * - `system` and `developer` messages become system text, in order, wherever they
 *   appear (OpenClaw sends `developer`); their content is a string or text parts.
 * - `user`: a string or parts — `text`, `image_url` (data: or http(s) URL; `detail` is
 *   accepted and unused), `file` (`file_data` as a PDF or text/plain data URL; `filename` is the
 *   document's title; `file_id` is refused: there is no Files API). `input_audio` is refused.
 * - `assistant`: content null, "", a string or `text`/`refusal` parts; `tool_calls` become
 *   tool_use blocks (arguments parsed here, so bad JSON is a 400 naming the field); the
 *   legacy `function_call` becomes a tool_use with an id of our own.
 * - `tool` (and the legacy `function` role) become tool_result blocks in a user message.
 * - Empty text is dropped (Claude refuses empty text blocks) and consecutive messages of
 *   the same role merge into one (OpenClaw sends consecutive user messages; tool results
 *   and the user message after them become one user turn).
 */
import { mergeTurns as mergeSameRole } from '../../turn/merge-turns.js';
import type { ContentBlock, TextBlock, ToolUseBlock, TurnFailure, TurnMessage } from '../../turn/types.js';
import { documentFromFileData, fileIdRefused } from '../shared/convert-document.js';
import { imageSourceFromUrl } from '../shared/parse-image-url.js';
import { describeJson, Fields, fieldPath, fieldRequired, invalidAt, isJsonObject, wrongType } from '../shared/read-fields.js';

export interface ConvertedMessages {
  /** system/developer message texts, in order. */
  system: string[];
  /** user/assistant turns, merged. */
  messages: TurnMessage[];
}

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;

/** Legacy function calls carry no id; ours pairs each with its `function` role answer. */
interface PendingFunctionCall {
  id: string;
  name: string;
}

export function convertChatMessages(value: unknown[], path: string): ConvertedMessages {
  const system: string[] = [];
  const turns: TurnMessage[] = [];
  const pending: PendingFunctionCall[] = [];
  value.forEach((raw, i) => {
    const f = Fields.of(raw, fieldPath(path, i));
    const role = f.oneOf('role', ROLES);
    if (role === undefined) throw fieldRequired(f.at('role'));
    switch (role) {
      case 'system':
      case 'developer':
        system.push(systemText(f));
        return;
      case 'user':
        turns.push({ role: 'user', content: userContent(f) });
        return;
      case 'assistant':
        turns.push({ role: 'assistant', content: assistantContent(f, pending) });
        return;
      case 'tool':
        turns.push({
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: f.nonEmptyString('tool_call_id'), content: toolText(f) }],
        });
        return;
      case 'function':
        turns.push({
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: answeredCall(f, pending), content: toolText(f) }],
        });
        return;
    }
  });
  return { system, messages: mergeTurns(turns) };
}

/** Joins consecutive turns of the same role; turns left without content are dropped. */
export function mergeTurns(turns: readonly TurnMessage[]): TurnMessage[] {
  return mergeSameRole(turns.filter((t) => t.content.length > 0));
}

function systemText(f: Fields): string {
  const content = f.raw('content');
  if (content === undefined) throw fieldRequired(f.at('content'));
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw wrongType(f.at('content'), 'a string or an array of text parts', content);
  return content.map((part, i) => textPart(part, fieldPath(f.at('content'), i), 'system and developer messages')).join('\n\n');
}

function userContent(f: Fields): ContentBlock[] {
  const content = f.raw('content');
  if (content === undefined) throw fieldRequired(f.at('content'));
  if (typeof content === 'string') return textBlocks(content);
  if (!Array.isArray(content)) throw wrongType(f.at('content'), 'a string or an array of content parts', content);
  return content.flatMap((raw, i): ContentBlock[] => {
    const part = Fields.of(raw, fieldPath(f.at('content'), i));
    const type = part.requiredString('type');
    switch (type) {
      case 'text':
        return textBlocks(part.requiredString('text'));
      case 'image_url': {
        // {url, detail}; a bare string is accepted too.
        if (!isJsonObject(part.raw('image_url'))) {
          return [{ type: 'image', source: imageSourceFromUrl(part.nonEmptyString('image_url'), part.at('image_url')) }];
        }
        const image = part.requiredObject('image_url');
        image.string('detail');
        return [{ type: 'image', source: imageSourceFromUrl(image.nonEmptyString('url'), image.at('url')) }];
      }
      case 'file': {
        const file = part.requiredObject('file');
        if (file.has('file_id') && !file.has('file_data')) fileIdRefused(file.at('file_id'));
        return [documentFromFileData(file.nonEmptyString('file_data'), file.string('filename'), file.at('file_data'))];
      }
      default:
        throw unsupportedPart(type, part.at('type'), 'user');
    }
  });
}

function assistantContent(f: Fields, pending: PendingFunctionCall[]): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  const content = f.raw('content');
  if (typeof content === 'string') {
    blocks.push(...textBlocks(content));
  } else if (Array.isArray(content)) {
    content.forEach((raw, i) => {
      const part = Fields.of(raw, fieldPath(f.at('content'), i));
      const type = part.requiredString('type');
      if (type === 'text') blocks.push(...textBlocks(part.requiredString('text')));
      else if (type === 'refusal') blocks.push(...textBlocks(part.requiredString('refusal')));
      else throw unsupportedPart(type, part.at('type'), 'assistant');
    });
  } else if (content !== undefined) {
    throw wrongType(f.at('content'), 'a string, an array of content parts or null', content);
  }
  const refusal = f.string('refusal');
  if (refusal !== undefined && blocks.length === 0) blocks.push(...textBlocks(refusal));

  (f.array('tool_calls') ?? []).forEach((raw, j) => {
    const call = Fields.of(raw, fieldPath(f.at('tool_calls'), j));
    const type = call.string('type') ?? 'function';
    if (type !== 'function') {
      throw invalidAt(call.at('type'), `only function tool calls are supported, got '${type}'`);
    }
    const fn = call.requiredObject('function');
    blocks.push({
      type: 'tool_use',
      id: call.nonEmptyString('id'),
      name: fn.nonEmptyString('name'),
      input: parseArguments(fn, 'arguments'),
    } satisfies ToolUseBlock);
  });

  const legacy = f.object('function_call');
  if (legacy !== undefined) {
    const name = legacy.nonEmptyString('name');
    const id = `call_legacy_${f.path.replace(/\W/g, '_')}`;
    blocks.push({ type: 'tool_use', id, name, input: parseArguments(legacy, 'arguments') });
    pending.push({ id, name });
  }
  return blocks;
}

/** The id of the legacy function call a `function` role message answers. */
function answeredCall(f: Fields, pending: PendingFunctionCall[]): string {
  const name = f.nonEmptyString('name');
  const i = pending.findIndex((p) => p.name === name);
  if (i < 0) {
    throw invalidAt(f.at('name'), `no earlier assistant function_call named '${name}' is left for this function message`);
  }
  return pending.splice(i, 1)[0].id;
}

/** tool/function message content: a string or text parts, joined with a blank line. */
function toolText(f: Fields): string {
  const content = f.raw('content');
  if (content === undefined) throw fieldRequired(f.at('content'));
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw wrongType(f.at('content'), 'a string or an array of text parts', content);
  return content.map((part, i) => textPart(part, fieldPath(f.at('content'), i), 'tool messages')).join('\n\n');
}

function textPart(raw: unknown, path: string, where: string): string {
  const part = Fields.of(raw, path);
  const type = part.requiredString('type');
  if (type !== 'text') throw invalidAt(part.at('type'), `${where} take text parts only, got '${type}'`);
  return part.requiredString('text');
}

const textBlocks = (text: string): TextBlock[] => (text === '' ? [] : [{ type: 'text', text }]);

function unsupportedPart(type: string, path: string, role: 'user' | 'assistant'): TurnFailure {
  switch (type) {
    case 'input_audio':
      return invalidAt(path, 'audio input is not supported');
    case 'file':
      return invalidAt(path, 'files are only allowed in user messages');
    case 'image_url':
      return invalidAt(path, 'images are only allowed in user messages');
    case 'refusal':
      return invalidAt(path, 'refusal parts are only allowed in assistant messages');
    default:
      return invalidAt(path, `unknown content part type '${type}' in a ${role} message`);
  }
}

/** Function call arguments: a JSON object as text ('' means no arguments). */
function parseArguments(f: Fields, key: string): Record<string, unknown> {
  const text = f.requiredString(key);
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidAt(f.at(key), 'is not valid JSON');
  }
  if (!isJsonObject(parsed)) throw invalidAt(f.at(key), `must be a JSON object, got ${describeJson(parsed)}`);
  return parsed;
}
