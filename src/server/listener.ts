import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';

export interface ListenerLimits {
  /** Longest time to receive one request, headers and body (default 60 s). */
  bodyTimeoutMs?: number;
  /** Open connections at most (default: from the descriptor limit). */
  maxConnections?: number;
}

export const DEFAULT_BODY_TIMEOUT_MS = 60_000;

/** Half the process's descriptor limit (the rest is for CLI pipes, logs, files), between 64 and 4096. */
export function defaultMaxConnections(): number {
  let limit = 1024;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    if (m) limit = Number(m[1]);
  } catch {
    /* not Linux: macOS gives a process 256 by default (Node raises it), assume 1024 */
  }
  return Math.max(64, Math.min(4096, Math.floor((limit - 128) / 2)));
}

/**
 * The HTTP listener. Owns the node server so the port can move while in-flight
 * streams on the old one finish.
 */
export class Listener {
  private server?: http.Server;
  port = 0;

  constructor(
    private readonly app: express.Express,
    public host: string,
    private readonly limits: ListenerLimits = {},
  ) {}

  async listen(port: number): Promise<number> {
    const bodyTimeoutMs = this.limits.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
    // Checked this often: a stalled request is cut within its limit plus this.
    const server: http.Server = http.createServer({ connectionsCheckingInterval: Math.min(1_000, bodyTimeoutMs) }, (req, res) => {
      if (this.retired.has(server)) {
        req.socket.destroy();
        return;
      }
      this.app(req, res);
    });
    // Receiving a request (headers and body) is bounded; what happens after it is not:
    // Node stops this clock once the body is in, so long streams and long CLI turns go on.
    server.requestTimeout = bodyTimeoutMs;
    server.headersTimeout = Math.min(60_000, bodyTimeoutMs);
    server.keepAliveTimeout = 65_000;
    // Descriptors are finite: past this many sockets new connections are dropped, and idle
    // keep-alive sockets are closed to make room, so requests and the CLI's pipes still get one.
    server.maxConnections = this.limits.maxConnections ?? defaultMaxConnections();
    server.on('drop', () => server.closeIdleConnections?.());
    this.track(server);
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      server.once('error', onError);
      server.listen(port, this.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const old = this.server;
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    if (old) this.retire(old);
    return this.port;
  }

  /**
   * Stops accepting on a server; its in-flight requests finish on their own, and then
   * their connections close. A client may still send a new request on a kept-alive
   * connection to the old port: it is cut without an answer (the old port is gone),
   * never served, where the Host check would refuse it with a misleading 403.
   */
  private retire(server: http.Server): void {
    server.close();
    server.closeIdleConnections?.();
    this.retired.add(server);
    for (const res of this.inFlight.get(server) ?? []) if (!res.headersSent) res.setHeader('connection', 'close');
  }

  private readonly retired = new WeakSet<http.Server>();

  /** Responses not yet finished, per server (to close their connections when it retires). */
  private readonly inFlight = new WeakMap<http.Server, Set<http.ServerResponse>>();

  private track(server: http.Server): void {
    const open = new Set<http.ServerResponse>();
    this.inFlight.set(server, open);
    server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
      open.add(res);
      res.once('close', () => open.delete(res));
    });
  }

  /**
   * Stop accepting; wait for in-flight requests up to `graceMs`, then cut what is left.
   * `onGraceOut` runs first (turns end with their API's error event), and the cut
   * follows a moment later so those events reach the clients.
   */
  async close(graceMs: number, onGraceOut?: () => void): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets become idle as their last request ends: close them as they do,
    // so a drained server does not wait for clients to hang up.
    server.closeIdleConnections?.();
    const sweep = setInterval(() => server.closeIdleConnections?.(), 100);
    let cut: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      onGraceOut?.();
      cut = setTimeout(() => server.closeAllConnections?.(), onGraceOut ? 500 : 0);
    }, graceMs);
    timer.unref();
    await closed;
    clearInterval(sweep);
    clearTimeout(timer);
    if (cut) clearTimeout(cut);
  }
}
