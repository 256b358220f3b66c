import { randomBytes } from 'node:crypto';
import * as anthropic from '../api/anthropic/index.js';
import * as openai from '../api/openai/index.js';
import * as responses from '../api/responses/index.js';
import type { ResponseStore } from '../store/response-store.js';
import type { FormatAdapter } from './turn-route.js';

/** The three wire formats, each plugged into the shared turn route. */

const rid = (prefix: string, n = 12) => `${prefix}${randomBytes(n).toString('hex')}`;

export const chatCompletions: FormatAdapter<{ includeUsage: boolean }> = {
  route: '/v1/chat/completions',
  endpoint: 'chat.completions',
  newId: () => rid('chatcmpl-'),
  parse: (body, ctx) => {
    const p = openai.parseChatRequest(body, ctx);
    return { request: p.request, ignored: p.ignored, extra: { includeUsage: p.includeUsage } };
  },
  encodeError: openai.encodeChatError,
  encodeResult: (result, meta) => openai.encodeChatCompletion(result, meta),
  stream: (events, sink, meta, extra) => openai.streamChat(events, sink, { ...meta, includeUsage: extra.includeUsage }),
};

export const anthropicMessages: FormatAdapter<undefined> = {
  route: '/v1/messages',
  endpoint: 'messages',
  newId: () => rid('msg_'),
  parse: (body, ctx) => {
    const request = anthropic.parseMessagesRequest(body, ctx);
    return { request, ignored: anthropic.messagesIgnored(request, body), extra: undefined };
  },
  encodeError: anthropic.encodeMessagesError,
  encodeResult: (result, meta) => anthropic.encodeMessagesResponse({ ...result, messageId: meta.id, model: meta.model }),
  stream: (events, sink, meta) => anthropic.streamMessages(renameStart(events, meta.id, meta.model), sink),
};

/** The engine's message id/model are the CLI's; clients get ours and the model name they asked for. */
async function* renameStart(events: AsyncIterable<import('../turn/types.js').TurnEvent>, id: string, model: string) {
  for await (const e of events) yield e.type === 'start' ? { ...e, messageId: id, model } : e;
}

export function responsesApi(store: ResponseStore): FormatAdapter<responses.ParsedResponsesRequest> {
  return {
    route: '/v1/responses',
    endpoint: 'responses',
    newId: () => rid('resp_'),
    parse: (body, ctx) => {
      const p = responses.parseResponsesRequest(body, ctx, store.lookup);
      return { request: p.request, ignored: p.ignored.map((i) => `${i.field} (${i.type})`), extra: p };
    },
    encodeError: responses.encodeResponsesError,
    encodeResult: (result, meta, p) =>
      responses.encodeResponse(result, {
        id: meta.id,
        createdAt: meta.created,
        model: meta.model,
        echo: p.echo,
        namespacedTools: p.namespacedTools,
        customTools: p.customTools,
      }),
    stream: (events, sink, meta, p, outcome) =>
      responses.streamResponses(
        events,
        sink,
        { id: meta.id, createdAt: meta.created, model: meta.model, echo: p.echo, namespacedTools: p.namespacedTools, customTools: p.customTools },
        outcome,
      ),
    finished: (result, meta, p) => {
      if (p.echo.store !== false) store.record(meta.id, p.conversation, result);
    },
  };
}
