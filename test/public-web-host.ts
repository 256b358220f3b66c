/**
 * A web server on a public-looking address, for the success path of the daemon's web
 * fetch (which refuses loopback and private addresses, with no switch to widen that).
 * As root, a network namespace with a veth pair gets a /30 from 44.0.0.0/8 (public
 * unicast); the server runs inside it and this machine reaches it over the veth. Needs
 * iproute2 and root (CI runs as root and installs iproute2); without them `start` throws
 * and says why, so the test fails rather than skips.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PublicWebHost {
  /** e.g. http://44.0.3.2:8080 */
  origin: string;
  address: string;
  stop(): void;
}

/**
 * Routes: /page (HTML), /plain (text), /doc.pdf (a PDF), /image.png (unsupported type),
 * /to?u=<url> (302 to that url), /hops/<n> (n redirects to /page).
 */
const SERVER = `
const http = require('node:http');
const pdf = Buffer.from('%PDF-1.4\\n1 0 obj<</Type/Catalog>>endobj\\ntrailer<</Root 1 0 R>>\\n%%EOF\\n');
http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  process.stdout.write(JSON.stringify({ path: req.url, ua: req.headers['user-agent'] }) + '\\n');
  if (u.pathname === '/page') { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end('<html><head><title>Kettle notes</title></head><body><h1>Descaling</h1><p>Use <b>citric acid</b>, 2 spoons.</p><script>var x=1</script></body></html>'); return; }
  if (u.pathname === '/plain') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('plain words'); return; }
  if (u.pathname === '/big') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('x'.repeat(50000)); return; }
  if (u.pathname === '/doc.pdf') { res.writeHead(200, { 'content-type': 'application/pdf' }); res.end(pdf); return; }
  if (u.pathname === '/image.png') { res.writeHead(200, { 'content-type': 'image/png' }); res.end('png'); return; }
  if (u.pathname === '/to') { res.writeHead(302, { location: u.searchParams.get('u') }); res.end(); return; }
  const hop = /^\\/hops\\/(\\d+)$/.exec(u.pathname);
  if (hop) { const n = Number(hop[1]); res.writeHead(302, { location: n > 1 ? '/hops/' + (n - 1) : '/page' }); res.end(); return; }
  res.writeHead(404); res.end('no');
}).listen(8080, process.argv[1], () => process.stdout.write('ready\\n'));
`;

const sh = (cmd: string, args: string[]): void => {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

export interface SeenRequest {
  path: string;
  ua: string;
}

export async function startPublicWebHost(): Promise<PublicWebHost & { request: (path: string) => Promise<SeenRequest>; seen: () => SeenRequest[] }> {
  if (process.getuid?.() !== 0) throw new Error('the public web host needs root (a network namespace); CI runs the tests as root');
  const n = randomInt(1, 16000); // a distinct /30 and names per host (test files run in parallel)
  const ns = `mpfetch${n}`;
  const [hostIf, nsIf] = [`mpf${n}a`, `mpf${n}b`];
  const prefix = `44.${n >> 8}.${n & 0xff}`;
  const hostAddr = `${prefix}.1`;
  const address = `${prefix}.2`;
  const cleanup = (): void => {
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {}
    try {
      sh('ip', ['link', 'del', hostIf]);
    } catch {}
  };
  cleanup();
  try {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    sh('ip', ['link', 'set', nsIf, 'netns', ns]);
    sh('ip', ['addr', 'add', `${hostAddr}/30`, 'dev', hostIf]);
    sh('ip', ['link', 'set', hostIf, 'up']);
    sh('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/30`, 'dev', nsIf]);
    sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up']);
    sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (e) {
    cleanup();
    throw new Error(
      `could not create a network namespace (iproute2 and root needed): ${(e as { stderr?: Buffer }).stderr?.toString() ?? (e as Error).message}`,
    );
  }
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const p of parts) {
        if (p === 'ready') resolve();
        else lines.push(p);
      }
    });
    child.once('exit', (code) => {
      cleanup();
      reject(new Error(`the namespaced web server exited (${code})`));
    });
  });
  return {
    origin: `http://${address}:8080`,
    address,
    // The server logs a request as it answers; wait for the line rather than race it.
    request: async (p) => {
      for (;;) {
        const seen = lines.map((l) => JSON.parse(l) as SeenRequest).find((r) => r.path === p);
        if (seen) return seen;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** Every request the server has logged so far (for "never reached it" checks). */
    seen: () => lines.map((l) => JSON.parse(l) as SeenRequest),
    stop: () => {
      child.kill('SIGKILL');
      cleanup();
    },
  };
}

/** A loopback server a fetch must never reach: it answers "local secret" and counts every hit. */
export interface LoopbackTrap {
  port: number;
  hits: () => number;
  close: () => void;
}

export async function startLoopbackTrap(): Promise<LoopbackTrap> {
  let hits = 0;
  const server = http.createServer((_q, r) => {
    hits++;
    r.end('local secret');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, hits: () => hits, close: () => server.close() };
}
