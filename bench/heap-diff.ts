/**
 * `tsx bench/heap-diff.ts a.heapsnapshot b.heapsnapshot [--top 30] [--retainers Name]`: what grew
 * between two V8 heap snapshots, by node type and constructor name (count and shallow size), the
 * measure that does not depend on the machine's load. `--retainers Name` prints, for a sample of
 * the objects named `Name` in b, the chain of objects that keep them alive (edge names included),
 * to tell a bounded cache from a leak.
 */
import fs from 'node:fs';

interface Snap {
  types: string[];
  nodeFieldCount: number;
  edgeFieldCount: number;
  nodes: number[];
  edges: number[];
  strings: string[];
  edgeTypes: string[];
  fields: Record<string, number>;
  efields: Record<string, number>;
}

function load(file: string): Snap {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  const m = j.snapshot.meta;
  const fields = Object.fromEntries((m.node_fields as string[]).map((f, i) => [f, i]));
  const efields = Object.fromEntries((m.edge_fields as string[]).map((f, i) => [f, i]));
  return {
    types: m.node_types[0],
    edgeTypes: m.edge_types[0],
    nodeFieldCount: m.node_fields.length,
    edgeFieldCount: m.edge_fields.length,
    nodes: j.nodes,
    edges: j.edges,
    strings: j.strings,
    fields,
    efields,
  };
}

function key(s: Snap, i: number): string {
  const t = s.types[s.nodes[i + s.fields.type]];
  const name = s.strings[s.nodes[i + s.fields.name]];
  if (t === 'object' || t === 'closure' || t === 'native') return `${t} ${name.slice(0, 60)}`;
  return `(${t})`;
}

function byKey(s: Snap): Map<string, { n: number; size: number }> {
  const out = new Map<string, { n: number; size: number }>();
  for (let i = 0; i < s.nodes.length; i += s.nodeFieldCount) {
    const k = key(s, i);
    const e = out.get(k) ?? { n: 0, size: 0 };
    e.n++;
    e.size += s.nodes[i + s.fields.self_size];
    out.set(k, e);
  }
  return out;
}

function retainers(s: Snap, name: string, samples: number, depth: number, only?: (n: number) => boolean): void {
  const N = s.nodes.length / s.nodeFieldCount;
  // Reverse edges: for each node, who points at it (and by which edge name).
  const firstEdge = new Uint32Array(N + 1);
  for (let n = 0, e = 0; n < N; n++) {
    firstEdge[n] = e;
    e += s.nodes[n * s.nodeFieldCount + s.fields.edge_count] * s.edgeFieldCount;
  }
  firstEdge[N] = s.edges.length;
  const rev: Array<Array<[number, string]>> = Array.from({ length: N }, () => []);
  for (let n = 0; n < N; n++) {
    for (let e = firstEdge[n]; e < firstEdge[n + 1]; e += s.edgeFieldCount) {
      const et = s.edgeTypes[s.edges[e + s.efields.type]];
      if (et === 'weak') continue;
      const nameOrIdx = s.edges[e + s.efields.name_or_index];
      const en = et === 'element' || et === 'hidden' ? `[${nameOrIdx}]` : s.strings[nameOrIdx];
      const to = s.edges[e + s.efields.to_node] / s.nodeFieldCount;
      rev[to].push([n, en]);
    }
  }
  const label = (n: number) => key(s, n * s.nodeFieldCount);
  const hits: number[] = [];
  for (let n = 0; n < N && hits.length < 100000; n++)
    if ((only?.(n) ?? true) && (name === '*' || s.strings[s.nodes[n * s.nodeFieldCount + s.fields.name]] === name)) hits.push(n);
  console.log(`${hits.length} nodes named ${name}`);
  const step = Math.max(1, Math.floor(hits.length / samples));
  for (let h = 0; h < hits.length; h += step) {
    let n = hits[h];
    const chain: string[] = [label(n)];
    const seen = new Set([n]);
    for (let d = 0; d < depth; d++) {
      const r = rev[n].find(([from]) => !seen.has(from) && !label(from).startsWith('(hidden'));
      if (!r) break;
      chain.push(`<-${r[1]}- ${label(r[0])}`);
      n = r[0];
      seen.add(n);
    }
    console.log(`  ${chain.join(' ')}`);
  }
}

/** Objects in b that were not in a (node ids are stable within one process), grouped by what holds them. */
function newByHolder(a: Snap, b: Snap, top: number): void {
  const F = b.nodeFieldCount;
  const old = new Set<number>();
  for (let i = 0; i < a.nodes.length; i += a.nodeFieldCount) old.add(a.nodes[i + a.fields.id]);
  const N = b.nodes.length / F;
  const holder = new Array<string>(N);
  for (let n = 0, e = 0; n < N; n++) {
    const from = key(b, n * F);
    for (let k = 0; k < b.nodes[n * F + b.fields.edge_count]; k++, e += b.edgeFieldCount) {
      const et = b.edgeTypes[b.edges[e + b.efields.type]];
      if (et === 'weak' || et === 'hidden' || et === 'shortcut') continue;
      const to = b.edges[e + b.efields.to_node] / F;
      const en = et === 'element' ? '[]' : b.strings[b.edges[e + b.efields.name_or_index]];
      holder[to] ??= `${from} .${String(en).slice(0, 30)}`;
    }
  }
  const groups = new Map<string, { n: number; size: number }>();
  for (let n = 0; n < N; n++) {
    if (old.has(b.nodes[n * F + b.fields.id])) continue;
    const k = `${key(b, n * F)}  <-  ${holder[n] ?? '?'}`;
    const g = groups.get(k) ?? { n: 0, size: 0 };
    g.n++;
    g.size += b.nodes[n * F + b.fields.self_size];
    groups.set(k, g);
  }
  for (const [k, g] of [...groups].sort((x, y) => y[1].size - x[1].size).slice(0, top))
    console.log(`${(g.size / 1024).toFixed(1).padStart(10)} KB${String(g.n).padStart(8)}  ${k}`);
}

const args = process.argv.slice(2);
const files = args.filter((a) => a.endsWith('.heapsnapshot'));
const top = Number(args[args.indexOf('--top') + 1] || 0) || 30;
const ret = args.includes('--retainers') ? args[args.indexOf('--retainers') + 1] : undefined;
if (args.includes('--new')) {
  newByHolder(load(files[0]), load(files[1]), top);
} else if (ret) {
  // With two snapshots: only the objects of the second that the first did not have.
  const b = load(files.at(-1)!);
  const old = new Set<number>();
  if (files.length > 1) {
    const a = load(files[0]);
    for (let i = 0; i < a.nodes.length; i += a.nodeFieldCount) old.add(a.nodes[i + a.fields.id]);
  }
  retainers(b, ret, 12, 14, (n) => !old.has(b.nodes[n * b.nodeFieldCount + b.fields.id]));
} else {
  const [a, b] = files.map((f) => byKey(load(f)));
  const total = (m: Map<string, { n: number; size: number }>) => [...m.values()].reduce((x, e) => x + e.size, 0);
  console.log(`total self size: ${(total(a) / 2 ** 20).toFixed(2)} MB -> ${(total(b) / 2 ** 20).toFixed(2)} MB`);
  const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => {
    const x = a.get(k) ?? { n: 0, size: 0 };
    const y = b.get(k) ?? { n: 0, size: 0 };
    return { k, dn: y.n - x.n, ds: y.size - x.size, n: y.n, size: y.size };
  });
  rows.sort((p, q) => q.ds - p.ds);
  console.log(`${'Δ KB'.padStart(10)}${'Δ count'.padStart(10)}${'count'.padStart(10)}  name`);
  for (const r of rows.slice(0, top)) console.log(`${(r.ds / 1024).toFixed(1).padStart(10)}${String(r.dn).padStart(10)}${String(r.n).padStart(10)}  ${r.k}`);
}
