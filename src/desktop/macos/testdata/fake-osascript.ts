/**
 * Stands in for `/usr/bin/osascript -l JavaScript <script> [args]` on Linux: loads the
 * menu-bar helper's own file with the recording Objective-C bridge (../testing.ts) and
 * wires it to this process's real stdin and stdout, so the daemon side talks to the
 * helper's real protocol code over real pipes. Run with `node --import tsx`.
 *
 * Environment: FAKE_ARCH (arm64 | x86_64), FAKE_REGISTER_HANG_MS (ObjC.registerSubclass
 * blocks, as reported on Intel Macs with macOS 26), FAKE_AUTOCLICK (title of an item the
 * "user" picks once it is enabled), FAKE_DUMP (file that gets the menu as shown, JSON,
 * after every change).
 */
import fs from 'node:fs';
import { FakeCocoa, loadHelper } from '../testing.js';

const argv = process.argv.slice(2);
if (argv[0] !== '-l' || argv[1] !== 'JavaScript' || !argv[2]) {
  process.stderr.write('usage: fake-osascript -l JavaScript <script> [args]\n');
  process.exit(2);
}
const cocoa = new FakeCocoa({
  arch: process.env.FAKE_ARCH === 'x86_64' ? 'x86_64' : 'arm64',
  registerHangMs: Number(process.env.FAKE_REGISTER_HANG_MS) || undefined,
});
cocoa.onStdoutLine = (line) => process.stdout.write(`${line}\n`);
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const script = loadHelper(argv[2], cocoa, log);
const { mode } = script.parseArgs(argv.slice(3));

let lastDump = '';
const dump = (): void => {
  if (!process.env.FAKE_DUMP || cocoa.statusItems.length !== 1) return;
  const b = cocoa.item.button;
  const text = JSON.stringify({
    pid: process.pid,
    shown: cocoa.shown(),
    title: b.title,
    toolTip: b.toolTip,
    image: b.image ? { png: b.image.png.toString('base64'), template: b.image.template, size: b.image.size } : null,
    registered: cocoa.registered,
    activationPolicy: cocoa.activationPolicy,
  });
  if (text === lastDump) return;
  lastDump = text;
  fs.writeFileSync(`${process.env.FAKE_DUMP}.tmp`, text);
  fs.renameSync(`${process.env.FAKE_DUMP}.tmp`, process.env.FAKE_DUMP);
};

const helper = script.startMenubar({
  $: cocoa.$,
  ObjC: cocoa.ObjC,
  mode,
  log,
  quit: (code: number) => {
    dump();
    process.exit(code);
  },
});
process.stdin.on('data', (d: Buffer) => cocoa.sendStdin(d));
process.stdin.on('end', () => cocoa.closeStdin());
let clicked = false;
setInterval(() => {
  helper.step(0);
  dump();
  const want = process.env.FAKE_AUTOCLICK;
  if (want && !clicked && cocoa.item.menu) {
    const item = cocoa.allItems().find((i) => i.title === want && i.enabled && !i.hidden);
    if (item) clicked = cocoa.click(item);
  }
}, 10);
