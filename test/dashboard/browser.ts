/**
 * Helpers for the dashboard's browser tests: Debian's Chromium driven by playwright-core
 * (no browser download), pages that record console errors, a second origin on another
 * loopback port, and usage-ledger rows written through the ledger's own writer.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { TurnRecord } from '../../src/turn/turn-record.js';
import { Ledger } from '../../src/usage/ledger.js';
import { ROOT } from '../harness.js';

export const CHROMIUM = process.env.MAXPROXY_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = path.join(ROOT, 'docs', 'screenshots');

export async function launch(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (see .ci/run)`);
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 120_000 });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions, in order. */
  errors: string[];
}

export async function openPage(browser: Browser, opts: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    colorScheme: opts.colorScheme ?? 'light',
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.setDefaultTimeout(30_000);
  return { page, context, errors };
}

/** The page has loaded its data (app.js sets this once live state, usage, turns and settings are in). */
export const ready = (page: Page, timeout = 30_000) => page.waitForSelector('body[data-ready="true"]', { timeout });

/** A second origin: a page on another loopback port (same site, other origin) that runs `script`. */
export async function serveOtherOrigin(script: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>other</title><body><script>${script}</script></body>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const HOUR = 3_600_000;

/** One ended turn as the engine would report it. */
export function turn(p: Partial<TurnRecord> & { endedAt: number; client: string; input: number; output: number }): TurnRecord {
  const { input, output, ...rest } = p;
  return {
    startedAt: p.endedAt - 1_500,
    requestId: `seed-${p.endedAt}`,
    sessionId: `seed-session-${p.client}`,
    endpoint: 'chat.completions',
    modelRequested: 'sonnet',
    modelServed: 'claude-sonnet-5-5',
    status: 'ok',
    usage: { inputTokens: input, outputTokens: output, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
    ttftMs: 400,
    durationMs: 1_500,
    billing: 'plan',
    ...rest,
  };
}

/**
 * Writes turns of the past days into `dataDir` through the ledger's own writer, as a
 * daemon that had been running would have. The ledger's start is put before them, so
 * the window rises they carry are attributed to them.
 */
export async function seedLedger(dataDir: string, since: number, turns: TurnRecord[]): Promise<void> {
  const ledger = new Ledger({ dataDir, retentionDays: 90, now: () => since });
  for (const t of turns) ledger.record(t);
  await ledger.close();
}

/** Pixels of a PNG screenshot are not checked here; the files are for people (README). */
export function shotPath(name: string): string {
  fs.mkdirSync(SHOTS, { recursive: true });
  return path.join(SHOTS, name);
}
