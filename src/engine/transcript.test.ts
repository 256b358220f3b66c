import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TimeSlicer } from '../event-loop/time-slicer.js';
import type { ContentBlock, TurnMessage } from '../turn/types.js';
import { toCliToolName } from './client-tool-names.js';
import { buildTranscript, claudeConfigDir, projectDirName, transcriptPath, writeTranscript } from './transcript.js';

/** Transcripts the pinned CLI wrote itself (test/fixtures/capture-cli.ts). */
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/cli/', import.meta.url));
const readJsonl = (file: string): any[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const real = [...readJsonl(`${FIXTURES}transcript-text.jsonl`), ...readJsonl(`${FIXTURES}transcript-tool.jsonl`)];
const realOf = (type: 'user' | 'assistant') => real.filter((e) => e.type === type);

const user = (...content: ContentBlock[]): TurnMessage => ({ role: 'user', content });
const assistant = (...content: ContentBlock[]): TurnMessage => ({ role: 'assistant', content });
const text = (t: string): ContentBlock => ({ type: 'text', text: t });

const OPTS = {
  sessionId: '11111111-2222-3333-4444-555555555555',
  cwd: '/data/workdir',
  version: '2.1.330',
  model: 'claude-sonnet-5-5',
  toolName: toCliToolName,
};

const HISTORY: TurnMessage[] = [
  user(text('What time is it?')),
  assistant({ type: 'thinking', thinking: 'unsigned, from a client that lost the signature' }, text('Let me check.'), {
    type: 'tool_use',
    id: 'call_1',
    name: 'get_time',
    input: { tz: 'UTC' },
  }),
  user({ type: 'tool_result', tool_use_id: 'call_1', content: '12:00' }),
  user(text('and the date?')),
  assistant({ type: 'thinking', thinking: 'signed', signature: 'c2ln' }, text('It is 12:00.')),
];

const parse = (jsonl: string) =>
  jsonl
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('buildTranscript', () => {
  it('writes one JSON line per (merged) message, ending in a newline', () => {
    const out = buildTranscript(HISTORY, OPTS);
    expect(out.endsWith('\n')).toBe(true);
    const entries = parse(out);
    expect(entries.map((e) => e.type)).toEqual(['user', 'assistant', 'user', 'assistant']);
    // The tool result and the following user text are one user message.
    expect(entries[2].message).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'call_1', content: '12:00' },
        { type: 'text', text: 'and the date?' },
      ],
    });
  });

  it('chains entries through parentUuid, starting from null', () => {
    const entries = parse(buildTranscript(HISTORY, OPTS));
    expect(entries[0].parentUuid).toBeNull();
    for (let i = 1; i < entries.length; i++) expect(entries[i].parentUuid).toBe(entries[i - 1].uuid);
    expect(new Set(entries.map((e) => e.uuid)).size).toBe(entries.length);
    for (const e of entries) expect(e.uuid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('maps client tool names to the names the CLI knows them by', () => {
    const entries = parse(buildTranscript(HISTORY, OPTS));
    expect(entries[1].message.content).toContainEqual({ type: 'tool_use', id: 'call_1', name: 'mcp__client__get_time', input: { tz: 'UTC' } });
    // Without a mapping the name is kept.
    const plain = parse(buildTranscript(HISTORY, { ...OPTS, toolName: undefined }));
    expect(plain[1].message.content).toContainEqual({ type: 'tool_use', id: 'call_1', name: 'get_time', input: { tz: 'UTC' } });
  });

  it('drops unsigned thinking and keeps signed thinking', () => {
    const entries = parse(buildTranscript(HISTORY, OPTS));
    expect(entries[1].message.content.map((b: any) => b.type)).toEqual(['text', 'tool_use']);
    expect(entries[3].message.content[0]).toEqual({ type: 'thinking', thinking: 'signed', signature: 'c2ln' });
  });

  it('assistant entries carry a message id, the model and a stop reason that follows the content', () => {
    const entries = parse(buildTranscript(HISTORY, OPTS));
    expect(entries[1].message).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-5-5', stop_reason: 'tool_use', stop_sequence: null });
    expect(entries[3].message.stop_reason).toBe('end_turn');
    expect(entries[1].message.id).toMatch(/^msg_[0-9a-f]{24}$/);
  });

  it('stamps every entry with the session, working directory and CLI version', () => {
    for (const e of parse(buildTranscript(HISTORY, OPTS))) {
      expect(e).toMatchObject({ sessionId: OPTS.sessionId, cwd: OPTS.cwd, version: '2.1.330', isSidechain: false });
      expect(Number.isNaN(Date.parse(e.timestamp))).toBe(false);
    }
  });

  it('does not modify the history it is given', () => {
    const copy = structuredClone(HISTORY);
    buildTranscript(HISTORY, OPTS);
    expect(HISTORY).toEqual(copy);
  });

  describe('matches the shape of the transcripts the pinned CLI writes', () => {
    const ours = parse(buildTranscript(HISTORY, OPTS));

    it.each(['user', 'assistant'] as const)('%s entries use only keys the CLI writes, including all the ones it links by', (type) => {
      const realKeys = new Set(realOf(type).flatMap((e) => Object.keys(e)));
      // Keys present in every real entry of this type that a resume relies on.
      for (const k of ['parentUuid', 'isSidechain', 'type', 'message', 'uuid', 'timestamp', 'sessionId', 'cwd', 'version', 'userType', 'entrypoint']) {
        expect(realKeys.has(k)).toBe(true);
      }
      for (const e of ours.filter((x) => x.type === type)) {
        const extra = Object.keys(e).filter((k) => !realKeys.has(k));
        expect(extra).toEqual([]);
        expect(Object.keys(e)).toEqual(
          expect.arrayContaining([
            'parentUuid',
            'isSidechain',
            'type',
            'message',
            'uuid',
            'timestamp',
            'sessionId',
            'cwd',
            'version',
            'userType',
            'entrypoint',
          ]),
        );
      }
    });

    it.each(['user', 'assistant'] as const)('%s messages use only keys the CLI writes', (type) => {
      const realKeys = new Set(realOf(type).flatMap((e) => Object.keys(e.message)));
      for (const e of ours.filter((x) => x.type === type)) expect(Object.keys(e.message).filter((k) => !realKeys.has(k))).toEqual([]);
    });

    it('uses the same constant values as the CLI (userType, entrypoint, isSidechain)', () => {
      for (const type of ['user', 'assistant'] as const) {
        const r = realOf(type)[0];
        const o = ours.find((x) => x.type === type);
        expect({ userType: o.userType, entrypoint: o.entrypoint, isSidechain: o.isSidechain }).toEqual({
          userType: r.userType,
          entrypoint: r.entrypoint,
          isSidechain: r.isSidechain,
        });
      }
    });

    it("tool_use and tool_result blocks have the CLI's block keys", () => {
      const realToolUse = realOf('assistant')
        .flatMap((e) => e.message.content)
        .find((b: any) => b.type === 'tool_use');
      const realToolResult = realOf('user')
        .flatMap((e) => (Array.isArray(e.message.content) ? e.message.content : []))
        .find((b: any) => b.type === 'tool_result');
      const ourToolUse = ours[1].message.content.find((b: any) => b.type === 'tool_use');
      const ourToolResult = ours[2].message.content.find((b: any) => b.type === 'tool_result');
      expect(Object.keys(ourToolUse).sort()).toEqual(Object.keys(realToolUse).sort());
      expect(Object.keys(ourToolResult).sort()).toEqual(Object.keys(realToolResult).sort());
      expect(realToolUse.name).toBe(toCliToolName('get_time'));
    });
  });
});

describe('transcript paths', () => {
  it('project dir: every non-alphanumeric becomes "-", as the CLI names its project folders', () => {
    expect(projectDirName('/tmp/maxproxy-capture/text/work')).toBe('-tmp-maxproxy-capture-text-work');
    // The folder the CLI itself reported for that cwd (its memory path, in the captured init message).
    const init = readJsonl(`${FIXTURES}text.jsonl`).find((m) => m.type === 'system' && m.subtype === 'init');
    expect(init.memory_paths.auto).toContain(`/projects/${projectDirName(init.cwd)}/`);
  });

  it('config dir: CLAUDE_CONFIG_DIR, else $HOME/.claude', () => {
    expect(claudeConfigDir({ CLAUDE_CONFIG_DIR: '/cfg', HOME: '/home/u' })).toBe('/cfg');
    expect(claudeConfigDir({ HOME: '/home/u' })).toBe(path.join('/home/u', '.claude'));
    expect(transcriptPath({ HOME: '/home/u' }, '/data/w', 'abc')).toBe(path.join('/home/u', '.claude', 'projects', '-data-w', 'abc.jsonl'));
  });
});

describe('writeTranscript', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('writes the transcript where the CLI will look for it (owner-only) and returns a new session id', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-transcript-'));
    dirs.push(home);
    const env = { HOME: home };
    const id = await writeTranscript(HISTORY, env, { cwd: '/data/workdir', version: '2.1.330', model: 'sonnet', toolName: toCliToolName });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const file = transcriptPath(env, '/data/workdir', id);
    const entries = readJsonl(file);
    expect(entries).toHaveLength(4);
    expect(entries.every((e) => e.sessionId === id)).toBe(true);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(await writeTranscript(HISTORY, env, { cwd: '/data/workdir', version: '2.1.330', model: 'sonnet' })).not.toBe(id);
    // Written in batches, yielding between them, the file is byte for byte what buildTranscript makes.
    const long: TurnMessage[] = Array.from({ length: 40 }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: [{ type: 'text', text: `${i}: ${'x'.repeat(100_000)} é😀` }],
    }));
    const batched = await writeTranscript(long, env, { cwd: '/data/workdir', version: '2.1.330', model: 'sonnet' }, new TimeSlicer(0));
    const text = fs.readFileSync(transcriptPath(env, '/data/workdir', batched), 'utf8');
    // Ids and times are new on every build.
    const same = (t: string) => t.replace(/"(uuid|parentUuid|timestamp)":("[^"]*"|null)/g, '"$1":_').replace(/"id":"msg_[0-9a-f]+"/g, '"id":_');
    expect(same(text)).toBe(same(buildTranscript(long, { sessionId: batched, cwd: '/data/workdir', version: '2.1.330', model: 'sonnet' })));
    expect(text.split('\n')).toHaveLength(41);
  });
});
