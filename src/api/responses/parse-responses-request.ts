/**
 * POST /v1/responses body to a canonical TurnRequest, plus what the caller needs around
 * it: the dropped inputs (for a debug log), the conversation to store for a later
 * previous_response_id, and the request fields the response object repeats.
 *
 * System text is `instructions`, then the stored conversation's system text, then this
 * request's system/developer messages, joined with a blank line. As in OpenAI's API,
 * `instructions` are not carried over to a later response: only system/developer input
 * messages are part of the stored conversation.
 */

import { type ResponseFormat, TurnFailure, type TurnRequest } from '../../turn/types.js';
import { applyOpenAIEffort, OPENAI_EFFORT_VALUES } from '../shared/openai-effort.js';
import { Fields, fieldRequired, headerValue, invalidAt, type JsonObject } from '../shared/read-fields.js';
import { unhonouredSampling } from '../shared/unhonoured.js';
import type { WireContext } from '../wire.js';
import { convertInput, mergeTurns } from './convert-input-items.js';
import type { HistoryLookup, StoredConversation } from './history.js';
import { convertToolChoice, type IgnoredInput, type NamespacedName, prepareTools } from './prepare-tools.js';
import type { EchoedRequest } from './wire-types.js';

export interface ParsedResponsesRequest {
  request: TurnRequest;
  /** Hosted tools, reasoning items and the like that were dropped (for a debug log). */
  ignored: IgnoredInput[];
  /** What ResponseStore.record should keep for this turn (the answer is added there). */
  conversation: StoredConversation;
  /** What the response object repeats from the request. */
  echo: EchoedRequest;
  /** Flattened namespace tool names → the client's namespace and name. */
  namespacedTools: ReadonlyMap<string, NamespacedName>;
  /** Names of the request's `custom` (freeform) tools: their calls are `custom_tool_call` items. */
  customTools: ReadonlySet<string>;
}

/**
 * Session id sources, strongest first: an explicit `x-session-id` header, then
 * `prompt_cache_key` (Codex sets it to its conversation id), then Codex's `session-id`
 * header. `user` is not used: it names a person, not a conversation.
 */
const SESSION_HEADER = ['x-session-id'] as const;
const FALLBACK_SESSION_HEADERS = ['session-id', 'session_id'] as const;

export function parseResponsesRequest(body: unknown, ctx: WireContext, history?: HistoryLookup): ParsedResponsesRequest {
  const f = Fields.of(body, '');
  const model = f.nonEmptyString('model');
  refuseUnsupported(f);
  const ignored: IgnoredInput[] = [];

  const previousResponseId = f.string('previous_response_id');
  const previous = previousResponseId === undefined ? undefined : findPrevious(previousResponseId, history);

  const input = f.raw('input');
  if (input === undefined) throw fieldRequired(f.at('input'));
  const converted = convertInput(input, f.at('input'), ignored);
  const messages = mergeTurns([...(previous?.messages ?? []), ...converted.turns]);
  if (messages.length === 0) {
    throw invalidAt(f.at('input'), 'at least one user or assistant item is required');
  }

  const instructions = f.string('instructions');
  const storedSystem = joinSystem([previous?.system, ...converted.system]);
  const system = joinSystem([instructions, storedSystem]);

  const prepared = prepareTools(f.array('tools'), f.at('tools'), ignored);
  const toolChoice = convertToolChoice(f.raw('tool_choice'), f.at('tool_choice'), prepared.tools, ignored, prepared.customTools);
  const reasoning = f.object('reasoning');
  const effort = reasoning?.oneOf('effort', OPENAI_EFFORT_VALUES);
  const reasoningSummary = reasoning?.string('summary') ?? reasoning?.string('generate_summary');
  const text = f.object('text');
  const responseFormat = convertTextFormat(text);
  text?.string('verbosity');
  const promptCacheKey = f.string('prompt_cache_key');
  const maxTokens = f.integer('max_output_tokens', { min: 1 });
  const temperature = f.number('temperature', { min: 0 });
  const topP = f.number('top_p', { min: 0 });
  const parallelToolCalls = f.boolean('parallel_tool_calls');
  const store = f.boolean('store');
  const user = f.string('user');
  const truncation = f.oneOf('truncation', ['auto', 'disabled'] as const);
  const metadata = f.record('metadata');
  f.stringArray('include');
  f.string('service_tier');
  f.string('safety_identifier');

  const explicitId = headerValue(ctx, SESSION_HEADER) ?? (promptCacheKey?.trim() || undefined) ?? headerValue(ctx, FALLBACK_SESSION_HEADERS);
  const userAgent = headerValue(ctx, ['user-agent']);

  const request: TurnRequest = {
    model,
    messages,
    tools: prepared.tools,
    conversation: {
      api: 'openai-responses',
      ...(explicitId !== undefined ? { explicitId } : {}),
      ...(userAgent !== undefined ? { userAgent } : {}),
    },
    stream: f.boolean('stream') ?? false,
  };
  if (system !== undefined) request.system = system;
  if (prepared.webSearch) request.hostedTools = { webSearch: prepared.webSearch };
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  if (parallelToolCalls !== undefined) request.parallelToolCalls = parallelToolCalls;
  if (maxTokens !== undefined) {
    request.maxTokens = maxTokens;
    request.settingFields = { maxTokens: 'max_output_tokens' };
  }
  if (temperature !== undefined) request.temperature = temperature;
  if (topP !== undefined) request.topP = topP;
  applyOpenAIEffort(request, effort, 'reasoning.effort');
  if (responseFormat !== undefined) request.responseFormat = responseFormat;
  for (const field of unhonouredSampling(request, { temperature: 'temperature', topP: 'top_p' })) ignored.push({ field, type: 'not honoured by Claude Code' });

  const echo: EchoedRequest = {
    instructions: instructions ?? null,
    max_output_tokens: maxTokens ?? null,
    parallel_tool_calls: parallelToolCalls ?? true,
    previous_response_id: previousResponseId ?? null,
    reasoning: { effort: effort ?? null, summary: reasoningSummary ?? null },
    store: store ?? true,
    temperature: temperature ?? 1,
    text: { format: text?.record('format') ?? { type: 'text' } },
    tool_choice: f.raw('tool_choice') ?? 'auto',
    tools: prepared.echo,
    top_p: topP ?? 1,
    truncation: truncation ?? 'disabled',
    user: user ?? null,
    metadata: metadata ?? {},
  };

  return {
    request,
    ignored,
    conversation: { ...(storedSystem !== undefined ? { system: storedSystem } : {}), messages },
    echo,
    namespacedTools: prepared.namespacedTools,
    customTools: prepared.customTools,
  };
}

function findPrevious(id: string, history: HistoryLookup | undefined): StoredConversation {
  const found = history?.(id);
  if (found === undefined) {
    throw new TurnFailure({
      kind: 'not_found',
      message: `Previous response with id '${id}' not found.`,
      param: 'previous_response_id',
      code: 'previous_response_not_found',
    });
  }
  return found;
}

/** Parameters whose meaning maxproxy cannot honour: a clear 400 beats silently ignoring them. */
function refuseUnsupported(f: Fields): void {
  if (f.boolean('background') === true) {
    throw invalidAt(f.at('background'), 'background responses are not supported; stream instead');
  }
  if (f.has('conversation')) {
    throw invalidAt(f.at('conversation'), 'the Conversations API is not supported; use previous_response_id or send the history');
  }
  if (f.has('prompt')) {
    throw invalidAt(f.at('prompt'), 'stored prompt templates are not supported; send instructions and input');
  }
}

function convertTextFormat(text: Fields | undefined): ResponseFormat | undefined {
  const format = text?.object('format');
  if (format === undefined) return undefined;
  const type = format.oneOf('type', ['text', 'json_object', 'json_schema'] as const);
  if (type === undefined) throw fieldRequired(format.at('type'));
  if (type !== 'json_schema') return { type };
  const schema: JsonObject | undefined = format.record('schema');
  if (schema === undefined) throw fieldRequired(format.at('schema'));
  const name = format.string('name');
  const strict = format.boolean('strict');
  return {
    type: 'json_schema',
    ...(name !== undefined ? { name } : {}),
    schema,
    ...(strict !== undefined ? { strict } : {}),
  };
}

const joinSystem = (parts: Array<string | undefined>): string | undefined => {
  const text = parts.filter((p): p is string => p !== undefined && p !== '').join('\n\n');
  return text === '' ? undefined : text;
};
