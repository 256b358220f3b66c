/**
 * Codex CLI: TOML, `$CODEX_HOME/config.toml` (default `~/.codex`). A provider is the table
 * `[model_providers.<id>]` (name, base_url, wire_api = "responses", and
 * `experimental_bearer_token` for a fixed key); the provider and model in use are the
 * top-level `model_provider` and `model`. Codex has no per-provider model list: a profile
 * file next to it, `maxproxy.config.toml`, layered by `codex --profile maxproxy`, picks
 * maxproxy and a model it serves.
 *
 * No npm library edits TOML while keeping comments and layout that we would trust with a
 * user's file, so the edit is deliberately small and line based: our table is replaced or
 * appended as a whole, and a top-level key is replaced on its own line or inserted. The
 * result is parsed again (smol-toml) and must equal the old document with exactly our
 * change, or nothing is written.
 */
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse, TomlError } from 'smol-toml';
import { type ClientFormat, ConfigParseError, type Edit, PROVIDER, type ProviderView, rootOf, type Target } from './types.js';

type Obj = Record<string, unknown>;

export function parseToml(text: string, file: string): Obj {
  try {
    return parse(text) as Obj;
  } catch (e) {
    if (e instanceof TomlError) throw new ConfigParseError(file, e.line, e.column, e.message.split('\n')[0]);
    throw e;
  }
}

const str = (s: string) => JSON.stringify(s); // a JSON string is a valid TOML basic string
const HEADER = /^\s*\[\[?[^\]]*\]\]?\s*(#.*)?$/;
const OUR_HEADER = new RegExp(`^\\s*\\[\\s*model_providers\\s*\\.\\s*(?:${PROVIDER}|"${PROVIDER}"|'${PROVIDER}')\\s*(?:\\.[^\\]]*)?\\]\\s*(#.*)?$`);
const isBlankOrComment = (l: string) => /^\s*(#.*)?$/.test(l);

export function providerTable(t: Target, eol = '\n'): string {
  const lines = [`[model_providers.${PROVIDER}]`, `name = ${str(PROVIDER)}`, `base_url = ${str(`${t.url}/v1`)}`, `wire_api = "responses"`];
  if (t.apiKey) lines.push(`experimental_bearer_token = ${str(t.apiKey)}`);
  return lines.join(eol) + eol;
}

/** [start, end) line ranges of our table and its sub-tables, without the comments that lead into the next table. */
function ourBlocks(lines: string[]): Array<[number, number]> {
  const blocks: Array<[number, number]> = [];
  for (let i = 0; i < lines.length; i++) {
    if (!OUR_HEADER.test(lines[i])) continue;
    let end = i + 1;
    while (end < lines.length && !HEADER.test(lines[end])) end++;
    while (end > i + 1 && isBlankOrComment(lines[end - 1])) end--;
    blocks.push([i, end]);
    i = end - 1;
  }
  return blocks;
}

/** Index of the first table header (the end of the top-level keys). */
const firstHeader = (lines: string[]) => {
  const i = lines.findIndex((l) => HEADER.test(l));
  return i < 0 ? lines.length : i;
};

function setRootKey(lines: string[], key: string, value: string | undefined): void {
  const end = firstHeader(lines);
  const re = new RegExp(`^(\\s*${key}\\s*=\\s*)("(?:[^"\\\\]|\\\\.)*"|'[^']*'|[^#\\s]+)(.*)$`);
  const at = lines.slice(0, end).findIndex((l) => re.test(l));
  if (value === undefined) {
    if (at >= 0) lines.splice(at, 1);
    return;
  }
  if (at >= 0) {
    lines[at] = lines[at].replace(re, (_m, pre: string, _old: string, rest: string) => `${pre}${str(value)}${rest}`);
    return;
  }
  // After the last top-level key, else at the top.
  let insert = 0;
  for (let i = 0; i < end; i++) if (!isBlankOrComment(lines[i])) insert = i + 1;
  lines.splice(insert, 0, `${key} = ${str(value)}`);
}

function splitLines(text: string): { lines: string[]; eol: string; trailing: boolean } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const trailing = text.endsWith(eol) || text === '';
  const body = trailing && text !== '' ? text.slice(0, -eol.length) : text;
  return { lines: body === '' ? [] : body.split(eol), eol, trailing };
}

/** Checks the edit did exactly what was meant; returns the text. */
function verified(before: Obj, out: string, file: string, expect: (o: Obj) => void): string {
  let after: Obj;
  try {
    after = parse(out) as Obj;
  } catch (e) {
    throw new Error(`editing ${file} would have broken it (${(e as Error).message.split('\n')[0]}); it was left untouched`);
  }
  const expected = structuredClone(before);
  expect(expected);
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(after)), JSON.parse(JSON.stringify(expected)))) {
    throw new Error(
      `${file} defines model_providers.${PROVIDER} in a form maxproxy does not edit (not as a [model_providers.${PROVIDER}] table); it was left untouched. Remove that entry by hand and run again.`,
    );
  }
  return out;
}

function providerObject(t: Target): Obj {
  return parse(providerTable(t)) as Obj;
}

export const codex: ClientFormat & { profile(target: Target): string; profilePath(configFile: string): string } = {
  id: 'codex',
  title: 'Codex CLI',
  defaultPath(env, home) {
    const dir = env.CODEX_HOME?.trim() ? env.CODEX_HOME.trim() : path.join(home, '.codex');
    return path.join(dir, 'config.toml');
  },
  empty: '',
  apply(text, file, t): Edit {
    const before = parseToml(text, file);
    const notes: string[] = [];
    const currentProvider = (before.model_providers as Obj | undefined)?.[PROVIDER];
    const wanted = (providerObject(t).model_providers as Obj)[PROVIDER];
    const { lines, eol } = splitLines(text);
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(currentProvider ?? null)), wanted)) {
      const table = providerTable(t, eol).slice(0, -eol.length).split(eol);
      const blocks = ourBlocks(lines);
      if (blocks.length) {
        // Replace the first block (our table and any sub-tables of it) with ours.
        const [start, end] = blocks[0];
        const rest = blocks.slice(1).reverse();
        for (const [s, e] of rest) lines.splice(s, e - s);
        lines.splice(start, end - start, ...table);
      } else {
        if (lines.length && lines[lines.length - 1].trim() !== '') lines.push('');
        lines.push(...table);
      }
    }
    let previousDefault: unknown;
    if (t.defaultModel) {
      if (before.model_provider !== PROVIDER) previousDefault = { model_provider: before.model_provider ?? null, model: before.model ?? null };
      if (before.model_provider !== PROVIDER) setRootKey(lines, 'model_provider', PROVIDER);
      if (before.model !== t.defaultModel) setRootKey(lines, 'model', t.defaultModel);
      notes.push(`Codex now uses maxproxy by default, model ${t.defaultModel}.`);
    } else {
      notes.push(`Run \`codex --profile ${PROVIDER}\` to use maxproxy (or run again with --set-default to make it Codex's default).`);
    }
    const out = lines.length ? lines.join(eol) + eol : '';
    if (out === text || (text !== '' && out === text + eol)) return { text, notes, previousDefault };
    return {
      text: verified(before, out, file, (o) => {
        o.model_providers = { ...((o.model_providers as Obj) ?? {}), [PROVIDER]: wanted };
        if (t.defaultModel) Object.assign(o, { model_provider: PROVIDER, model: t.defaultModel });
      }),
      notes,
      previousDefault,
    };
  },
  remove(text, file, previous): Edit {
    const before = parseToml(text, file);
    const notes: string[] = [];
    const { lines, eol } = splitLines(text);
    for (const [s, e] of ourBlocks(lines).reverse()) {
      lines.splice(s, e - s);
      // Do not leave a blank line where our table was appended.
      if (s > 0 && s === lines.length && lines[s - 1]?.trim() === '') lines.splice(s - 1, 1);
    }
    const ours = before.model_provider === PROVIDER;
    const back = (previous ?? {}) as { model_provider?: string | null; model?: string | null };
    const restore = { model_provider: back.model_provider ?? undefined, model: back.model ?? undefined };
    if (ours) {
      setRootKey(lines, 'model_provider', restore.model_provider);
      setRootKey(lines, 'model', restore.model);
      notes.push(
        restore.model_provider || restore.model
          ? `Codex's default is ${[restore.model_provider && `provider ${restore.model_provider}`, restore.model && `model ${restore.model}`].filter(Boolean).join(', ')} again, as before --set-default.`
          : `Codex's default was maxproxy (model ${String(before.model)}); both keys are removed, so Codex uses its own default again.`,
      );
    }
    const out = lines.length ? lines.join(eol) + eol : '';
    if (out === text) return { text, notes };
    return {
      text: verified(before, out, file, (o) => {
        const mp = o.model_providers as Obj | undefined;
        if (mp) {
          delete mp[PROVIDER];
          if (Object.keys(mp).length === 0) delete o.model_providers;
        }
        if (ours) {
          for (const k of ['model_provider', 'model'] as const) {
            if (restore[k] === undefined) delete o[k];
            else o[k] = restore[k];
          }
        }
      }),
      notes,
    };
  },
  inspect(text, file): ProviderView | undefined {
    const config = parseToml(text, file);
    const p = (config.model_providers as Obj | undefined)?.[PROVIDER] as { base_url?: unknown; experimental_bearer_token?: unknown } | undefined;
    if (!p) return undefined;
    const baseUrl = typeof p.base_url === 'string' ? p.base_url : undefined;
    const model = config.model_provider === PROVIDER && typeof config.model === 'string' ? config.model : undefined;
    const apiKey = typeof p.experimental_bearer_token === 'string' ? p.experimental_bearer_token : undefined;
    return { baseUrl, root: baseUrl ? rootOf(baseUrl) : undefined, models: model ? [model] : [], defaultModel: model, apiKey };
  },
  profilePath(configFile) {
    return path.join(path.dirname(configFile), `${PROVIDER}.config.toml`);
  },
  profile(t) {
    const model = t.defaultModel ?? t.models.find((m) => m.id === 'sonnet')?.id ?? t.models[0]?.id ?? 'sonnet';
    return [
      '# Written by `maxproxy connect codex`; `codex --profile maxproxy` layers it on config.toml.',
      `# Models maxproxy serves: ${t.models.map((m) => m.id).join(', ')}`,
      `model_provider = ${str(PROVIDER)}`,
      `model = ${str(model)}`,
      '',
    ].join('\n');
  },
};
