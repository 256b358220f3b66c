import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-atomic-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const modeOf = (f: string) => fs.statSync(f).mode & 0o777;
const isPosix = process.platform !== 'win32';

describe.each([
  ['writeFileAtomic', (f: string, d: string | Uint8Array, mode?: number) => writeFileAtomic(f, d, mode === undefined ? {} : { mode })],
  ['writeFileAtomicSync', async (f: string, d: string | Uint8Array, mode?: number) => writeFileAtomicSync(f, d, mode === undefined ? {} : { mode })],
])('%s', (_name, write) => {
  it('creates the directory and a private file holding exactly the data', async () => {
    const file = path.join(dir, 'a', 'b', 'state.json');
    await write(file, '{"x":1}');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"x":1}');
    if (isPosix) expect(modeOf(file)).toBe(0o600);
  });

  it('replaces a longer file wholly and leaves no temporary file behind', async () => {
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, 'x'.repeat(1000), { mode: 0o644 });
    await write(file, 'short');
    expect(fs.readFileSync(file, 'utf8')).toBe('short');
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
    // The new file's mode is ours, not the replaced file's.
    if (isPosix) expect(modeOf(file)).toBe(0o600);
  });

  it('takes a mode and binary data', async () => {
    const file = path.join(dir, 'bin', 'tool');
    const bytes = Uint8Array.from([0, 1, 2, 255]);
    await write(file, bytes, 0o755);
    expect([...fs.readFileSync(file)]).toEqual([0, 1, 2, 255]);
    if (isPosix) expect(modeOf(file)).toBe(0o755);
  });

  it('fails when the directory cannot exist, leaving nothing behind', async () => {
    const blocker = path.join(dir, 'blocker');
    fs.writeFileSync(blocker, '');
    await expect(write(path.join(blocker, 'state.json'), 'x')).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(fs.readdirSync(dir)).toEqual(['blocker']);
  });
});

describe('writeFileAtomic ordering', () => {
  it('concurrent writes to one path land in the order they were made', async () => {
    const file = path.join(dir, 'state.json');
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(file, JSON.stringify({ i }))));
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ i: 19 });
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
  });
});
