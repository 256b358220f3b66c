/** Checks of the running daemon: is it there, is the port ours, do the connected tools point at it, does a turn go through. */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Config } from '../../config/defaults.js';
import type { Connections } from '../../config/settings.js';
import { FORMATS } from '../connect/formats.js';
import { authHeaders, configuredUrl, daemonModels, isServed } from '../connect/served-models.js';
import { CLIENTS, type ClientId, PROVIDER } from '../connect/types.js';
import { readLock } from '../instance-lock.js';
import { type CheckResult, type DoctorEnv, fail, pass, skip } from './types.js';

export interface DaemonState {
  pid?: number;
  url?: string;
  served?: string[];
}

function staleRecord(dataDir: string): { pid?: number; url?: string } | undefined {
  for (const name of ['maxproxy.lock', 'daemon.json']) {
    try {
      return JSON.parse(fs.readFileSync(path.join(dataDir, name), 'utf8')) as { pid?: number; url?: string };
    } catch {
      /* next */
    }
  }
  return undefined;
}

export async function checkDaemon(config: Config): Promise<{ state: DaemonState; result: CheckResult }> {
  const title = 'Daemon';
  const lock = readLock(config.dataDir);
  if (!lock) {
    const stale = staleRecord(config.dataDir);
    const was = stale?.pid ? ` (a stale record says pid ${stale.pid}${stale.url ? ` at ${stale.url}` : ''}, which is gone)` : '';
    return {
      state: {},
      result: fail(
        'daemon',
        title,
        `maxproxy is not running for ${config.dataDir}${was}`,
        'start it: `maxproxy` (or `maxproxy login-item enable` to have it start at login)',
      ),
    };
  }
  if (!lock.url)
    return {
      state: { pid: lock.pid },
      result: fail('daemon', title, `maxproxy (pid ${lock.pid}) is still starting`, 'wait a moment and run `maxproxy doctor` again'),
    };
  try {
    const r = await fetch(`${lock.url}/health`, { signal: AbortSignal.timeout(10_000) });
    if (!r.ok) throw new Error(`/health answered ${r.status}`);
    let served: string[] | undefined;
    try {
      served = (await daemonModels(lock.url, config.apiKey)).map((m) => m.id);
    } catch {
      /* the round trip and client checks say more */
    }
    return { state: { pid: lock.pid, url: lock.url, served }, result: pass('daemon', title, `running (pid ${lock.pid}) at ${lock.url}`) };
  } catch (e) {
    return {
      state: { pid: lock.pid },
      result: fail(
        'daemon',
        title,
        `maxproxy (pid ${lock.pid}) does not answer at ${lock.url}: ${(e as Error).message}`,
        `restart it: \`kill ${lock.pid}\`, then \`maxproxy\``,
      ),
    };
  }
}

/** Whether the configured port can be ours: held by our daemon, or free. */
export async function checkPort(config: Config, state: DaemonState): Promise<CheckResult> {
  const title = 'Port';
  const want = configuredUrl(config);
  if (state.url) {
    const port = new URL(state.url).port;
    return pass(
      'port',
      title,
      `${port} is maxproxy's (pid ${state.pid})${String(config.port) !== port ? `; the configured port ${config.port} is not in use by it` : ''}`,
    );
  }
  const free = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const srv = net.createServer();
    srv.once('error', (e) => resolve(e as NodeJS.ErrnoException));
    srv.listen({ host: config.host, port: config.port, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
  if (!free) return pass('port', title, `${config.port} on ${config.host} is free for maxproxy (${want})`);
  if (free.code === 'EADDRINUSE')
    return fail(
      'port',
      title,
      `${config.port} on ${config.host} is used by another program, so maxproxy cannot start there`,
      `stop that program (\`lsof -iTCP:${config.port} -sTCP:LISTEN\` names it) or move maxproxy: \`maxproxy --port <free port>\` (saved with the tray's Port menu), then \`maxproxy connect\` to update your tools`,
    );
  return fail('port', title, `${config.port} on ${config.host}: ${free.message}`, 'choose another --host/--port');
}

interface Found {
  id: ClientId;
  file: string;
  remembered: boolean;
}

/** Connected tools: those remembered in the settings, and any default config that names maxproxy. */
function connectedTools(connections: Connections, d: DoctorEnv): Found[] {
  const out: Found[] = [];
  for (const id of CLIENTS) {
    const remembered = connections[id]?.config;
    if (remembered) out.push({ id, file: remembered, remembered: true });
    else {
      const file = FORMATS[id].defaultPath(d.env, d.home);
      try {
        if (FORMATS[id].inspect(fs.readFileSync(file, 'utf8'), file)) out.push({ id, file, remembered: false });
      } catch {
        /* not there, or not ours */
      }
    }
  }
  return out;
}

export function checkClients(config: Config, connections: Connections, state: DaemonState, d: DoctorEnv): CheckResult[] {
  const tools = connectedTools(connections, d);
  if (tools.length === 0) return [skip('clients', 'Connected tools', `none; connect one with \`maxproxy connect ${CLIENTS.join('|')}\``)];
  const expected = state.url ?? configuredUrl(config);
  return tools.map(({ id, file }) => {
    const f = FORMATS[id];
    const title = `${f.title} config`;
    const again = `run \`maxproxy connect ${id}${connections[id]?.config && connections[id]?.config !== f.defaultPath(d.env, d.home) ? ` --config ${file}` : ''}\``;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return fail(`client-${id}`, title, `${file} is gone`, again);
    }
    let view: ReturnType<typeof f.inspect>;
    try {
      view = f.inspect(text, file);
    } catch (e) {
      return fail(`client-${id}`, title, (e as Error).message, `fix ${file} at that line (${f.title} cannot read it either), then ${again}`);
    }
    if (!view) return fail(`client-${id}`, title, `${file} has no "${PROVIDER}" provider any more`, again);
    if (view.root !== expected) {
      return fail(
        `client-${id}`,
        title,
        `${file} points at ${view.baseUrl ?? 'no URL'}, but maxproxy ${state.url ? 'answers' : 'will listen'} at ${expected}`,
        again,
      );
    }
    const unknown = view.models.filter((m) => !(state.served?.includes(m) ?? false) && !isServed(config, m));
    if (unknown.length) return fail(`client-${id}`, title, `${file} lists models maxproxy does not serve: ${unknown.join(', ')}`, again);
    return pass(
      `client-${id}`,
      title,
      `${file} → ${view.baseUrl}, ${view.models.length} model${view.models.length === 1 ? '' : 's'}${view.defaultModel ? `, default ${PROVIDER}/${view.defaultModel}` : ''}`,
    );
  });
}

/** One short real turn through the daemon (Chat Completions, the cheapest model). */
export async function checkRoundTrip(config: Config, state: DaemonState, offline: boolean): Promise<CheckResult> {
  const title = 'Round trip';
  if (offline) return skip('round-trip', title, 'skipped (--offline)');
  if (!state.url) return fail('round-trip', title, 'not tried: maxproxy is not running', 'start it: `maxproxy`');
  const model = state.served?.includes('haiku') ? 'haiku' : (state.served?.[0] ?? 'haiku');
  const started = Date.now();
  try {
    const r = await fetch(`${state.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(config.apiKey) },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Reply with the single word OK.' }] }),
      signal: AbortSignal.timeout(180_000),
    });
    const body = (await r.json().catch(() => ({}))) as { choices?: Array<{ message?: { content?: string } }>; error?: { message?: string } };
    if (!r.ok) {
      const why = body.error?.message ?? `HTTP ${r.status}`;
      const fix =
        r.status === 401
          ? config.apiKey
            ? 'run `maxproxy login` (Claude Code is not logged in), or check --api-key'
            : 'run `maxproxy login`'
          : r.status === 429
            ? 'a subscription limit is reached: wait for the reset (`maxproxy status` shows when)'
            : r.status === 402
              ? 'your plan needs extra usage for this; see claude.ai settings'
              : 'see `<data-dir>/logs/maxproxy.log` for this request';
      return fail('round-trip', title, `${model}: ${r.status} ${why}`, fix);
    }
    const text = body.choices?.[0]?.message?.content ?? '';
    return pass('round-trip', title, `${model} answered ${JSON.stringify(text.slice(0, 40))} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    return fail('round-trip', title, `${model}: ${(e as Error).message}`, 'see `<data-dir>/logs/maxproxy.log`');
  }
}
