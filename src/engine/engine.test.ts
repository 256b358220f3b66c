/**
 * The engine's conversation bookkeeping with fake sessions (no Claude Code): which
 * session a request continues, what each new session is asked to be, eviction, and
 * the record of every ended turn.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { StatusStore } from '../status/store.js';
import type { TurnRecord } from '../turn/turn-record.js';
import type { ContentBlock, TurnMessage, TurnRequest } from '../turn/types.js';
import { Engine, type EngineOptions } from './engine.js';
import type { SessionSpec } from './session-factory.js';
import { FakeSession } from './testing/fake-session.js';
import { transcriptPath } from './transcript.js';
import type { TurnRun } from './turn-engine.js';

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.shutdown(0);
});

function setup(over: Partial<EngineOptions> = {}, dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-test-'))) {
  const created: FakeSession[] = [];
  const records: TurnRecord[] = [];
  const home = path.join(dataDir, 'home');
  fs.mkdirSync(home, { recursive: true });
  const engine = new Engine(
    {
      dataDir,
      claudePath: '/nonexistent/claude',
      claudeVersion: '2.1.330',
      claudeEnv: { HOME: home },
      cliMaxRetries: 0,
      maxRetryWaitMs: 1_000,
      idleTimeoutMs: 60_000,
      maxConcurrent: 4,
      maxQueue: 4,
      maxLiveSessions: 8,
      sessionIdleMs: 60_000,
      warmSpares: 0,
      models: {},
      status: new StatusStore('test'),
      log: silentLogger(),
      parentEnv: { PATH: process.env.PATH },
      onTurnRecord: (r) => records.push(r),
      ...over,
    },
    (spec: SessionSpec) => {
      const s = new FakeSession(spec);
      created.push(s);
      // Like the CLI, a session keeps its transcript where a later --resume finds it.
      const file = transcriptPath({ HOME: home }, path.join(dataDir, 'workdir'), s.id);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      if (!fs.existsSync(file)) fs.writeFileSync(file, '');
      return s;
    },
  );
  engines.push(engine);
  return { engine, created, records, dataDir, home };
}

const text = (t: string): ContentBlock => ({ type: 'text', text: t });
const user = (...c: ContentBlock[]): TurnMessage => ({ role: 'user', content: c });
const assistant = (...c: ContentBlock[]): TurnMessage => ({ role: 'assistant', content: c });

function req(messages: TurnMessage[], over: Partial<TurnRequest> = {}): TurnRequest {
  return { model: 'sonnet', system: 'be brief', messages, tools: [], conversation: { userAgent: 'OpenAI/JS 6.49.0' }, stream: false, ...over };
}

const weather = { name: 'get_weather', description: 'Weather', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } };

async function drain(run: TurnRun): Promise<string> {
  for await (const _ of run.events);
  const o = await run.outcome;
  if (!o.ok) throw new Error(o.error.message);
  return o.result.content.map((b) => (b.type === 'text' ? b.text : b.type === 'tool_use' ? `call:${b.id}` : '')).join('');
}

const ctx = (requestId = 'r1') => ({ requestId, endpoint: 'chat.completions' as const });

describe('Engine with fake sessions', () => {
  it('starts a new conversation in a new session and continues it live with only the new message', async () => {
    const { engine, created } = setup();
    const first = await engine.run(req([user(text('hi'))]), ctx());
    expect(first.continuity).toBe('new');
    expect(await drain(first)).toBe('echo:hi');
    const second = await engine.run(req([user(text('hi')), assistant(text('echo:hi')), user(text('more'))]), ctx('r2'));
    expect(second.continuity).toBe('live');
    expect(await drain(second)).toBe('echo:more');
    expect(created).toHaveLength(1);
    expect(created[0].sent).toEqual([[text('hi')], [text('more')]]);
  });

  it('does not continue a conversation of another shape (system prompt) in the same session', async () => {
    const { engine, created } = setup();
    await drain(await engine.run(req([user(text('hi'))]), ctx()));
    const other = await engine.run(req([user(text('hi')), assistant(text('echo:hi')), user(text('more'))], { system: 'other' }), ctx('r2'));
    expect(other.continuity).toBe('rebuilt');
    expect(created).toHaveLength(2);
  });

  it('hands tool results to the session suspended in those calls, matched by the pending ids when the client dropped the call text', async () => {
    const { engine, created } = setup();
    const r1 = await engine.run(req([user(text('weather?'))], { tools: [weather] }), ctx());
    created[0].replies.push({ toolCalls: [{ id: 'call_01ab', name: 'get_weather', input: { city: 'Oslo' } }] });
    // The first turn already answered (echo); a second one asks for the tool.
    await drain(r1);
    const r2 = await engine.run(req([user(text('weather?')), assistant(text('echo:weather?')), user(text('now'))], { tools: [weather] }), ctx('r2'));
    expect(await drain(r2)).toBe('call:call_01ab');
    expect(created[0].state).toBe('waiting_tools');
    // The client re-sends the call turn without its text and rewrites the id (OpenClaw strips "_").
    const results = req(
      [
        user(text('weather?')),
        assistant(text('echo:weather?')),
        user(text('now')),
        assistant({ type: 'tool_use', id: 'call01ab', name: 'get_weather', input: { city: 'Oslo' } }),
        user({ type: 'tool_result', tool_use_id: 'call01ab', content: 'rain' }),
      ],
      { tools: [weather] },
    );
    const r3 = await engine.run(results, ctx('r3'));
    expect(r3.continuity).toBe('live');
    expect(r3.sessionId).toBe(created[0].id);
    expect(created[0].sent.at(-1)).toEqual([{ type: 'tool_result', tool_use_id: 'call01ab', content: 'rain' }]);
    expect(created).toHaveLength(1);
  });

  it('closes a session waiting for tool results when its client moves on without them', async () => {
    const { engine, created } = setup();
    const r1 = await engine.run(req([user(text('go'))], { tools: [weather] }), ctx());
    await drain(r1);
    created[0].replies.push({ toolCalls: [{ id: 'toolu_1', name: 'get_weather' }] });
    await drain(await engine.run(req([user(text('go')), assistant(text('echo:go')), user(text('call it'))], { tools: [weather] }), ctx('r2')));
    expect(created[0].state).toBe('waiting_tools');
    // The history the waiting session holds, call included, followed by a plain message instead of results.
    const history = [
      user(text('go')),
      assistant(text('echo:go')),
      user(text('call it')),
      assistant({ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }),
    ];
    const moved = await engine.run(req([...history, user(text('never mind'))], { tools: [weather] }), ctx('r3'));
    expect(created[0].state).toBe('closed');
    // Its transcript goes on in a new process (resumed from the session map), not in the suspended one.
    expect(moved.continuity).toBe('resumed');
    expect(created).toHaveLength(2);
    expect(created[1].sent).toEqual([[text('never mind')]]);
  });

  it('rebuilds an unknown history as a transcript the new session resumes', async () => {
    const { engine, created, home } = setup();
    const run = await engine.run(req([user(text('a')), assistant(text('b')), user(text('c'))]), ctx());
    expect(run.continuity).toBe('rebuilt');
    expect(created[0].spec.resume).toBe(run.sessionId);
    expect(created[0].spec.autoContinue).toBe(false);
    const transcripts = fs.readdirSync(path.join(home, '.claude', 'projects'), { recursive: true }).map(String);
    expect(transcripts.some((f) => f.endsWith(`${run.sessionId}.jsonl`))).toBe(true);
    expect(created[0].sent).toEqual([[text('c')]]);
  });

  it('rebuilds a history ending in tool results with no live session so that the CLI runs the turn itself', async () => {
    const { engine, created } = setup();
    const run = await engine.run(
      req(
        [
          user(text('w?')),
          assistant({ type: 'tool_use', id: 'toolu_9', name: 'get_weather', input: {} }),
          user({ type: 'tool_result', tool_use_id: 'toolu_9', content: 'sun' }),
        ],
        { tools: [weather] },
      ),
      ctx(),
    );
    expect(run.continuity).toBe('rebuilt');
    expect(created[0].spec.autoContinue).toBe(true);
    expect(created[0].spec.tools).toEqual([weather]);
  });

  it('resumes a conversation from the session map after a restart', async () => {
    const a = setup();
    await drain(await a.engine.run(req([user(text('hi'))]), ctx()));
    const firstId = a.created[0].id;
    await a.engine.shutdown(0);
    engines.splice(engines.indexOf(a.engine), 1);
    const b = setup({}, a.dataDir);
    const run = await b.engine.run(req([user(text('hi')), assistant(text('echo:hi')), user(text('again'))]), ctx('r2'));
    expect(run.continuity).toBe('resumed');
    expect(b.created[0].spec.resume).toBe(firstId);
    // The entry moved with the session: the same point is not resumed twice (that would fork it).
    const again = await b.engine.run(req([user(text('hi')), assistant(text('echo:hi')), user(text('fork?'))]), ctx('r3'));
    expect(again.continuity).toBe('rebuilt');
    expect(again.sessionId).not.toBe(firstId);
  });

  it('rebuilds instead of resuming when the retention sweep removed the transcript', async () => {
    const a = setup();
    await drain(await a.engine.run(req([user(text('hi'))]), ctx()));
    await a.engine.shutdown(0);
    engines.splice(engines.indexOf(a.engine), 1);
    fs.rmSync(transcriptPath({ HOME: a.home }, path.join(a.dataDir, 'workdir'), a.created[0].id));
    const b = setup({}, a.dataDir);
    const run = await b.engine.run(req([user(text('hi')), assistant(text('echo:hi')), user(text('again'))]), ctx('r2'));
    expect(run.continuity).toBe('rebuilt');
    expect(b.created[0].spec.resume).not.toBe(a.created[0].id);
  });

  it('gives a new conversation a warm spare of its shape and model, started once the turn has ended', async () => {
    const { engine, created } = setup({ warmSpares: 1 });
    const first = await engine.run(req([user(text('one'))]), ctx());
    expect(first.continuity).toBe('new');
    // No CLI starts beside a running turn: the spare comes after it.
    expect(created).toHaveLength(1);
    await drain(first);
    await vi.waitFor(() => expect(created).toHaveLength(2), { timeout: 60_000 }); // the spare for the next conversation of this shape
    const spare = created.find((s) => s.id !== first.sessionId)!;
    const second = await engine.run(req([user(text('two'))]), ctx('r2'));
    expect(second.continuity).toBe('warm');
    expect(second.sessionId).toBe(spare.id);
    await drain(second);
    await vi.waitFor(() => expect(engine.stats().warmSpares).toBe(1), { timeout: 60_000 });
    const otherModel = await engine.run(req([user(text('three'))], { model: 'opus' }), ctx('r3'));
    expect(otherModel.continuity).toBe('new');
  });

  it('evicts the least recently used idle session beyond the cap', async () => {
    const { engine, created } = setup({ maxLiveSessions: 1 });
    await drain(await engine.run(req([user(text('a'))]), ctx()));
    await drain(await engine.run(req([user(text('b'))], { system: 'other' }), ctx('r2')));
    expect(created[0].state).toBe('closed');
    expect(created[1].state).toBe('idle');
    expect(engine.stats().liveSessions).toBe(1);
  });

  it('ends a session by id and forgets it', async () => {
    const { engine, created } = setup();
    const run = await engine.run(req([user(text('a'))]), ctx());
    await drain(run);
    expect(engine.endSession(run.sessionId)).toBe(true);
    expect(created[0].state).toBe('closed');
    expect(engine.endSession(run.sessionId)).toBe(false);
    expect(engine.stats().liveSessions).toBe(0);
  });

  it('records every ended turn once, with client, endpoint, models and usage', async () => {
    const { engine, records } = setup();
    await drain(await engine.run(req([user(text('a'))], { model: 'sonnet' }), { requestId: 'req-x', endpoint: 'messages' }));
    await new Promise((r) => setImmediate(r));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      requestId: 'req-x',
      client: 'OpenAI SDK',
      endpoint: 'messages',
      modelRequested: 'sonnet',
      modelServed: 'sonnet',
      status: 'ok',
      billing: 'unknown',
      usage: { inputTokens: 3, outputTokens: 2 },
    });
  });

  it('refuses an unknown model before any session starts', async () => {
    const { engine, created } = setup();
    await expect(engine.run(req([user(text('a'))], { model: 'gpt-4o' }), ctx())).rejects.toMatchObject({
      error: { kind: 'not_found', code: 'model_not_found' },
    });
    expect(created).toHaveLength(0);
  });
});
