import net from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { Listener } from './listener.js';

describe('Listener moving to another port', () => {
  it('closes the old connections after their in-flight answers (connection: close), and serves nothing new on them', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const inFlight = new Promise<void>((r) => (arrived = r));
    const served: string[] = [];
    const app = express();
    app.get('/slow', async (_req, res) => {
      served.push('/slow');
      arrived();
      await gate;
      res.send('slow');
    });
    app.get('/next', (_req, res) => {
      served.push('/next');
      res.send('next');
    });
    const listener = new Listener(app, '127.0.0.1');
    const oldPort = await listener.listen(0);
    const sock = net.connect(oldPort, '127.0.0.1');
    let got = '';
    sock.on('data', (d) => (got += d));
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.write(`GET /slow HTTP/1.1\r\nHost: 127.0.0.1:${oldPort}\r\n\r\n`);
    // A second connection has begun a request when the port moves, and finishes it after.
    const late = net.connect(oldPort, '127.0.0.1');
    let lateGot = '';
    late.on('data', (d) => (lateGot += d));
    const lateClosed = new Promise<void>((r) => late.once('close', () => r()));
    late.write(`GET /next HTTP/1.1\r\nHost: 127.0.0.1:${oldPort}\r\n`);
    await inFlight;
    const newPort = await listener.listen(0);
    expect(newPort).not.toBe(oldPort);
    late.write('\r\n');
    release();
    await closed;
    expect(got).toMatch(/^HTTP\/1\.1 200/);
    expect(got).toMatch(/\r\nconnection: close\r\n/i);
    expect(got).toMatch(/slow$/);
    // The request completed after the move reached the retired server: cut, never served.
    await lateClosed;
    expect(lateGot).toBe('');
    expect(served).toEqual(['/slow']);
    await listener.close(1_000);
  });
});
