/**
 * `maxproxy keys add|list|revoke|rotate`: named client keys in <data-dir>/keys.json
 * (src/keys/key-store.ts). A new or rotated key is printed once, on stdout only; the file
 * keeps its hash. A running daemon sees each change on its next request.
 */
import type { Config } from '../config/defaults.js';
import type { CommandFlags } from '../config/flags.js';
import { checkPercent, KeyError, type KeyInfo, type KeyOptions, KeyStore, parseExpiry } from '../keys/key-store.js';
import { Ledger } from '../usage/ledger.js';
import type { Output } from './status-command.js';

const stdio: Output = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

const USAGE = `usage: maxproxy keys add NAME [--budget PCT] [--weekly-budget PCT] [--models ID,ID] [--expires DATE]
       maxproxy keys list [--json]
       maxproxy keys revoke NAME
       maxproxy keys rotate NAME`;

function percentFlag(label: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v.trim().replace(/%$/, '');
  if (!/^\d+(\.\d+)?$/.test(t)) throw new KeyError(`${label} takes a percent from 0 to 100, got "${v}"`);
  return checkPercent(label, Number(t));
}

export function keyOptions(flags: CommandFlags, now = Date.now()): KeyOptions {
  const models = flags.models
    ?.split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  if (flags.models !== undefined && !models?.length) throw new KeyError('--models takes a comma-separated list of model ids, e.g. sonnet,haiku');
  return {
    budgetPercent: percentFlag('--budget', flags.budget),
    weeklyBudgetPercent: percentFlag('--weekly-budget', flags.weeklyBudget),
    models,
    expiresAt: flags.expires === undefined ? undefined : parseExpiry(flags.expires, now),
  };
}

export const describeLimits = (k: KeyInfo): string => {
  const parts = [
    k.budgetPercent !== undefined ? `${k.budgetPercent}% of the 5-hour window` : undefined,
    k.weeklyBudgetPercent !== undefined ? `${k.weeklyBudgetPercent}% of the week` : undefined,
    k.models?.length ? `models ${k.models.join(', ')}` : undefined,
    k.expiresAt !== undefined ? `expires ${new Date(k.expiresAt).toISOString()}` : undefined,
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'no limits';
};

function printNewKey(io: Output, verb: string, key: string, k: KeyInfo): void {
  io.out(
    `${verb} the client key "${k.name}" (${describeLimits(k)}):\n\n  ${key}\n\n` +
      'It is shown this once; maxproxy keeps only its hash. Give it to the client as its API key\n' +
      '(Authorization: Bearer, or x-api-key); `maxproxy connect <tool>` does that for OpenClaw, opencode and Codex.\n',
  );
}

const state = (k: KeyInfo, now: number) => (k.revokedAt !== undefined ? 'revoked' : k.expiresAt !== undefined && k.expiresAt <= now ? 'expired' : 'active');
const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);

export async function keysCommand(args: string[], flags: CommandFlags, config: Config, io: Output = stdio, now = Date.now()): Promise<number> {
  const [sub, name, ...rest] = args;
  if (!sub || !['add', 'list', 'revoke', 'rotate'].includes(sub) || rest.length || (sub !== 'list' && !name) || (sub === 'list' && name)) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  const store = new KeyStore(config.dataDir);
  try {
    if (sub === 'add') {
      const { key, info } = store.add(name, keyOptions(flags, now), now);
      printNewKey(io, 'Made', key, info);
      return 0;
    }
    if (sub === 'rotate') {
      const { key, info } = store.rotate(name, now);
      printNewKey(io, 'Rotated', key, info);
      io.out('The previous key no longer works.\n');
      return 0;
    }
    if (sub === 'revoke') {
      const k = store.revoke(name, now);
      io.out(`Revoked the client key "${k.name}": requests carrying it get 401 from now on, live conversations included.\n`);
      return 0;
    }
    if (store.error) throw new KeyError(store.error);
    const keys = store.list();
    const shares = new Ledger({ dataDir: config.dataDir, retentionDays: config.usageRetentionDays, readOnly: true, budgets: () => ({}) }).sharesSync();
    const usage = (n: string) => shares.clients.find((c) => c.client.toLowerCase() === n.toLowerCase());
    const rows = keys.map((k) => ({
      ...k,
      state: state(k, now),
      usage: { turns: usage(k.name)?.turns ?? 0, fiveHour: usage(k.name)?.fiveHour ?? 0, weekly: usage(k.name)?.weekly ?? 0 },
    }));
    if (flags.json) {
      io.out(`${JSON.stringify({ keys: rows }, null, 2)}\n`);
      return 0;
    }
    if (!rows.length) {
      io.out('No client keys yet: make one with `maxproxy keys add NAME`.\n');
      return 0;
    }
    const head = ['NAME', 'STATE', 'CREATED', 'TURNS', '5H SHARE', 'WEEK SHARE', 'LIMITS'];
    const table = rows.map((r) => [
      r.name,
      r.state,
      new Date(r.createdAt).toISOString().slice(0, 10),
      String(r.usage.turns),
      pct(r.usage.fiveHour),
      pct(r.usage.weekly),
      describeLimits(r),
    ]);
    const all = [head, ...table];
    const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
    io.out(
      `${all
        .map((r) =>
          r
            .map((c, i) => c.padEnd(widths[i]))
            .join('  ')
            .trimEnd(),
        )
        .join('\n')}\n`,
    );
    return 0;
  } catch (e) {
    if (!(e instanceof KeyError)) throw e;
    io.err(`maxproxy: ${e.message}\n`);
    return 1;
  }
}
