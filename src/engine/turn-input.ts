import type { ContentBlock, TurnMessage, TurnRequest } from '../turn/types.js';
import { invalid } from '../turn/types.js';

/** How a canonical request becomes the CLI's input: the new user turn, its output schema, tool-choice notes. */

/** JSON output requested by the client, as the schema the CLI must enforce. */
export function outputSchemaOf(req: TurnRequest): Record<string, unknown> | undefined {
  const f = req.responseFormat;
  if (!f || f.type === 'text') return undefined;
  return f.type === 'json_schema' ? f.schema : { type: 'object' };
}

/**
 * The schema the CLI's StructuredOutput tool is given, and where the client's JSON is in
 * its answer. That tool's input is a tool input, which the Messages API requires to be an
 * object (and which the CLI validates against the schema's root), so a top-level array,
 * string, number or union schema is wrapped as the property `output` of an object and
 * unwrapped again before the client sees it: the client gets exactly the model's JSON.
 * `$defs`/`definitions` move to the wrapper's root so `#/$defs/...` references still resolve.
 */
export function cliOutputFormat(schema: Record<string, unknown>): { schema: Record<string, unknown>; key?: string } {
  if (schema.type === 'object') return { schema };
  const { $defs, definitions, $schema: _dialect, ...inner } = schema;
  return {
    key: WRAPPED_OUTPUT_KEY,
    schema: {
      type: 'object',
      properties: { [WRAPPED_OUTPUT_KEY]: inner },
      required: [WRAPPED_OUTPUT_KEY],
      additionalProperties: false,
      ...($defs !== undefined ? { $defs } : {}),
      ...(definitions !== undefined ? { definitions } : {}),
    },
  };
}

export const WRAPPED_OUTPUT_KEY = 'output';

/**
 * The CLI has no per-turn tool_choice: "required", a named tool and
 * parallel_tool_calls:false become an explicit instruction in the user turn — the
 * closest the CLI allows, and documented as not guaranteed (docs/tool-calling.md).
 */
export function withToolChoice(input: ContentBlock[], req: TurnRequest): ContentBlock[] {
  if (req.tools.length === 0) return input;
  const notes: string[] = [];
  const tc = req.toolChoice;
  if (tc?.type === 'any') notes.push('You must call one or more of the available tools in this response.');
  else if (tc?.type === 'tool') notes.push(`You must call the tool "${tc.name}" in this response.`);
  if (req.parallelToolCalls === false && tc?.type !== 'none') notes.push('Call at most one tool in this response.');
  if (notes.length === 0 || input.every((b) => b.type === 'tool_result')) return input;
  return [...input, { type: 'text', text: `<tool-choice>${notes.join(' ')}</tool-choice>` }];
}

/**
 * Splits a request into the history the CLI must already hold and the new user input
 * (the trailing run of user messages, merged: the CLI takes one user message per turn).
 */
export function splitTurn(messages: TurnMessage[]): { history: TurnMessage[]; input: ContentBlock[] } {
  let i = messages.length;
  while (i > 0 && messages[i - 1].role === 'user') i--;
  const input = messages.slice(i).flatMap((m) => m.content);
  if (input.length === 0) {
    if (messages.length === 0) throw invalid('messages must not be empty', 'messages');
    throw invalid('the last message must be from the user (assistant prefill is not supported through Claude Code)', `messages.${messages.length - 1}.role`);
  }
  return { history: messages.slice(0, i), input };
}
