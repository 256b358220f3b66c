/**
 * Test support for the guards (not used at run time): start an express app on
 * 127.0.0.1:0 and send raw requests with node:http, which, unlike fetch, lets a test
 * set or omit the Host header.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express, Request, Response } from 'express';
import { statusForKind } from '../../api/wire.js';
import type { TurnError } from '../../turn/types.js';

export interface Started {
  port: number;
  url: string;
  close(): Promise<void>;
}

export const listen = (app: Express): Promise<Started> =>
  new Promise((resolve, reject) => {
    const server = http.createServer(app);
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });

/** A plain respond: status from the canonical kind, body `{error}`. */
export const testRespond = (_req: Request, res: Response, err: TurnError): void => {
  if (res.headersSent) return;
  res.status(statusForKind[err.kind]).json({ error: err });
};

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

export interface RawRequest {
  port: number;
  method?: string;
  path?: string;
  /** Header values; `host: null` sends no Host header at all. */
  headers?: Record<string, string | null>;
  body?: string | Buffer;
}

export const rawRequest = (r: RawRequest): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    let setHost = true;
    for (const [k, v] of Object.entries(r.headers ?? {})) {
      if (v === null) {
        if (k.toLowerCase() === 'host') setHost = false;
      } else headers[k] = v;
    }
    const req = http.request({ host: '127.0.0.1', port: r.port, method: r.method ?? 'GET', path: r.path ?? '/', headers, setHost }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(r.body);
  });
