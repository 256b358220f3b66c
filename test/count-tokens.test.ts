/**
 * /v1/messages/count_tokens: counted by Claude Code through upstream's token-count API
 * (the mock answers each count request with a known number), never estimated locally.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childClaudePids, MockUpstream, type RunningProxy, startProxy, waitFor } from './harness.js';

let upstream: MockUpstream;
let proxy: RunningProxy;
let client: Anthropic;

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({ upstream, args: ['--warm-spares', '0'] });
  client = new Anthropic({ baseURL: proxy.url, apiKey: 'x', maxRetries: 0 });
});
afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

const countAnswers = () => upstream.requests.filter((r) => r.path.startsWith('/v1/messages/count_tokens')).map((r) => Math.max(1, Math.round(r.rawBytes / 10)));

describe('count_tokens', () => {
  it('returns the upstream token-count API figures for system, tools and messages; runs no model turn', async () => {
    upstream.reset();
    const r = await client.messages.countTokens({
      model: 'claude-sonnet-4-6',
      system: 'You are a careful assistant.',
      tools: [{ name: 'get_time', description: 'time', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [
        { role: 'user', content: 'Hello there, this is a longer message. '.repeat(20) },
        { role: 'assistant', content: 'Hi.' },
        { role: 'user', content: 'How many tokens?' },
      ],
    });
    const answers = countAnswers();
    expect(answers.length).toBeGreaterThan(0);
    expect(upstream.messageRequests).toHaveLength(0);
    // Every figure comes from upstream answers; more text means more tokens.
    expect(r.input_tokens).toBeGreaterThan(0);
    expect(r.input_tokens).toBeLessThanOrEqual(answers.reduce((a, b) => a + b, 0));
    const counted = upstream.requests.filter((q) => q.path.startsWith('/v1/messages/count_tokens')).map((q) => JSON.stringify(q.body));
    expect(counted.some((b) => b.includes('How many tokens?'))).toBe(true);
    expect(counted.some((b) => b.includes('mcp__client__get_time'))).toBe(true);

    upstream.reset();
    const small = await client.messages.countTokens({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }] });
    expect(small.input_tokens).toBeLessThan(r.input_tokens);
    await waitFor(() => childClaudePids(proxy.child.pid!).length === 0, 10_000);
  });

  it('refuses an unknown model with 404 in Anthropic format', async () => {
    const e = await client.messages.countTokens({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }).catch((x) => x);
    expect(e).toBeInstanceOf(Anthropic.NotFoundError);
  });
});
