import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { type FetchedPage, fetchPage, WebFetchError } from '../net/web-fetch/fetcher.js';
import type { WebFetchOffer } from '../turn/types.js';
import { DAEMON_SERVER } from './client-tool-names.js';
import type { McpRuntime } from './client-tools.js';
import { normalizeToolId } from './fingerprint.js';
import type { ToolServerSource } from './tool-http-host.js';

export { DAEMON_SERVER, WEB_FETCH_CLI_TOOL } from './client-tool-names.js';

/** What a fetch gave, kept by tool-use id for the client's web_fetch_tool_result block. */
export type WebFetchOutcome =
  | { url: string; page: FetchedPage; retrievedAt: string }
  | { url: string; error: { code: WebFetchError['code'] | 'max_uses_exceeded'; message: string } };

type CallResult = { content: Array<{ type: 'text'; text: string }>; isError?: boolean };

/** Characters per token for max_content_tokens (the cut is approximate by design: no tokenizer here). */
const CHARS_PER_TOKEN = 4;

/** A host is in a domain list when it is the domain or one of its subdomains. */
export function inDomains(hostname: string, domains: readonly string[]): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return domains.some((d) => {
    const dom = d.toLowerCase().replace(/^\*\./, '').replace(/\.$/, '');
    return h === dom || h.endsWith(`.${dom}`);
  });
}

/**
 * The client's hosted web fetch, run by the daemon inside the turn (the SSRF-safe fetcher of
 * src/net/web-fetch) and offered to the CLI as an MCP tool beside the client's tools. The
 * client's limits are enforced here: max_uses per request, allowed/blocked domains on every
 * hop, page text cut to max_content_tokens. A refused or failed fetch is a tool error the
 * model sees (with the Messages API's error_code), never a failed turn.
 */
export class WebFetchTool implements ToolServerSource {
  private uses = 0;
  private readonly outcomes = new Map<string, WebFetchOutcome>();

  constructor(
    private readonly offer: WebFetchOffer,
    private readonly mcp: McpRuntime,
    private readonly fetch: typeof fetchPage = fetchPage,
  ) {}

  /** max_uses counts per request: each turn starts again. */
  beginTurn(): void {
    this.uses = 0;
    this.outcomes.clear();
  }

  /** The structured outcome of the call with this tool-use id (ids compared normalised). */
  outcome(toolUseId: string): WebFetchOutcome | undefined {
    return this.outcomes.get(normalizeToolId(toolUseId));
  }

  newServer(): Server {
    const { Server, CallToolRequestSchema, ListToolsRequestSchema } = this.mcp;
    const server = new Server({ name: DAEMON_SERVER, version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [
        {
          name: 'web_fetch',
          description: 'Fetches the full text of a web page or PDF at an http(s) url.',
          inputSchema: { type: 'object' as const, properties: { url: { type: 'string', description: 'The url to fetch' } }, required: ['url'] },
          annotations: { readOnlyHint: true },
        },
      ],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      const meta = (extra as { _meta?: Record<string, unknown> })._meta ?? (req.params as { _meta?: Record<string, unknown> })._meta ?? {};
      const url = (req.params.arguments as { url?: unknown } | undefined)?.url;
      return this.call(typeof url === 'string' ? url : '', String(meta['claudecode/toolUseId'] ?? ''), extra.signal);
    });
    return server;
  }

  /** Runs one fetch for the model; the outcome is kept by tool-use id. */
  async call(url: string, toolUseId: string, signal?: AbortSignal): Promise<CallResult> {
    const outcome = await this.run(url, signal);
    this.outcomes.set(normalizeToolId(toolUseId), outcome);
    if ('error' in outcome) return { content: [{ type: 'text', text: `Error ${outcome.error.code}: ${outcome.error.message}` }], isError: true };
    const p = outcome.page;
    const body = p.kind === 'text' ? p.text : '[PDF document: its text is not extracted here]';
    return { content: [{ type: 'text', text: `${p.title ? `Title: ${p.title}\n` : ''}URL: ${p.url}\n\n${body}` }] };
  }

  private async run(url: string, signal?: AbortSignal): Promise<WebFetchOutcome> {
    const o = this.offer;
    if (o.maxUses !== undefined && this.uses >= o.maxUses)
      return { url, error: { code: 'max_uses_exceeded', message: `web fetch limit reached (max_uses ${o.maxUses} for this request)` } };
    this.uses++;
    try {
      const page = await this.fetch(url, {
        allowHost: (host) =>
          (!o.allowedDomains?.length || inDomains(host, o.allowedDomains)) && !(o.blockedDomains?.length && inDomains(host, o.blockedDomains)),
        ...(signal ? { signal } : {}),
      });
      return { url, page: this.cut(page), retrievedAt: new Date().toISOString() };
    } catch (e) {
      if (e instanceof WebFetchError) return { url, error: { code: e.code, message: e.message } };
      return { url, error: { code: 'unavailable', message: (e as Error).message } };
    }
  }

  private cut(page: FetchedPage): FetchedPage {
    const max = this.offer.maxContentTokens;
    if (max === undefined || page.kind !== 'text' || page.text.length <= max * CHARS_PER_TOKEN) return page;
    return { ...page, text: page.text.slice(0, max * CHARS_PER_TOKEN), truncated: true };
  }
}
