/**
 * POST /v1/chat/completions body to a canonical TurnRequest, plus what the server needs
 * around it: the accepted-but-ignored fields (for a debug log) and whether the stream
 * should end with a usage chunk.
 *
 * Refused with a 400 naming the field, because maxproxy cannot honour them: `n` > 1, and
 * audio output (`modalities` containing "audio"). Accepted and ignored: sampling knobs
 * Claude lacks (seed, penalties, logit_bias, logprobs…), store/metadata, service_tier and
 * the like. Unknown fields are ignored silently, as OpenAI-compatible servers do.
 */

import type { ResponseFormat, TurnRequest } from '../../turn/types.js';
import { applyOpenAIEffort, OPENAI_EFFORT_VALUES } from '../shared/openai-effort.js';
import { Fields, fieldRequired, headerValue, invalidAt, wrongType } from '../shared/read-fields.js';
import { unhonouredSampling } from '../shared/unhonoured.js';
import type { WireContext } from '../wire.js';
import { convertChatMessages } from './convert-chat-messages.js';
import { convertChatToolChoice, prepareChatTools } from './prepare-chat-tools.js';

export interface ParsedChatRequest {
  request: TurnRequest;
  /** Fields accepted but without effect (`seed`, `tools.3 (custom tool)`…), for a debug log. */
  ignored: string[];
  /** stream_options.include_usage: end the stream with a usage chunk. */
  includeUsage: boolean;
}

/** Accepted, type-checked, and without effect. */
const IGNORED_FIELDS: Array<[string, (f: Fields, key: string) => unknown]> = [
  ['n', (f, k) => f.integer(k, { min: 1, max: 1 })],
  ['seed', (f, k) => f.integer(k)],
  ['logprobs', (f, k) => f.boolean(k)],
  ['top_logprobs', (f, k) => f.integer(k, { min: 0 })],
  ['frequency_penalty', (f, k) => f.number(k)],
  ['presence_penalty', (f, k) => f.number(k)],
  ['logit_bias', (f, k) => f.object(k)],
  ['store', (f, k) => f.boolean(k)],
  ['metadata', (f, k) => f.object(k)],
  ['service_tier', (f, k) => f.string(k)],
  ['modalities', (f, k) => f.stringArray(k)],
  ['audio', (f, k) => f.object(k)],
  ['prediction', (f, k) => f.object(k)],
  ['verbosity', (f, k) => f.string(k)],
  ['safety_identifier', (f, k) => f.string(k)],
  ['prompt_cache_retention', (f, k) => f.string(k)],
];

export function parseChatRequest(body: unknown, ctx: WireContext): ParsedChatRequest {
  const f = Fields.of(body, '');
  const model = f.nonEmptyString('model');
  refuseUnsupported(f);
  const ignored: string[] = [];
  for (const [key, check] of IGNORED_FIELDS) {
    check(f, key);
    if (f.has(key)) ignored.push(key);
  }

  const converted = convertChatMessages(f.requiredArray('messages'), f.at('messages'));
  if (converted.messages.length === 0) {
    throw invalidAt(f.at('messages'), 'at least one user or assistant message with content is required');
  }
  const system = converted.system.filter((s) => s !== '').join('\n\n');

  const tools = prepareChatTools(f.array('tools'), f.array('functions'), f, ignored);
  const toolChoice = convertChatToolChoice(f, tools, ignored);
  const parallelToolCalls = f.boolean('parallel_tool_calls');
  const maxCompletionTokens = f.integer('max_completion_tokens', { min: 1 });
  const maxTokens = maxCompletionTokens ?? f.integer('max_tokens', { min: 1 });
  const temperature = f.number('temperature', { min: 0 });
  const topP = f.number('top_p', { min: 0 });
  const stopSequences = readStop(f);
  const effort = f.oneOf('reasoning_effort', OPENAI_EFFORT_VALUES);
  const responseFormat = convertResponseFormat(f.object('response_format'));
  const includeUsage = f.object('stream_options')?.boolean('include_usage') === true;

  const explicitId = headerValue(ctx, ['x-session-id']) ?? (f.string('prompt_cache_key')?.trim() || undefined) ?? (f.string('user')?.trim() || undefined);
  const userAgent = headerValue(ctx, ['user-agent']);

  const request: TurnRequest = {
    model,
    messages: converted.messages,
    tools,
    conversation: {
      api: 'openai-chat',
      ...(explicitId !== undefined ? { explicitId } : {}),
      ...(userAgent !== undefined ? { userAgent } : {}),
    },
    stream: f.boolean('stream') ?? false,
  };
  if (system !== '') request.system = system;
  // web_search_options turns on hosted search (decision 091); its knobs have no CLI equivalent.
  const searchOptions = f.object('web_search_options');
  if (searchOptions) {
    request.hostedTools = { webSearch: {} };
    for (const k of ['search_context_size', 'user_location']) if (searchOptions.raw(k) !== undefined) ignored.push(`web_search_options.${k}`);
  }
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  if (parallelToolCalls !== undefined) request.parallelToolCalls = parallelToolCalls;
  if (maxTokens !== undefined) {
    request.maxTokens = maxTokens;
    request.settingFields = { maxTokens: maxCompletionTokens !== undefined ? 'max_completion_tokens' : 'max_tokens' };
  }
  if (temperature !== undefined) request.temperature = temperature;
  if (topP !== undefined) request.topP = topP;
  if (stopSequences !== undefined) request.stopSequences = stopSequences;
  applyOpenAIEffort(request, effort);
  if (responseFormat !== undefined) request.responseFormat = responseFormat;
  ignored.push(...unhonouredSampling(request, { temperature: 'temperature', topP: 'top_p', stop: 'stop' }));
  return { request, ignored, includeUsage };
}

/** Parameters whose meaning maxproxy cannot honour: a clear 400 beats a silent difference. */
function refuseUnsupported(f: Fields): void {
  const n = f.integer('n', { min: 1 });
  if (n !== undefined && n > 1) {
    throw invalidAt(f.at('n'), `only one choice per request is supported (n = 1), got ${n}`);
  }
  if (f.stringArray('modalities')?.includes('audio')) {
    throw invalidAt(f.at('modalities'), 'audio output is not supported; use ["text"]');
  }
}

/** `stop`: a string or up to OpenAI's 4 strings; empty strings are dropped. */
function readStop(f: Fields): string[] | undefined {
  const raw = f.raw('stop');
  if (raw === undefined) return undefined;
  const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? f.stringArray('stop')! : null;
  if (list === null) throw wrongType(f.at('stop'), 'a string or an array of strings', raw);
  const kept = list.filter((s) => s !== '');
  return kept.length > 0 ? kept : undefined;
}

/** response_format: text | json_object | json_schema {json_schema: {name, schema, strict}}. */
function convertResponseFormat(format: Fields | undefined): ResponseFormat | undefined {
  if (format === undefined) return undefined;
  const type = format.oneOf('type', ['text', 'json_object', 'json_schema'] as const);
  if (type === undefined) throw fieldRequired(format.at('type'));
  if (type !== 'json_schema') return { type };
  const spec = format.requiredObject('json_schema');
  const schema = spec.record('schema');
  if (schema === undefined) throw fieldRequired(spec.at('schema'));
  const name = spec.string('name');
  spec.string('description');
  const strict = spec.boolean('strict');
  return {
    type: 'json_schema',
    ...(name !== undefined ? { name } : {}),
    schema,
    ...(strict !== undefined ? { strict } : {}),
  };
}
