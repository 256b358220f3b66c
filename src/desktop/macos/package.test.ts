/**
 * What `npm pack` puts in the tarball for the macOS menu-bar helper, without installing
 * it (test/pack.test.ts installs the tarball and runs the installed helper).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

it('the tarball holds the helper script, the code that finds and runs it, and the template icons; not the test stand-ins', async () => {
  // `npm test` builds first, as test/pack.test.ts expects.
  expect(existsSync(path.join(ROOT, 'dist', 'desktop', 'macos', 'menubar.js'))).toBe(true);
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
  expect(files).toContain('assets/macos/maxproxy-menubar.js');
  expect(files).toContain('dist/desktop/macos/menubar.js');
  expect(files).toContain('dist/desktop/tray.js');
  for (const state of ['idle', 'serving', 'warning', 'error']) expect(files).toContain(`assets/tray/macos/${state}Template@2x.png`);
  expect(files.filter((f) => /macos\/(testing|testdata|.*\.test)/.test(f))).toEqual([]);
}, 60_000);
