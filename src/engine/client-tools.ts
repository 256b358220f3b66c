import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ImageBlock, TextBlock, ToolDef, ToolResultBlock } from '../turn/types.js';
import { CLIENT_SERVER } from './client-tool-names.js';
import { normalizeToolId } from './fingerprint.js';

export { CLIENT_SERVER, fromCliToolName, toCliToolName } from './client-tool-names.js';

type CallResult = { content: Array<{ type: 'text'; text: string } | { type: 'image'; data: string; mimeType: string }>; isError?: boolean };

/** The MCP SDK's runtime pieces, loaded (and retried after a failure) by tools-module.ts. */
export interface McpRuntime {
  Server: typeof Server;
  CallToolRequestSchema: typeof CallToolRequestSchema;
  ListToolsRequestSchema: typeof ListToolsRequestSchema;
}

interface Pending {
  resolve: (r: CallResult) => void;
  reject: (e: Error) => void;
}

/**
 * The client's own tools, served to the CLI from a low-level MCP server (over loopback
 * HTTP, see tool-http-host.ts) so their JSON Schemas reach the upstream unchanged (the Agent SDK's Zod-based
 * `tool()` loses `$ref`, formats and `required` on defaulted fields — measured).
 * A call suspends until the client's next request brings the result; the CLI turn
 * stays open meanwhile and continues in the same process.
 */
export class ClientToolBridge {
  private readonly pending = new Map<string, Pending>();
  /** Results that arrived before the CLI asked (calls are started at each block's end). */
  private readonly early = new Map<string, CallResult>();
  /** The client's tool names as offered (what may ever reach the client). */
  readonly names: ReadonlySet<string>;
  private readonly listed: Array<{
    name: string;
    description: string;
    inputSchema: { type: 'object'; [k: string]: unknown };
    annotations: { readOnlyHint: boolean };
  }>;

  constructor(
    tools: ToolDef[],
    private readonly mcp: McpRuntime,
  ) {
    this.names = new Set(tools.map((t) => t.name));
    this.listed = tools.map((t) => ({
      name: t.name,
      description: t.description ?? '',
      inputSchema: t.inputSchema as { type: 'object'; [k: string]: unknown },
      // readOnlyHint makes the CLI start parallel calls together instead of one by one (measured).
      annotations: { readOnlyHint: true },
    }));
  }

  /**
   * A low-level MCP server over these tools and this bridge's pending calls. The HTTP host
   * builds one per request (stateless), so any number may exist; they share the calls.
   */
  newServer(): Server {
    const { Server, CallToolRequestSchema, ListToolsRequestSchema } = this.mcp;
    const server = new Server({ name: CLIENT_SERVER, version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: this.listed }));
    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      const meta = (extra as { _meta?: Record<string, unknown> })._meta ?? (req.params as { _meta?: Record<string, unknown> })._meta ?? {};
      const id = String(meta['claudecode/toolUseId'] ?? '');
      const key = normalizeToolId(id);
      const ready = this.early.get(key);
      if (ready) {
        this.early.delete(key);
        return ready;
      }
      return new Promise<CallResult>((resolve, reject) => {
        this.pending.set(key, { resolve, reject });
        extra.signal?.addEventListener('abort', () => {
          if (this.pending.get(key)?.resolve === resolve) this.pending.delete(key);
          reject(new Error('tool call aborted'));
        });
      });
    });
    return server;
  }

  get waiting(): number {
    return this.pending.size;
  }

  /** Hands the client's results to the suspended calls; ids are matched after normalisation. */
  deliver(results: ToolResultBlock[], extraText: string[], expected: string[]): void {
    const byId = new Map(results.map((r) => [normalizeToolId(r.tool_use_id), r]));
    const keys = expected.map(normalizeToolId);
    keys.forEach((key, i) => {
      const r = byId.get(key);
      let result: CallResult = r ? toCallResult(r) : { content: [{ type: 'text', text: 'The client returned no result for this tool call.' }], isError: true };
      // Text the client sent beside its tool results (OpenClaw adds context after each result)
      // rides along with the last result: a user message pushed now would be injected mid-turn.
      if (i === keys.length - 1 && extraText.length)
        result = { ...result, content: [...result.content, ...extraText.map((text) => ({ type: 'text' as const, text }))] };
      const p = this.pending.get(key);
      if (p) {
        this.pending.delete(key);
        p.resolve(result);
      } else this.early.set(key, result);
    });
  }

  abortAll(): void {
    for (const p of this.pending.values()) p.reject(new Error('session closed'));
    this.pending.clear();
    this.early.clear();
  }
}

function toCallResult(r: ToolResultBlock): CallResult {
  const parts: Array<TextBlock | ImageBlock> = typeof r.content === 'string' ? [{ type: 'text', text: r.content }] : r.content;
  const content = parts.map((p) =>
    p.type === 'text'
      ? { type: 'text' as const, text: p.text }
      : p.source.type === 'base64'
        ? { type: 'image' as const, data: p.source.data, mimeType: p.source.media_type }
        : { type: 'text' as const, text: `[image: ${p.source.url}]` },
  );
  return { content: content.length ? content : [{ type: 'text', text: '' }], isError: r.is_error === true ? true : undefined };
}
