/** A finished turn as the Responses API's `response` object (the non-streaming answer). */
import type { TurnResult } from '../../turn/collect.js';
import type { StopReason } from '../../turn/types.js';
import { itemId, outputFromContent, refusalItem } from './build-output-items.js';
import { encodeResponsesUsage } from './convert-usage.js';
import type { NamespacedName } from './prepare-tools.js';
import type { EchoedRequest, OutputItem, ResponseObject, ResponseStatus, ResponsesUsage } from './wire-types.js';

export interface ResponseMeta {
  /** `resp_…`, chosen by the caller (it is also the ResponseStore key). */
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** The model as the client named it (known before the engine answers, so streams can show it first). */
  model: string;
  /** From ParsedResponsesRequest; OpenAI's defaults when absent. */
  echo?: EchoedRequest;
  /** From ParsedResponsesRequest, to name namespace tool calls back. */
  namespacedTools?: ReadonlyMap<string, NamespacedName>;
  /** From ParsedResponsesRequest: tool names whose calls are `custom_tool_call` items. */
  customTools?: ReadonlySet<string>;
}

export const defaultEcho = (): EchoedRequest => ({
  instructions: null,
  max_output_tokens: null,
  parallel_tool_calls: true,
  previous_response_id: null,
  reasoning: { effort: null, summary: null },
  store: true,
  temperature: 1,
  text: { format: { type: 'text' } },
  tool_choice: 'auto',
  tools: [],
  top_p: 1,
  truncation: 'disabled',
  user: null,
  metadata: {},
});

/** max_tokens ends a response as incomplete (max_output_tokens), a refusal as incomplete (content_filter). */
export function statusForStop(stop: StopReason): Pick<ResponseObject, 'status' | 'incomplete_details'> {
  if (stop === 'max_tokens') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (stop === 'refusal') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export function responseObject(
  meta: ResponseMeta,
  state: {
    status: ResponseStatus;
    output: OutputItem[];
    usage: ResponsesUsage | null;
    error?: ResponseObject['error'];
    incompleteDetails?: ResponseObject['incomplete_details'];
  },
): ResponseObject {
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.createdAt,
    status: state.status,
    background: false,
    error: state.error ?? null,
    incomplete_details: state.incompleteDetails ?? null,
    model: meta.model,
    output: state.output,
    usage: state.usage,
    ...(meta.echo ?? defaultEcho()),
  };
}

/** A structured-output refusal completes with a `refusal` content part, as OpenAI's own does. */
export const statusForResult = (result: TurnResult): Pick<ResponseObject, 'status' | 'incomplete_details'> =>
  result.refusal !== undefined ? { status: 'completed', incomplete_details: null } : statusForStop(result.stopReason);

export function encodeResponse(result: TurnResult, meta: ResponseMeta): ResponseObject {
  const { status, incomplete_details } = statusForResult(result);
  const output = outputFromContent(result.content, meta.id, meta.namespacedTools, meta.customTools);
  if (result.refusal !== undefined) output.push(refusalItem(itemId(meta.id, 'msg', output.length), result.refusal, 'completed'));
  return responseObject(meta, {
    status,
    incompleteDetails: incomplete_details,
    output,
    usage: encodeResponsesUsage(result.usage),
  });
}
