#!/usr/bin/env node
/**
 * Draws maxproxy's tray icons and writes them as PNG files next to this script, using
 * only node:zlib (no image library: the icons are a few shapes, and a dependency for that
 * would outweigh them).
 *
 *   node assets/generate-icons.mjs           write assets/tray/{linux,macos}/*.png
 *   node assets/generate-icons.mjs --check   exit 1 if a committed PNG's pixels differ
 *
 * Linux: a rounded tile in the state's colour with a white "M" (full colour; panels are
 *   light or dark, a coloured tile reads on both). 22 px for 1x panels, 44 px for HiDPI.
 * macOS: template images (black + alpha; the menu bar tints them for light/dark mode), so
 *   states differ by shape: "M" alone (idle), with a dot (serving), with a triangle
 *   holding "!" (warning), with a disc holding "×" (error). The tray binary sizes its
 *   icon to 16x16 pt, so the 32 px `@2x` file is the one sent; 16 px is there for tools.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const STATES = ['idle', 'serving', 'warning', 'error'];

// ---- geometry, in unit coordinates (0..1, y down) -------------------------------------

const dist2Seg = (px, py, ax, ay, bx, by) => {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  const x = ax + t * dx - px;
  const y = ay + t * dy - py;
  return x * x + y * y;
};

/** A polyline stroked with round joins and caps. */
const stroke = (points, halfWidth) => (x, y) => {
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i], points[i + 1]];
    if (dist2Seg(x, y, a[0], a[1], b[0], b[1]) <= halfWidth * halfWidth) return true;
  }
  return false;
};
const disc = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const roundedRect = (x0, y0, x1, y1, r) => (x, y) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.max(x0 + r, Math.min(x1 - r, x));
  const cy = Math.max(y0 + r, Math.min(y1 - r, y));
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
/** Triangle pointing up, corners rounded by growing a smaller triangle by `r`. */
const roundedTriangle = (cx, cy, size, r) => {
  const h = (size * Math.sqrt(3)) / 2;
  const pts = [
    [cx, cy - (2 * h) / 3],
    [cx + size / 2, cy + h / 3],
    [cx - size / 2, cy + h / 3],
  ];
  const inside = (x, y) => {
    let sign = 0;
    for (let i = 0; i < 3; i++) {
      const [a, b] = [pts[i], pts[(i + 1) % 3]];
      const s = Math.sign((b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]));
      if (s !== 0 && sign !== 0 && s !== sign) return false;
      if (s !== 0) sign = s;
    }
    return true;
  };
  const edges = stroke([...pts, pts[0]], r);
  return (x, y) => inside(x, y) || edges(x, y);
};

const M_POINTS = [
  [0.28, 0.72],
  [0.28, 0.3],
  [0.5, 0.56],
  [0.72, 0.3],
  [0.72, 0.72],
];

// ---- rasteriser ------------------------------------------------------------------------

/**
 * layers: [{ shape, color: [r, g, b, a] }] painted in order ("over"), or
 * { shape, clear: true } to erase (used to cut a gap around a badge or its symbol).
 */
function rasterise(size, layers, samples = 8) {
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      // premultiplied accumulator
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (const layer of layers) {
        let hits = 0;
        for (let sy = 0; sy < samples; sy++) {
          for (let sx = 0; sx < samples; sx++) {
            if (layer.shape((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size)) hits++;
          }
        }
        const cov = hits / (samples * samples);
        if (cov === 0) continue;
        if (layer.clear) {
          r *= 1 - cov;
          g *= 1 - cov;
          b *= 1 - cov;
          a *= 1 - cov;
          continue;
        }
        const [cr, cg, cb, ca] = layer.color;
        const sa = (ca / 255) * cov;
        r = cr * sa + r * (1 - sa);
        g = cg * sa + g * (1 - sa);
        b = cb * sa + b * (1 - sa);
        a = sa + a * (1 - sa);
      }
      const i = (py * size + px) * 4;
      rgba[i + 3] = Math.round(a * 255);
      if (a > 0) {
        rgba[i] = Math.round(r / a);
        rgba[i + 1] = Math.round(g / a);
        rgba[i + 2] = Math.round(b / a);
      }
    }
  }
  return rgba;
}

// ---- the icons ---------------------------------------------------------------------------

const WHITE = [255, 255, 255, 255];
const BLACK = [0, 0, 0, 255];
const LINUX_TILE = {
  idle: { tile: [110, 119, 129, 255], glyph: WHITE },
  serving: { tile: [31, 136, 61, 255], glyph: WHITE },
  // White on amber is hard to read: dark glyph.
  warning: { tile: [212, 167, 44, 255], glyph: [31, 35, 40, 255] },
  error: { tile: [207, 34, 46, 255], glyph: WHITE },
};

export function linuxLayers(state, size) {
  const { tile, glyph } = LINUX_TILE[state];
  // A stroke at least ~2 px wide at 22 px so the M survives the panel's scaling.
  const hw = Math.max(0.065, 1.1 / size);
  return [
    { shape: roundedRect(0.04, 0.04, 0.96, 0.96, 0.22), color: tile },
    { shape: stroke(M_POINTS, hw), color: glyph },
  ];
}

export function macLayers(state, size) {
  const hw = Math.max(0.058, 1.0 / size);
  // Without a badge the M fills the square; with one, it moves up-left to make room.
  const m = state === 'idle' ? M_POINTS.map(([x, y]) => [x, y]) : M_POINTS.map(([x, y]) => [x * 0.9 - 0.04, y * 0.9 - 0.04]);
  const layers = [{ shape: stroke(m, hw), color: BLACK }];
  const bx = 0.76;
  const by = 0.76;
  const gap = 0.07;
  if (state === 'serving') {
    layers.push({ shape: disc(bx, by, 0.17 + gap), clear: true }, { shape: disc(bx, by, 0.17), color: BLACK });
  } else if (state === 'warning') {
    layers.push(
      { shape: roundedTriangle(bx, by + 0.02, 0.44 + gap * 2, 0.03), clear: true },
      { shape: roundedTriangle(bx, by + 0.02, 0.44, 0.03), color: BLACK },
      { shape: stroke([[bx, by - 0.08], [bx, by + 0.03]], 0.035), clear: true },
      { shape: disc(bx, by + 0.1, 0.035), clear: true },
    );
  } else if (state === 'error') {
    const d = 0.075;
    layers.push(
      { shape: disc(bx, by, 0.22 + gap), clear: true },
      { shape: disc(bx, by, 0.22), color: BLACK },
      { shape: stroke([[bx - d, by - d], [bx + d, by + d]], 0.035), clear: true },
      { shape: stroke([[bx - d, by + d], [bx + d, by - d]], 0.035), clear: true },
    );
  }
  return layers;
}

/** Every file this script owns: path relative to assets/ → { size, rgba }. */
export function renderAll() {
  const out = new Map();
  for (const state of STATES) {
    for (const size of [22, 44]) {
      out.set(`tray/linux/${state}-${size}.png`, { size, rgba: rasterise(size, linuxLayers(state, size)) });
    }
    out.set(`tray/macos/${state}Template.png`, { size: 16, rgba: rasterise(16, macLayers(state, 16)) });
    out.set(`tray/macos/${state}Template@2x.png`, { size: 32, rgba: rasterise(32, macLayers(state, 32)) });
  }
  return out;
}

// ---- PNG -----------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** 8-bit RGBA, non-interlaced, filter 0 on every row. */
export function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  const stride = size * 4;
  const raw = Buffer.alloc((stride + 1) * size);
  for (let y = 0; y < size; y++) Buffer.from(rgba.buffer, rgba.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Decodes an 8-bit RGBA non-interlaced PNG (what encodePng writes, or an optimiser's re-encoding of it). */
export function decodePng(buf) {
  if (!buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[9] !== 6 || data[12] !== 0) throw new Error('only 8-bit RGBA non-interlaced PNGs');
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= 4 ? out[y * stride + x - 4] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= 4 && y > 0 ? out[(y - 1) * stride + x - 4] : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { width, height, rgba: out };
}

function main() {
  const check = process.argv.includes('--check');
  const stale = [];
  for (const [rel, { size, rgba }] of renderAll()) {
    const file = join(HERE, rel);
    if (check) {
      try {
        const got = decodePng(readFileSync(file));
        if (got.width !== size || got.height !== size || !Buffer.from(got.rgba).equals(Buffer.from(rgba))) stale.push(rel);
      } catch (e) {
        stale.push(`${rel} (${e.message})`);
      }
      continue;
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, encodePng(size, rgba));
    console.log(`wrote assets/${rel}`);
  }
  if (stale.length) {
    console.error(`stale or missing icons (run node assets/generate-icons.mjs):\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  if (check) console.log('icons up to date');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
