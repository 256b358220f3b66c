/**
 * What `previous_response_id` continues: per response id, the system text and the messages
 * up to and including the assistant's answer, as canonical messages. The store that keeps
 * them (src/store/response-store.ts) is state and file I/O; this layer only reads them.
 */
import type { TurnResult } from '../../turn/collect.js';
import type { TurnMessage } from '../../turn/types.js';

export interface StoredConversation {
  system?: string;
  messages: TurnMessage[];
}

/** Finds the conversation a previous_response_id continues. */
export type HistoryLookup = (previousResponseId: string) => StoredConversation | undefined;

/** The assistant's answer as a history message (undefined when it has no content). */
export function assistantMessageFrom(result: TurnResult): TurnMessage | undefined {
  return result.content.length > 0 ? { role: 'assistant', content: result.content } : undefined;
}
