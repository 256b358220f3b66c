import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { countTurns } from '../event-loop/testing/turn-counter.js';
import { SLICED_WRITE_CHARS, SlicedStdin } from './sliced-stdin.js';

const collect = (target: PassThrough): Promise<Buffer> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    target.on('data', (c: Buffer) => chunks.push(c));
    target.on('end', () => resolve(Buffer.concat(chunks)));
  });

describe('SlicedStdin', () => {
  it('delivers long lines byte for byte, in order, surrogate pairs and multi-byte characters on piece boundaries included', async () => {
    const target = new PassThrough();
    const got = collect(target);
    const stdin = new SlicedStdin(target);
    const long = `${'a'.repeat(SLICED_WRITE_CHARS - 1)}😀${'é€'.repeat(SLICED_WRITE_CHARS)}😀\n`;
    const lines = ['{"type":"user"}\n', long, '{"short":"é"}\n', long];
    for (const l of lines) stdin.write(l);
    stdin.end();
    expect((await got).equals(Buffer.from(lines.join(''), 'utf8'))).toBe(true);
  });

  it('gives the event loop turns while it writes a long line', async () => {
    const target = new PassThrough();
    const got = collect(target);
    const stdin = new SlicedStdin(target, 0);
    const counter = countTurns();
    await new Promise<void>((resolve, reject) => stdin.write('x'.repeat(40 * SLICED_WRITE_CHARS), (e) => (e ? reject(e) : resolve())));
    const turns = counter.stop();
    stdin.end();
    expect((await got).length).toBe(40 * SLICED_WRITE_CHARS);
    // A zero budget yields after every piece.
    expect(turns).toBeGreaterThanOrEqual(39);
  });

  it('reports a failing pipe as its own error and to the pending write', async () => {
    const broken = new Writable({ write: (_c, _e, done) => done(new Error('EPIPE')) });
    const stdin = new SlicedStdin(broken);
    const errored = new Promise<Error>((resolve) => stdin.once('error', resolve));
    const written = new Promise<Error | null | undefined>((resolve) => stdin.write('y'.repeat(3 * SLICED_WRITE_CHARS), resolve));
    expect((await errored).message).toBe('EPIPE');
    expect((await written)?.message).toBe('EPIPE');
    expect(stdin.writableEnded || stdin.destroyed).toBe(true);
  });
});
