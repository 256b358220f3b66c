/**
 * POST /v1/messages (and /v1/messages/count_tokens) body to a canonical TurnRequest.
 * Unknown top-level fields are ignored; the model string passes through unchanged
 * (model resolution happens before the engine, not here).
 */
import type { EffortOption, ResponseFormat, ThinkingOption, TurnMessage, TurnRequest } from '../../turn/types.js';
import { Fields, fieldPath, fieldRequired, headerValue, invalidAt } from '../shared/read-fields.js';
import { unhonouredSampling } from '../shared/unhonoured.js';
import type { WireContext } from '../wire.js';
import { convertMessageContent } from './convert-content-blocks.js';
import { convertToolChoice, convertTools, convertWebFetch, convertWebSearch } from './convert-tools.js';

/**
 * Headers that name a session explicitly. They win over `metadata.user_id`, which
 * identifies a user (Claude Code happens to embed its session id in it).
 */
const SESSION_HEADERS = ['x-session-id', 'x-claude-code-session-id'] as const;

export function parseMessagesRequest(body: unknown, ctx: WireContext): TurnRequest {
  const f = Fields.of(body, '');
  const model = f.nonEmptyString('model');
  const messages = convertMessages(f.requiredArray('messages'), f.at('messages'));
  const system = convertSystem(f.raw('system'), f.at('system'));
  const tools = convertTools(f.array('tools'), f.at('tools'));
  const webSearch = convertWebSearch(f.array('tools'), f.at('tools'));
  const webFetch = convertWebFetch(f.array('tools'), f.at('tools'));
  const { toolChoice, parallelToolCalls } = convertToolChoice(f.raw('tool_choice'), f.at('tool_choice'), tools);
  const metadata = f.object('metadata');
  const outputConfig = f.object('output_config');
  const effort = convertEffort(outputConfig);
  // output_config.format is the GA field; the structured-outputs beta's top-level output_format is the same shape.
  const responseFormat = convertOutputFormat(outputConfig?.object('format')) ?? convertOutputFormat(f.object('output_format'));
  const thinking = convertThinking(f.object('thinking'));

  const explicitId = headerValue(ctx, SESSION_HEADERS) ?? nonEmpty(metadata?.string('user_id'));
  const userAgent = headerValue(ctx, ['user-agent']);

  const req: TurnRequest = {
    model,
    messages,
    tools,
    conversation: {
      api: 'anthropic-messages',
      ...(explicitId !== undefined ? { explicitId } : {}),
      ...(userAgent !== undefined ? { userAgent } : {}),
    },
    stream: f.boolean('stream') ?? false,
  };
  // Only set what the client sent, so logs and tests see exactly the request.
  if (system !== undefined) req.system = system;
  if (webSearch.offer || webFetch.offer)
    req.hostedTools = { ...(webSearch.offer ? { webSearch: webSearch.offer } : {}), ...(webFetch.offer ? { webFetch: webFetch.offer } : {}) };
  if (toolChoice !== undefined) req.toolChoice = toolChoice;
  if (parallelToolCalls !== undefined) req.parallelToolCalls = parallelToolCalls;
  // Required by the real API; accepted missing here (the CLI has its own default).
  const maxTokens = f.integer('max_tokens', { min: 1 });
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  // Sampling parameters are only checked to be non-negative numbers: the CLI chooses its own.
  const temperature = f.number('temperature', { min: 0 });
  if (temperature !== undefined) req.temperature = temperature;
  const topP = f.number('top_p', { min: 0 });
  if (topP !== undefined) req.topP = topP;
  const topK = f.integer('top_k', { min: 0 });
  if (topK !== undefined) req.topK = topK;
  const stopSequences = f.stringArray('stop_sequences');
  if (stopSequences !== undefined) req.stopSequences = stopSequences;
  if (thinking !== undefined) req.thinking = thinking;
  if (effort !== undefined) req.effort = effort;
  if (responseFormat !== undefined) req.responseFormat = responseFormat;
  if (maxTokens !== undefined || thinking !== undefined || effort !== undefined)
    req.settingFields = { effort: 'output_config.effort', thinking: 'thinking', maxTokens: 'max_tokens' };
  return req;
}

/** What a Messages request carried that Claude Code cannot honour (for the log line and header). */
export function messagesIgnored(req: TurnRequest, body?: unknown): string[] {
  return [...unhonouredSampling(req, { temperature: 'temperature', topP: 'top_p', topK: 'top_k', stop: 'stop_sequences' }), ...serverToolFields(body)];
}

/**
 * Server tools (web_search_*, bash_*, …) are not served (docs/decisions/091): they are
 * named as `tools.N` in the header rather than dropped silently.
 */
function serverToolFields(body: unknown): string[] {
  const tools = (body as { tools?: unknown } | undefined)?.tools;
  if (!Array.isArray(tools)) return [];
  const out: string[] = [];
  tools.forEach((t, i) => {
    const type = (t as { type?: unknown } | null)?.type;
    // Web search is served (decision 091); only what it cannot honour is named.
    if (typeof type === 'string' && type.startsWith('web_search_')) {
      if ((t as { user_location?: unknown }).user_location !== undefined) out.push(`tools.${i}.user_location`);
    } else if (typeof type === 'string' && type.startsWith('web_fetch_')) {
      // Web fetch depends on the daemon's allowWebFetch setting: the engine names what it does not honour (decision 095).
    } else if (typeof type === 'string' && type !== 'custom') out.push(`tools.${i}`);
  });
  return out;
}

/** count_tokens takes the same body minus max_tokens/stream; it never streams. */
export function parseCountTokensRequest(body: unknown, ctx: WireContext): TurnRequest {
  return { ...parseMessagesRequest(body, ctx), stream: false };
}

function convertMessages(value: unknown[], path: string): TurnMessage[] {
  if (value.length === 0) throw invalidAt(path, 'at least one message is required');
  return value.map((raw, i) => {
    const f = Fields.of(raw, fieldPath(path, i));
    const role = f.string('role');
    if (role === undefined) throw fieldRequired(f.at('role'));
    if (role === 'system') {
      throw invalidAt(f.at('role'), `'system' is not a message role here; use the top-level system field`);
    }
    if (role !== 'user' && role !== 'assistant') {
      throw invalidAt(f.at('role'), `must be 'user' or 'assistant', got '${role}'`);
    }
    const content = f.raw('content');
    if (content === undefined) throw fieldRequired(f.at('content'));
    return { role, content: convertMessageContent(content, role, f.at('content')) };
  });
}

/** `system`: a string or text blocks (cache_control dropped), joined with a blank line. */
function convertSystem(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else if (Array.isArray(value)) {
    text = value
      .map((block, i) => {
        const f = Fields.of(block, fieldPath(path, i));
        const type = f.requiredString('type');
        if (type !== 'text') throw invalidAt(f.at('type'), `system blocks must be text, got '${type}'`);
        return f.requiredString('text');
      })
      .join('\n\n');
  } else {
    throw invalidAt(path, 'expected a string or an array of text blocks');
  }
  return text === '' ? undefined : text;
}

function convertThinking(f: Fields | undefined): ThinkingOption | undefined {
  if (f === undefined) return undefined;
  const type = f.oneOf('type', ['enabled', 'disabled', 'adaptive'] as const);
  if (type === undefined) throw fieldRequired(f.at('type'));
  if (type !== 'enabled') return { type };
  const budgetTokens = f.integer('budget_tokens', { min: 0 });
  return budgetTokens === undefined ? { type } : { type, budgetTokens };
}

/** `output_config.effort`: Anthropic's levels are Claude Code's, passed on as they are. */
function convertEffort(f: Fields | undefined): EffortOption | undefined {
  return f?.oneOf('effort', ['low', 'medium', 'high', 'xhigh', 'max'] as const);
}

/** `output_config.format` (structured outputs): a JSON schema the answer must follow. */
function convertOutputFormat(format: Fields | undefined): ResponseFormat | undefined {
  if (format === undefined) return undefined;
  format.oneOf('type', ['json_schema'] as const);
  const schema = format.record('schema');
  if (schema === undefined) throw fieldRequired(format.at('schema'));
  return { type: 'json_schema', schema };
}

const nonEmpty = (s: string | undefined): string | undefined => (s?.trim() ? s.trim() : undefined);
