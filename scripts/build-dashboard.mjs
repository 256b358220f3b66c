// `npm run build`, after tsc: the dashboard's page (src/dashboard/web) and the chart
// library it draws with (uPlot, vendored from node_modules) into dist/dashboard/web,
// so the installed package serves everything itself: no CDN, works offline.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'dashboard', 'web');
fs.rmSync(out, { recursive: true, force: true });
fs.cpSync(path.join(root, 'src', 'dashboard', 'web'), out, { recursive: true });
const uplot = path.dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
fs.mkdirSync(path.join(out, 'vendor'), { recursive: true });
for (const f of ['uPlot.iife.min.js', 'uPlot.min.css']) fs.copyFileSync(path.join(uplot, 'dist', f), path.join(out, 'vendor', f));
fs.copyFileSync(path.join(uplot, 'LICENSE'), path.join(out, 'vendor', 'uPlot.LICENSE'));
