/**
 * /metrics on the real daemon: the Prometheus series move when requests are served
 * (requests by route and status, time to first token, tokens, queue and sessions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBody, messagesBody, post } from './fault-kit.js';
import { MockUpstream, type RunningProxy, startProxy } from './harness.js';

let upstream: MockUpstream;
let proxy: RunningProxy;

beforeAll(async () => {
  upstream = await new MockUpstream().start();
  proxy = await startProxy({ upstream });
});
afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

/** Parses the Prometheus text format into `name{labels}` → value. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${proxy.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/plain/);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const get = (m: Map<string, number>, key: string): number => m.get(key) ?? 0;
const delta = (a: Map<string, number>, b: Map<string, number>, key: string) => get(b, key) - get(a, key);

describe('/metrics', () => {
  it('counts each request once by route and status, observes time to first token and adds the tokens', async () => {
    const before = await scrape();
    upstream.enqueue({
      blocks: [{ type: 'text', text: ['a', 'b'] }],
      usage: { input_tokens: 21, output_tokens: 9, cache_read_input_tokens: 5, cache_creation_input_tokens: 3 },
    });
    const r = await post(proxy, '/v1/chat/completions', chatBody('count me', { stream: true }));
    expect(r.status).toBe(200);
    await r.text();
    upstream.enqueue({ blocks: [{ type: 'text', text: 'x' }], usage: { input_tokens: 4, output_tokens: 2 } });
    const m = await post(proxy, '/v1/messages', messagesBody('me too'));
    expect(m.status).toBe(200);
    await m.text();
    const bad = await post(proxy, '/v1/chat/completions', { model: 'claude-sonnet-4-6', messages: [] });
    expect(bad.status).toBe(400);
    await bad.text();
    const after = await scrape();

    expect(delta(before, after, 'maxproxy_requests_total{route="/v1/chat/completions",status="200"}')).toBe(1);
    expect(delta(before, after, 'maxproxy_requests_total{route="/v1/messages",status="200"}')).toBe(1);
    expect(delta(before, after, 'maxproxy_requests_total{route="/v1/chat/completions",status="400"}')).toBe(1);
    expect(delta(before, after, 'maxproxy_request_duration_seconds_count{route="/v1/chat/completions"}')).toBe(2);

    expect(delta(before, after, 'maxproxy_time_to_first_token_seconds_count{route="/v1/chat/completions"}')).toBe(1);
    expect(delta(before, after, 'maxproxy_time_to_first_token_seconds_count{route="/v1/messages"}')).toBe(1);
    expect(delta(before, after, 'maxproxy_time_to_first_token_seconds_sum{route="/v1/chat/completions"}')).toBeGreaterThan(0);
    expect(get(after, 'maxproxy_time_to_first_token_seconds_bucket{le="+Inf",route="/v1/chat/completions"}')).toBeGreaterThanOrEqual(1);

    expect(delta(before, after, 'maxproxy_tokens_total{type="input"}')).toBe(25);
    expect(delta(before, after, 'maxproxy_tokens_total{type="output"}')).toBe(11);
    expect(delta(before, after, 'maxproxy_tokens_total{type="cache_read"}')).toBe(5);
    expect(delta(before, after, 'maxproxy_tokens_total{type="cache_creation"}')).toBe(3);

    expect(get(after, 'maxproxy_active_sessions')).toBeGreaterThanOrEqual(1);
    expect(get(after, 'maxproxy_live_processes')).toBeGreaterThanOrEqual(1);
    expect(get(after, 'maxproxy_queue_depth')).toBe(0);
    expect(get(after, 'maxproxy_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts guard refusals and client disconnects without double counting', async () => {
    const before = await scrape();
    const r = await fetch(`${proxy.url}/v1/models`, { headers: { origin: 'https://evil.example' } });
    expect(r.status).toBe(403);
    const ok = await fetch(`${proxy.url}/v1/models`);
    expect(ok.status).toBe(200);
    const after = await scrape();
    expect(delta(before, after, 'maxproxy_requests_total{route="unmatched",status="403"}')).toBe(1);
    expect(delta(before, after, 'maxproxy_requests_total{route="/v1/models",status="200"}')).toBe(1);
  });
});
