// `npm run build`, after tsc: the dashboard's page (src/dashboard/web), the compiled
// modules it shares with the daemon, and the chart library it draws with (uPlot,
// vendored from node_modules) into dist/dashboard/web,
// so the installed package serves everything itself: no CDN, works offline.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'dashboard', 'web');
fs.rmSync(out, { recursive: true, force: true });
fs.cpSync(path.join(root, 'src', 'dashboard', 'web'), out, { recursive: true });
// Pure modules the page shares with the tray and CLI, so their wording has one
// implementation: tsc has compiled them into dist/ already; the page imports them from
// shared/. Each is copied alone, so it must import nothing.
fs.mkdirSync(path.join(out, 'shared'), { recursive: true });
for (const m of ['status/relative-time.js']) {
  const js = fs.readFileSync(path.join(root, 'dist', m), 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
  if (/^\s*(import[\s{*'"]|export\b.*\bfrom\s*['"])/m.test(js)) throw new Error(`${m} imports something; the dashboard page cannot load it on its own`);
  fs.writeFileSync(path.join(out, 'shared', path.basename(m)), js);
}
const uplot = path.dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
fs.mkdirSync(path.join(out, 'vendor'), { recursive: true });
for (const f of ['uPlot.iife.min.js', 'uPlot.min.css']) fs.copyFileSync(path.join(uplot, 'dist', f), path.join(out, 'vendor', f));
fs.copyFileSync(path.join(uplot, 'LICENSE'), path.join(out, 'vendor', 'uPlot.LICENSE'));
