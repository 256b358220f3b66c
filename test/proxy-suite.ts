/**
 * The set-up most API suites share: one MockUpstream and one proxy for the whole file, SDK
 * clients for both APIs, and before each test an upstream that has forgotten the last test's
 * requests and answers with the suite's responder. Separate from harness.ts, which bench/
 * also imports outside vitest.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { continuities, MockUpstream, type ProxyOptions, type RunningProxy, startProxy } from './harness.js';
import type { Responder } from './mock-upstream.js';

export interface ProxySuite {
  upstream: MockUpstream;
  proxy: RunningProxy;
  openai: OpenAI;
  anthropic: Anthropic;
}

/** Registers the hooks; the returned object is filled in by beforeAll, so read it inside tests only. */
export function proxySuite(opts: Omit<ProxyOptions, 'upstream'> & { responder: Responder }): ProxySuite {
  const { responder, ...proxyOptions } = opts;
  const suite = {} as ProxySuite;
  beforeAll(async () => {
    suite.upstream = await new MockUpstream().start();
    suite.proxy = await startProxy({ ...proxyOptions, upstream: suite.upstream });
    suite.openai = new OpenAI({ baseURL: suite.proxy.baseURL, apiKey: 'x', maxRetries: 0 });
    suite.anthropic = new Anthropic({ baseURL: suite.proxy.url, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await suite.proxy?.stop();
    await suite.upstream?.stop();
  });
  beforeEach(() => {
    suite.upstream.reset();
    suite.upstream.setResponder(responder);
  });
  return suite;
}

/** A model id no Claude Code knows yet: the upstream refuses it as needing a newer CLI. */
export const NEWER_CLI_MODEL = 'claude-opus-9-9';

/** Makes the upstream refuse every request as the real one does for a model newer than the CLI. */
export function refuseAsVersionTooOld(upstream: MockUpstream): void {
  upstream.setResponder(() => ({
    kind: 'error',
    status: 400,
    type: 'invalid_request_error',
    message: 'Claude Code 2.1.330 does not support this model; version 2.2.0 or newer is required',
    details: { error_code: 'claude_code_version_too_old' },
  }));
}

/** The client's error names the model, the CLI version and the way out; the model reached the upstream unchanged. */
export function expectVersionTooOld(message: string, upstream: MockUpstream): void {
  expect(message).toContain(NEWER_CLI_MODEL);
  expect(message).toContain('2.1.330');
  expect(message).toContain('--claude-path');
  expect(upstream.messageRequests.length).toBeGreaterThan(0);
  for (const r of upstream.messageRequests) expect(r.body.model).toBe(NEWER_CLI_MODEL);
}

/**
 * Sends an Anthropic answer back in the history with a follow-up question: the turn must
 * continue the same live CLI process, and only the new user turn goes upstream, on top of the
 * history the process holds.
 */
export async function expectLiveFollowUp(
  s: ProxySuite,
  turn: { model: string; tools: Anthropic.Messages.ToolUnion[]; prompt: string; first: Anthropic.Messages.Message },
): Promise<void> {
  s.upstream.setResponder(() => ({ blocks: [{ type: 'text', text: 'follow-up answer' }] }));
  const before = s.upstream.messageRequests.length;
  const second = await s.anthropic.messages.create({
    model: turn.model,
    max_tokens: 200,
    tools: turn.tools,
    messages: [
      { role: 'user', content: turn.prompt },
      { role: 'assistant', content: turn.first.content as never },
      { role: 'user', content: 'And what does that mean?' },
    ],
  });
  expect(second.content[0]).toMatchObject({ type: 'text', text: 'follow-up answer' });
  expect(continuities(s.proxy).at(-1)).toBe('live');
  const sent = s.upstream.messageRequests.slice(before);
  expect(sent).toHaveLength(1);
  expect(JSON.stringify(sent[0].body)).toContain('And what does that mean?');
}
