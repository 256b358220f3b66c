import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DAEMON_NODE_FLAGS } from './node-flags.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// The shebang and `npm start` cannot import the constant: these keep them saying the same.
describe('the daemon node flags', () => {
  it('are on the bin shebang, split by env -S', () => {
    const first = fs.readFileSync(path.join(ROOT, 'src', 'main.ts'), 'utf8').split('\n')[0];
    expect(first).toBe(`#!/usr/bin/env -S node ${DAEMON_NODE_FLAGS.join(' ')}`);
  });

  it('are on `npm start`', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`node ${DAEMON_NODE_FLAGS.join(' ')} dist/main.js`);
  });

  it('are V8 flags this node accepts', () => {
    // An unknown flag would stop node from starting at all; process.allowedNodeEnvironmentFlags lists the accepted ones.
    for (const f of DAEMON_NODE_FLAGS) expect(process.allowedNodeEnvironmentFlags.has(f.split('=')[0])).toBe(true);
  });
});
