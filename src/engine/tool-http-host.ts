import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from '../log/logger.js';

/** Something that can build a fresh MCP server over the same client tools and pending calls. */
export interface ToolServerSource {
  newServer(): Server;
}

/**
 * Serves each session's client tools as a Streamable HTTP MCP server on loopback, at an
 * unguessable path, so they can be given to the CLI on its command line (`--mcp-config`)
 * and are connected before its first turn: a turn the CLI starts by itself (a rebuilt
 * conversation ending in tool results) can no longer run before the tools are registered,
 * as it could with the SDK's in-process servers, which are registered by a later
 * initialize request (docs/decisions/034). Stateless: each HTTP request gets a fresh MCP
 * server over the session's tools, so a reconnect (tool_choice none toggles the server)
 * needs no session bookkeeping.
 */
export class ToolHttpHost {
  private readonly mounts = new Map<string, ToolServerSource>();
  private port = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly log: Logger,
  ) {}

  static async start(log: Logger): Promise<ToolHttpHost> {
    let host!: ToolHttpHost;
    const server = http.createServer((req, res) => void host.handle(req, res));
    // A tool call's response stays open until the client brings its result (minutes).
    server.requestTimeout = 0;
    server.keepAliveTimeout = 60_000;
    host = new ToolHttpHost(server, log);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.unref();
    host.port = (server.address() as AddressInfo).port;
    return host;
  }

  /** Makes a session's tools reachable; the returned url goes into the CLI's MCP config. */
  mount(source: ToolServerSource): { url: string; unmount: () => void } {
    const token = randomBytes(16).toString('hex');
    this.mounts.set(token, source);
    return { url: `http://127.0.0.1:${this.port}/mcp/${token}`, unmount: () => this.mounts.delete(token) };
  }

  get size(): number {
    return this.mounts.size;
  }

  async close(): Promise<void> {
    this.mounts.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const m = /^\/mcp\/([0-9a-f]{32})$/.exec((req.url ?? '').split('?')[0]);
    const source = m ? this.mounts.get(m[1]) : undefined;
    if (!source) {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'POST') {
      // Stateless: no server-initiated stream, no session to delete.
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      const server = source.newServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'client tool server request failed');
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32700, message: 'bad request' }, id: null }));
    }
  }
}
