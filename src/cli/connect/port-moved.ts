/**
 * After the tray moved the port: the tools connected before still call the old one. The
 * user is told which, and how to update them (`maxproxy connect` rewrites every remembered
 * tool); their files are never rewritten without being asked.
 */
import fs from 'node:fs';
import type { Connections } from '../../config/settings.js';
import type { Notifier } from '../../desktop/notifier.js';
import type { Logger } from '../../log/logger.js';
import { FORMATS } from './formats.js';
import type { ClientFormat, ClientId } from './types.js';

/** Connected tools whose config does not point at `url` (unreadable ones count: they need attention too). */
export function staleConnections(connections: Connections, url: string): ClientFormat[] {
  const out: ClientFormat[] = [];
  for (const [id, c] of Object.entries(connections) as Array<[ClientId, { config: string }]>) {
    const f = FORMATS[id];
    if (!f || !c) continue;
    try {
      if (f.inspect(fs.readFileSync(c.config, 'utf8'), c.config)?.root !== url) out.push(f);
    } catch {
      out.push(f);
    }
  }
  return out;
}

export function offerClientUpdate(url: string, connections: Connections, notifier: Notifier, log: Logger): void {
  const stale = staleConnections(connections, url);
  if (stale.length === 0) return;
  const names = stale.map((f) => f.title).join(', ');
  log.warn({ url, clients: stale.map((f) => f.id) }, 'connected tools still point at the old port');
  notifier.notify('clients-port', `Update ${names}?`, `maxproxy now listens at ${url}. Run \`maxproxy connect\` to point ${names} at it.`);
}
