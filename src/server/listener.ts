import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';

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
  ) {}

  async listen(port: number): Promise<number> {
    const server = http.createServer(this.app);
    // Long streams and long CLI turns: no request timeout, but a bounded header wait.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 65_000;
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

  /** Stops accepting on a server; its in-flight requests finish on their own. */
  private retire(server: http.Server): void {
    server.close();
    server.closeIdleConnections?.();
  }

  /** Stop accepting; wait for in-flight requests up to `graceMs`, then cut what is left. */
  async close(graceMs: number): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets become idle as their last request ends: close them as they do,
    // so a drained server does not wait for clients to hang up.
    server.closeIdleConnections?.();
    const sweep = setInterval(() => server.closeIdleConnections?.(), 100);
    const timer = setTimeout(() => server.closeAllConnections?.(), graceMs);
    timer.unref();
    await closed;
    clearInterval(sweep);
    clearTimeout(timer);
  }
}
