#!/usr/bin/env -S node --max-semi-space-size=2
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { envOverrides, parseFlags, usage } from './config/flags.js';
import { resolveConfig } from './config/resolve.js';
import { startDaemon } from './daemon.js';
import { createLogger, loadPretty } from './log/logger.js';

const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')) as { version: string };

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (e) {
    process.stderr.write(`maxproxy: ${(e as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if (parsed.command === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (parsed.command === 'version') {
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  let resolved: ReturnType<typeof resolveConfig>;
  try {
    resolved = resolveConfig(parsed.overrides, envOverrides(process.env));
  } catch (e) {
    process.stderr.write(`maxproxy: ${(e as Error).message}\n`);
    return 2;
  }
  const { config, settings, warnings } = resolved;
  if (parsed.command === 'status' || parsed.command === 'sessions') {
    const { printStatus } = await import('./cli/status-command.js');
    return printStatus(parsed.command, config);
  }
  if (parsed.command === 'usage') {
    const { usageCommand } = await import('./cli/usage-command.js');
    return usageCommand(parsed.usage, config);
  }
  if (parsed.command === 'login') {
    // The bundled (or --claude-path) Claude Code's own interactive login, in this terminal.
    const { findClaude } = await import('./engine/claude-binary.js');
    const { spawnSync } = await import('node:child_process');
    const bin = findClaude(config.claudePath || undefined);
    const r = spawnSync(bin.path, ['auth', 'login', ...parsed.args], { stdio: 'inherit' });
    return r.status ?? 1;
  }
  if (parsed.command === 'login-item') {
    const { loginItemCommand } = await import('./cli/login-item-command.js');
    return loginItemCommand(parsed.args, config);
  }
  if (parsed.command === 'connect') {
    const { connectCommand } = await import('./cli/connect/connect-command.js');
    return connectCommand(parsed.args, parsed.commandFlags, { config, settings });
  }
  if (parsed.command === 'keys') {
    const { keysCommand } = await import('./cli/keys-command.js');
    return keysCommand(parsed.args, parsed.commandFlags, config);
  }
  if (parsed.command === 'doctor') {
    const { doctorCommand } = await import('./cli/doctor/doctor-command.js');
    return doctorCommand(parsed.commandFlags, { config, settings });
  }
  if (parsed.command !== 'serve') {
    process.stderr.write(`maxproxy: unknown command "${parsed.command}"\n\n${usage}\n`);
    return 2;
  }

  try {
    const { checkBindNeedsKey } = await import('./config/bind-address.js');
    await checkBindNeedsKey(config.host, config.apiKey);
  } catch (e) {
    process.stderr.write(`maxproxy: ${(e as Error).message}\n`);
    return 2;
  }
  // Everything in the data dir can hold prompts or state: this user's only (the CLI inherits the umask).
  process.umask(0o077);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const { tightenDataDir } = await import('./config/private-files.js');
  tightenDataDir(config.dataDir);
  if (process.stderr.isTTY) await loadPretty();
  const log = createLogger({ level: config.logLevel, dir: path.join(config.dataDir, 'logs') });
  for (const w of warnings) log.warn(w);

  const { acquireInstanceLock } = await import('./cli/instance-lock.js');
  const lock = await acquireInstanceLock(config.dataDir);
  if (!lock.ok) {
    process.stderr.write(`maxproxy is already running for ${config.dataDir} (pid ${lock.pid}) at ${lock.url ?? 'an unknown address'}\n`);
    return 1;
  }

  // Signal handlers first: a SIGTERM arriving while we start must still clean up.
  let daemon: Awaited<ReturnType<typeof startDaemon>> | undefined;
  let desktop: { stop(): Promise<void> } | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Drain first (the tray still shows "Stopping…"), then take the tray down.
    await daemon?.shutdown(signal).catch((e: Error) => log.error({ err: e.message }, 'shutdown'));
    await desktop?.stop().catch(() => undefined);
    lock.release();
    log.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => void stop('SIGHUP'));

  try {
    daemon = await startDaemon(config, settings, log, pkg.version);
  } catch (e) {
    log.fatal({ err: (e as Error).message }, 'could not start');
    process.stderr.write(`maxproxy: ${(e as Error).message}\n`);
    lock.release();
    return 1;
  }
  process.stdout.write(`maxproxy listening on ${daemon.url}\n`);
  log.info({ url: daemon.url, dataDir: config.dataDir }, 'listening');
  lock.update({ url: daemon.url });

  const { hasDisplay, startDesktop } = await import('./desktop/desktop-app.js');
  const withTray = !config.headless && hasDisplay();
  if (!config.headless && !withTray) log.info('no display found; running headless');
  const onPortMoved = (url: string, notifier: import('./desktop/notifier.js').Notifier) => {
    lock.update({ url });
    const connections = settings.get().connections;
    if (connections) void import('./cli/connect/port-moved.js').then((m) => m.offerClientUpdate(url, connections, notifier, log));
  };
  desktop = await startDesktop(daemon, config, settings, log, { tray: withTray, onPortMoved });
  if (stopping) return -1;
  return -1; // keep running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e) => {
    process.stderr.write(`maxproxy: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
