import type { StatusStore } from '../status/store.js';
import type { ExtraUsageInfo } from '../status/types.js';
import type { TurnError } from '../turn/types.js';
import type { CurrentShares } from './reader.js';

/** The limits a client key carries (src/keys/key-store.ts KeyInfo fits). */
export interface KeyBudgets {
  name: string;
  budgetPercent?: number;
  weeklyBudgetPercent?: number;
}

export type ExtraUsagePolicy = 'refuse' | 'notify' | 'allow';
export const EXTRA_USAGE_POLICIES: readonly ExtraUsagePolicy[] = ['refuse', 'notify', 'allow'];

export interface AdmissionOptions {
  status: StatusStore;
  shares: () => CurrentShares;
  policy: () => ExtraUsagePolicy;
  /** Percent of the 5-hour window, by client name in any case. */
  budgets: () => Record<string, number>;
  now?: () => number;
}

const windowWords = (w: string | undefined): string =>
  w === 'five_hour' ? '5-hour' : w === 'seven_day' ? 'weekly' : w ? w.replace(/^seven_day/, '7-day').replace(/_/g, ' ') : 'usage';

const at = (epochS: number): string => new Date(epochS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Extra usage as the status store last heard of it, while its window has not reset. */
export function activeExtraUsage(x: ExtraUsageInfo | undefined, nowMs: number): ExtraUsageInfo | undefined {
  if (!x) return undefined;
  if (x.resetsAt !== undefined && x.resetsAt * 1000 <= nowMs) return undefined;
  return x;
}

/**
 * Decides, before a turn starts, whether it may run: the extra-usage policy (refuse by
 * default while Claude Code reports answers billed as extra usage) and per-client
 * budgets of the current 5-hour window. A refusal is a 429 with retry-after until the
 * window resets, which every wire format encodes in its own error shape.
 */
export class Admission {
  private readonly now: () => number;

  constructor(private readonly o: AdmissionOptions) {
    this.now = o.now ?? Date.now;
  }

  check(client: string, key?: KeyBudgets): TurnError | undefined {
    const now = this.now();
    const extra = activeExtraUsage(this.o.status.usageStatus().extraUsage, now);
    if (extra && this.o.policy() === 'refuse') {
      const name = windowWords(extra.window);
      const retry = extra.resetsAt ? Math.max(1, Math.ceil(extra.resetsAt - now / 1000)) : 300;
      const reset = extra.resetsAt ? `resets at ${at(extra.resetsAt)}` : 'reset time unknown';
      return {
        kind: 'rate_limit',
        code: 'extra_usage_refused',
        retryAfterSeconds: retry,
        message:
          `Your Claude plan's ${name} limit is used up (${reset}) and Claude Code reports that answers are now billed as extra usage; ` +
          `maxproxy refuses them. To allow extra usage, start maxproxy with --extra-usage allow (or notify), set MAXPROXY_EXTRA_USAGE=allow ` +
          `or "extraUsage": "allow" in settings.json, or check "Allow extra usage" in the tray menu.`,
      };
    }
    if (key) return this.keyBudget(client, key, now);
    const budgets = this.o.budgets();
    const names = Object.keys(budgets);
    if (!names.length) return undefined;
    const budgetKey = names.find((n) => n.toLowerCase() === client.toLowerCase());
    if (budgetKey === undefined) return undefined;
    return this.overBudget(client, 'fiveHour', budgets[budgetKey], now, `--client-budget ${budgetKey}=${budgets[budgetKey]}`);
  }

  /** A client key's own budgets (docs/decisions/090): its name is the client, whatever its User-Agent says. */
  private keyBudget(client: string, key: KeyBudgets, now: number): TurnError | undefined {
    if (key.budgetPercent !== undefined) {
      const r = this.overBudget(client, 'fiveHour', key.budgetPercent, now, `key ${key.name}, --budget ${key.budgetPercent}`);
      if (r) return r;
    }
    if (key.weeklyBudgetPercent !== undefined) {
      return this.overBudget(client, 'weekly', key.weeklyBudgetPercent, now, `key ${key.name}, --weekly-budget ${key.weeklyBudgetPercent}`);
    }
    return undefined;
  }

  private overBudget(client: string, window: 'fiveHour' | 'weekly', budget: number, now: number, source: string): TurnError | undefined {
    const shares = this.o.shares();
    const resetsAt = shares[window].resetsAt;
    if (resetsAt === undefined || resetsAt * 1000 <= now) return undefined;
    const mine = shares.clients.find((c) => c.client.toLowerCase() === client.toLowerCase());
    const used = (mine?.[window] ?? 0) * 100;
    if (used <= budget + 1e-9) return undefined;
    const name = window === 'fiveHour' ? '5-hour' : 'weekly';
    return {
      kind: 'rate_limit',
      code: 'client_budget_exceeded',
      retryAfterSeconds: Math.max(1, Math.ceil(resetsAt - now / 1000)),
      message:
        `${mine?.client ?? client} has used ${used.toFixed(1)}% of the current ${name} window, over its budget of ${budget}% ` +
        `(${source}); the window resets at ${at(resetsAt)}. Other clients are not affected.`,
    };
  }
}

/**
 * Tells the user once per window that answers are billed as extra usage (policies refuse
 * and notify; allow only records). Watches the status store.
 */
export function watchExtraUsage(status: StatusStore, policy: () => ExtraUsagePolicy, now: () => number = Date.now): () => void {
  const told = new Set<string>();
  const onChange = () => {
    const p = policy();
    if (p === 'allow') return;
    const x = activeExtraUsage(status.usageStatus().extraUsage, now());
    if (!x) return;
    const key = `${x.window ?? ''}:${x.resetsAt ?? ''}`;
    if (told.has(key)) return;
    told.add(key);
    status.notify({ kind: 'extra-usage', policy: p, window: windowWords(x.window), resetsAt: x.resetsAt });
  };
  status.on('change', onChange);
  return () => status.off('change', onChange);
}
