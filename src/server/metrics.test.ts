import http from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnRecord } from '../turn/turn-record.js';
import { listen, type Started } from './guards/testing.js';
import { Metrics } from './metrics.js';

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
const sample = (text: string, series: string): number | undefined => {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    if (line.slice(0, i) === series) return Number(line.slice(i + 1));
  }
  return undefined;
};

describe('Metrics', () => {
  let srv: Started;
  let metrics: Metrics;
  let queued = 3;
  const scrape = async (): Promise<string> => {
    const res = await fetch(`${srv.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  beforeAll(async () => {
    metrics = new Metrics({ sample: () => ({ queueDepth: queued }) });
    const app = express();
    app.use(metrics.track());
    app.get('/metrics', metrics.handler());
    app.post('/v1/chat/completions', (_req, res) => {
      res.status(201).json({ ok: true });
    });
    app.get('/v1/models/:id', (_req, res) => {
      res.json({ id: 'x' });
    });
    app.get('/slow', (_req, res) => {
      res.write('partial'); // never ends: the client hangs up
    });
    srv = await listen(app);
  });
  afterAll(() => srv.close());

  it('exposes every series, prefixed, before anything happened', async () => {
    const text = await scrape();
    for (const name of [
      'maxproxy_requests_total',
      'maxproxy_request_duration_seconds',
      'maxproxy_time_to_first_token_seconds',
      'maxproxy_active_sessions',
      'maxproxy_queue_depth',
      'maxproxy_live_processes',
      'maxproxy_tokens_total',
      'maxproxy_cli_crashes_total',
      'maxproxy_watchdog_stops_total',
      'maxproxy_process_cpu_seconds_total',
      'maxproxy_process_resident_memory_bytes',
      'maxproxy_nodejs_eventloop_lag_seconds',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    expect(sample(text, 'maxproxy_tokens_total{type="cache_read"}')).toBe(0);
    expect(sample(text, 'maxproxy_cli_crashes_total')).toBe(0);
    expect(sample(text, 'maxproxy_watchdog_stops_total')).toBe(0);
    // Default metrics are prefixed: no bare process_ series.
    expect(text).not.toMatch(/^process_/m);
  });

  it('counts requests by route pattern and status, with durations', async () => {
    await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST' });
    await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST' });
    await fetch(`${srv.url}/v1/models/abc`);
    await fetch(`${srv.url}/nowhere`);
    const text = await scrape();
    expect(sample(text, 'maxproxy_requests_total{route="/v1/chat/completions",status="201"}')).toBe(2);
    expect(sample(text, 'maxproxy_requests_total{route="/v1/models/:id",status="200"}')).toBe(1);
    expect(sample(text, 'maxproxy_requests_total{route="unmatched",status="404"}')).toBe(1);
    expect(sample(text, 'maxproxy_request_duration_seconds_count{route="/v1/chat/completions"}')).toBe(2);
    expect(sample(text, 'maxproxy_request_duration_seconds_bucket{le="+Inf",route="/v1/chat/completions"}')).toBe(2);
  });

  it('counts a request the client abandoned as 499', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${srv.url}/slow`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      setTimeout(() => reject(new Error('no data')), 5000);
    });
    await new Promise((r) => setTimeout(r, 50));
    const text = await scrape();
    expect(sample(text, 'maxproxy_requests_total{route="/slow",status="499"}')).toBe(1);
  });

  it('records TTFT, tokens, gauges and restarts', async () => {
    metrics.observeTimeToFirstToken('/v1/messages', 0.4);
    metrics.observeTimeToFirstToken('/v1/messages', 2);
    metrics.observeTimeToFirstToken('/v1/messages', -1); // dropped
    metrics.observeTimeToFirstToken('/v1/messages', Number.NaN); // dropped
    metrics.addUsage({ inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 100, cacheCreationInputTokens: 0 });
    metrics.addTokens('output', 7);
    metrics.setActiveSessions(2);
    metrics.setLiveProcesses(4);
    metrics.setLiveProcesses(-3); // dropped
    metrics.cliCrash();
    metrics.cliCrash();
    metrics.watchdogStop();
    queued = 9;
    const text = await scrape();
    expect(sample(text, 'maxproxy_time_to_first_token_seconds_count{route="/v1/messages"}')).toBe(2);
    expect(sample(text, 'maxproxy_time_to_first_token_seconds_sum{route="/v1/messages"}')).toBeCloseTo(2.4);
    expect(sample(text, 'maxproxy_time_to_first_token_seconds_bucket{le="0.5",route="/v1/messages"}')).toBe(1);
    expect(sample(text, 'maxproxy_tokens_total{type="input"}')).toBe(10);
    expect(sample(text, 'maxproxy_tokens_total{type="output"}')).toBe(12);
    expect(sample(text, 'maxproxy_tokens_total{type="cache_read"}')).toBe(100);
    expect(sample(text, 'maxproxy_tokens_total{type="cache_creation"}')).toBe(0);
    expect(sample(text, 'maxproxy_active_sessions')).toBe(2);
    expect(sample(text, 'maxproxy_live_processes')).toBe(4);
    expect(sample(text, 'maxproxy_queue_depth')).toBe(9);
    expect(sample(text, 'maxproxy_cli_crashes_total')).toBe(2);
    expect(sample(text, 'maxproxy_watchdog_stops_total')).toBe(1);
  });

  it('keeps instances independent (private registries)', async () => {
    const a = new Metrics();
    const b = new Metrics({ defaultMetrics: false });
    a.cliCrash();
    expect(sample(await a.text(), 'maxproxy_cli_crashes_total')).toBe(1);
    expect(sample(await b.text(), 'maxproxy_cli_crashes_total')).toBe(0);
    expect(await b.text()).not.toContain('maxproxy_process_cpu');
    expect(a.contentType).toContain('text/plain');
  });

  it('survives a throwing gauge source', async () => {
    const m = new Metrics({
      defaultMetrics: false,
      sample: () => {
        throw new Error('status store gone');
      },
    });
    m.setQueueDepth(5);
    expect(sample(await m.text(), 'maxproxy_queue_depth')).toBe(5);
  });

  it('counts turns and their tokens by client, model and billing path, with bounded labels', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const rec = (client: string, billing: 'plan' | 'extra_usage' | 'unknown', status: 'ok' | 'error' = 'ok'): TurnRecord => ({
      startedAt: 1,
      endedAt: 2,
      requestId: 'r',
      sessionId: 's',
      client,
      endpoint: 'messages',
      modelRequested: 'sonnet',
      modelServed: 'claude-sonnet-5-5',
      status,
      usage: { inputTokens: 10, outputTokens: 4, cacheReadInputTokens: 0, cacheCreationInputTokens: 2 },
      durationMs: 1,
      billing,
    });
    m.recordTurn(rec('OpenClaw', 'plan'));
    m.recordTurn(rec('OpenClaw', 'plan'));
    m.recordTurn(rec('curl', 'extra_usage', 'error'));
    for (let i = 0; i < 40; i++) m.recordTurn(rec(`odd-agent-${i}`, 'unknown'));
    const text = await m.text();
    expect(sample(text, 'maxproxy_turns_total{client="OpenClaw",model="claude-sonnet-5-5",billing="plan",status="ok"}')).toBe(2);
    expect(sample(text, 'maxproxy_turns_total{client="curl",model="claude-sonnet-5-5",billing="extra_usage",status="error"}')).toBe(1);
    expect(sample(text, 'maxproxy_turn_tokens_total{client="OpenClaw",model="claude-sonnet-5-5",billing="plan",type="input"}')).toBe(20);
    expect(sample(text, 'maxproxy_turn_tokens_total{client="OpenClaw",model="claude-sonnet-5-5",billing="plan",type="cache_creation"}')).toBe(4);
    // 32 distinct clients get their own label; the rest count as `other`.
    expect(sample(text, 'maxproxy_turns_total{client="other",model="claude-sonnet-5-5",billing="unknown",status="ok"}')).toBe(10);
  });
});
