/**
 * The set-up most API suites share: one MockUpstream and one proxy for the whole file, SDK
 * clients for both APIs, and before each test an upstream that has forgotten the last test's
 * requests and answers with the suite's responder. Separate from harness.ts, which bench/
 * also imports outside vitest.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { MockUpstream, type ProxyOptions, type RunningProxy, startProxy } from './harness.js';
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
