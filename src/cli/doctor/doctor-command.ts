/**
 * `maxproxy doctor [--json] [--offline]`: one line per link of the setup, pass or fail,
 * and on failure the exact thing to do. Exit 1 when any check fails (warnings do not).
 */
import os from 'node:os';
import type { Config } from '../../config/defaults.js';
import type { CommandFlags } from '../../config/flags.js';
import type { SettingsStore } from '../../config/settings.js';
import { checkClients, checkDaemon, checkPort, checkRoundTrip } from './daemon-checks.js';
import { checkClaude, checkDesktop, checkLogin, checkLoginItem, checkModelFloors, checkNode, checkWebFetch } from './system-checks.js';
import { type CheckResult, type DoctorEnv, execRunner } from './types.js';

export interface DoctorContext {
  config: Config;
  settings: SettingsStore;
  doctorEnv?: Partial<DoctorEnv>;
  out?: (text: string) => void;
}

export async function runChecks(config: Config, settings: SettingsStore, d: DoctorEnv, offline: boolean): Promise<CheckResult[]> {
  const results: CheckResult[] = [checkNode(d)];
  const claude = await checkClaude(config, d);
  results.push(claude.result, await checkLogin(config, claude.path, d), checkModelFloors(config, claude.version));
  const daemon = await checkDaemon(config);
  results.push(daemon.result, await checkPort(config, daemon.state));
  results.push(...(await checkDesktop(config, d)));
  results.push(await checkLoginItem(config, d));
  results.push(checkWebFetch(config));
  results.push(...checkClients(config, settings.get().connections ?? {}, daemon.state, d));
  results.push(await checkRoundTrip(config, daemon.state, offline));
  return results;
}

const MARK: Record<CheckResult['status'], string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' };

export function formatReport(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.title.length));
  const lines = results.map((r) => `${MARK[r.status]}  ${r.title.padEnd(width)}  ${r.detail}${r.fix ? `\n      fix: ${r.fix}` : ''}`);
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  lines.push(
    '',
    failed
      ? `${failed} check${failed > 1 ? 's' : ''} failed${warned ? `, ${warned} warning${warned > 1 ? 's' : ''}` : ''}.`
      : `All checks passed${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}.`,
  );
  return `${lines.join('\n')}\n`;
}

export async function doctorCommand(flags: CommandFlags, ctx: DoctorContext): Promise<number> {
  const d: DoctorEnv = {
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    nodeVersion: process.version,
    home: os.homedir(),
    run: execRunner,
    ...ctx.doctorEnv,
  };
  const out = ctx.out ?? ((t: string) => process.stdout.write(t));
  const results = await runChecks(ctx.config, ctx.settings, d, Boolean(flags.offline));
  const ok = !results.some((r) => r.status === 'fail');
  out(flags.json ? `${JSON.stringify({ ok, checks: results }, null, 2)}\n` : formatReport(results));
  return ok ? 0 : 1;
}
