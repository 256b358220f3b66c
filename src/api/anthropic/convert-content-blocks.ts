/**
 * Anthropic message content (a string or an array of blocks) to canonical blocks.
 * The canonical blocks are Anthropic's own shapes, so this is validation plus dropping
 * the fields the CLI does not take (cache_control; citations on text the client sends).
 */
import type { ContentBlock, ImageBlock, Role, TextBlock } from '../../turn/types.js';
import { convertAnthropicDocument } from '../shared/convert-document.js';
import { convertImageSource } from '../shared/convert-image-source.js';
import { convertTextAndImageBlocks } from '../shared/convert-text-image-blocks.js';
import { Fields, fieldPath, fieldRequired, invalidAt, isJsonObject, wrongType } from '../shared/read-fields.js';

/** Which block types each role may carry (the Messages API rejects the others). */
const ALLOWED: Record<Role, readonly ContentBlock['type'][]> = {
  user: ['text', 'image', 'document', 'tool_result'],
  assistant: ['text', 'tool_use', 'thinking', 'redacted_thinking', 'server_tool_use', 'web_search_result', 'web_fetch_result'],
};

const SERVER_TOOL_BLOCK = 'server tool blocks are not supported (server tools are not available through maxproxy)';

/** Block types of the real API that maxproxy cannot serve, with the reason a client sees. */
const UNSUPPORTED: Record<string, string> = {
  search_result: 'search_result blocks are not supported; send the text as a text block',
  container_upload: 'container_upload blocks are not supported (no code execution container)',
  code_execution_tool_result: SERVER_TOOL_BLOCK,
  bash_code_execution_tool_result: SERVER_TOOL_BLOCK,
  text_editor_code_execution_tool_result: SERVER_TOOL_BLOCK,
  tool_search_tool_result: SERVER_TOOL_BLOCK,
  mcp_tool_use: 'MCP connector blocks are not supported',
  mcp_tool_result: 'MCP connector blocks are not supported',
};

export function convertMessageContent(value: unknown, role: Role, path: string): ContentBlock[] {
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  if (!Array.isArray(value)) throw wrongType(path, 'a string or an array of content blocks', value);
  return value.map((block, i) => convertBlock(block, role, fieldPath(path, i)));
}

function convertBlock(value: unknown, role: Role, path: string): ContentBlock {
  const f = Fields.of(value, path);
  const type = f.requiredString('type');
  if (Object.hasOwn(UNSUPPORTED, type)) throw invalidAt(f.at('type'), UNSUPPORTED[type]);
  // Hosted web search and fetch blocks an earlier answer carried, sent back in the history (decisions 091, 095).
  if (type === 'server_tool_use' || type === 'web_search_tool_result' || type === 'web_fetch_tool_result') {
    if (role !== 'assistant') throw invalidAt(f.at('type'), `'${type}' blocks are not allowed in ${role} messages`);
    return type === 'web_fetch_tool_result' ? convertFetchResult(f) : convertSearchBlock(f, type);
  }
  const known = ['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'] as const;
  if (!(known as readonly string[]).includes(type)) {
    throw invalidAt(f.at('type'), `unknown content block type '${type}'`);
  }
  const blockType = type as (typeof known)[number];
  if (!ALLOWED[role].includes(blockType)) {
    throw invalidAt(f.at('type'), `'${type}' blocks are not allowed in ${role} messages`);
  }
  switch (blockType) {
    case 'text':
      return { type: 'text', text: f.requiredString('text') };
    case 'image':
      return { type: 'image', source: convertImageSource(f.raw('source'), f.at('source')) };
    case 'document':
      return convertAnthropicDocument(f);
    case 'tool_use': {
      const input = f.raw('input');
      if (input === undefined) throw fieldRequired(f.at('input'));
      if (!isJsonObject(input)) throw wrongType(f.at('input'), 'an object', input);
      return { type: 'tool_use', id: f.nonEmptyString('id'), name: f.nonEmptyString('name'), input };
    }
    case 'tool_result': {
      const isError = f.boolean('is_error');
      return {
        type: 'tool_result',
        tool_use_id: f.nonEmptyString('tool_use_id'),
        content: convertToolResultContent(f.raw('content'), f.at('content')),
        ...(isError !== undefined ? { is_error: isError } : {}),
      };
    }
    case 'thinking': {
      const signature = f.string('signature');
      return {
        type: 'thinking',
        thinking: f.requiredString('thinking'),
        ...(signature !== undefined ? { signature } : {}),
      };
    }
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: f.requiredString('data') };
  }
}

function convertSearchBlock(f: Fields, type: 'server_tool_use' | 'web_search_tool_result'): ContentBlock {
  if (type === 'server_tool_use') {
    const name = f.nonEmptyString('name');
    const input = f.object('input');
    if (name === 'web_fetch') return { type: 'server_tool_use', id: f.nonEmptyString('id'), name, input: { url: input?.string('url') ?? '' } };
    if (name !== 'web_search') throw invalidAt(f.at('name'), `server tool '${name}' is not available through maxproxy`);
    return { type: 'server_tool_use', id: f.nonEmptyString('id'), name: 'web_search', input: { query: input?.string('query') ?? '' } };
  }
  const toolUseId = f.nonEmptyString('tool_use_id');
  const content = f.raw('content');
  if (Array.isArray(content)) {
    const results = content.map((r, i) => {
      const rf = Fields.of(r, fieldPath(f.at('content'), i));
      return { title: rf.string('title') ?? '', url: rf.requiredString('url') };
    });
    return { type: 'web_search_result', toolUseId, results };
  }
  const ef = Fields.of(content, f.at('content'));
  return { type: 'web_search_result', toolUseId, results: [], error: { code: ef.requiredString('error_code') } };
}

/**
 * A web_fetch_tool_result an earlier answer carried: the page (a text or PDF document) or the
 * error object. It never goes upstream again (the live CLI holds the fetch as its own tool
 * call; a rebuilt transcript leaves it out), so only its shape is checked.
 */
function convertFetchResult(f: Fields): ContentBlock {
  const toolUseId = f.nonEmptyString('tool_use_id');
  const content = f.object('content');
  if (content === undefined) throw fieldRequired(f.at('content'));
  const kind = content.oneOf('type', ['web_fetch_result', 'web_fetch_tool_result_error'] as const);
  if (kind === undefined) throw fieldRequired(content.at('type'));
  if (kind === 'web_fetch_tool_result_error') return { type: 'web_fetch_result', toolUseId, url: '', error: { code: content.requiredString('error_code') } };
  const url = content.requiredString('url');
  const retrievedAt = content.string('retrieved_at');
  const doc = content.object('content');
  const source = doc?.object('source');
  const title = doc?.string('title');
  const data = source?.string('data');
  const document =
    data === undefined
      ? undefined
      : {
          source:
            source?.string('type') === 'base64'
              ? { type: 'base64' as const, media_type: 'application/pdf' as const, data }
              : { type: 'text' as const, media_type: 'text/plain' as const, data },
          ...(title !== undefined ? { title } : {}),
        };
  return { type: 'web_fetch_result', toolUseId, url, ...(retrievedAt !== undefined ? { retrievedAt } : {}), ...(document ? { document } : {}) };
}

/** tool_result content: absent, a string, or text/image blocks. */
function convertToolResultContent(value: unknown, path: string): string | Array<TextBlock | ImageBlock> {
  if (value === undefined) return '';
  return convertTextAndImageBlocks(value, path, 'tool_result content', (type, f) => {
    if (type === 'document') {
      // Tool results reach the CLI through MCP, whose results carry text and images only.
      throw invalidAt(f.at('type'), 'document blocks are not supported inside tool_result content; send the document in the user message');
    }
    if (Object.hasOwn(UNSUPPORTED, type)) throw invalidAt(f.at('type'), UNSUPPORTED[type]);
  });
}
