/**
 * The settings the dashboard edits: the tray's (port, notifications, start at login,
 * warning thresholds) and every other key in this list the settings schema knows
 * (the usage ledger's extra-usage policy and client budgets). Values are checked
 * against the same JSON Schema the settings file is validated with (settingsSchema,
 * ajv, as conf does) before anything changes; then each one is applied the way the
 * tray applies it (its own action where the tray has one) and persisted through the
 * SettingsStore, whose own checks run once more.
 *
 * Not editable from a browser, on purpose: the API key, the bind host, allowed
 * origins and hosts (the security boundary the page itself sits behind) and the Claude
 * Code path (an executable to run).
 */
import { Ajv } from 'ajv';
import type { Config } from '../config/defaults.js';
import { type Settings, type SettingsStore, settingsSchema } from '../config/settings.js';

/** How the page shows a key beyond what its schema says. */
export interface FieldMeta {
  key: string;
  label: string;
  help: string;
  /** Numbers 0..1 shown and typed as percent. */
  percent?: boolean;
  /** Labels for an object's properties. */
  propertyLabels?: Record<string, string>;
  /** Header of the name column of a name → value map. */
  mapKeyLabel?: string;
  mapValueLabel?: string;
}

/** Order = order on the page. Keys the schema does not have (yet) are left out. */
export const FIELDS: FieldMeta[] = [
  { key: 'port', label: 'Port', help: 'The daemon moves to the new port at once (a port in use is refused and the old one kept); clients must follow.' },
  { key: 'notifications', label: 'Notifications', help: 'Desktop notifications for usage warnings, errors and port conflicts.' },
  { key: 'startAtLogin', label: 'Start at login', help: 'Registers maxproxy as a login item (systemd user unit, XDG autostart or launchd).' },
  {
    key: 'thresholds',
    label: 'Usage warning thresholds',
    help: 'Share of a usage window at which the tray, notifications and this page warn.',
    percent: true,
    propertyLabels: { warn: 'Warn at', critical: 'Nearly used up at' },
  },
  {
    key: 'extraUsage',
    label: 'Extra usage',
    help: 'What happens when Claude Code reports that answers are billed as extra usage: refuse new turns, let them through and notify, or allow.',
  },
  {
    key: 'clientBudgets',
    label: 'Client budgets',
    help: 'Percent of the 5-hour window each client may use; a client above its budget gets 429 until the window resets. Clients without a budget are unlimited.',
    mapKeyLabel: 'Client',
    mapValueLabel: 'Budget (% of 5-hour window)',
  },
  {
    key: 'requireKeys',
    label: 'Require client keys',
    help: 'Refuse model API requests that carry no client key (401 naming `maxproxy keys add`). Off: unkeyed clients work as before, named by their User-Agent.',
  },
];

export interface SettingField extends FieldMeta {
  schema: unknown;
  value: unknown;
}

/** What the tray does for the settings it has; the dashboard calls the same code. */
export interface TrayControl {
  setPort(port: number): Promise<void>;
  setNotifications(on: boolean): Promise<void>;
  setStartAtLogin(on: boolean): Promise<void>;
  /** The value the tray works with right now (start at login is read from the system). */
  current(key: 'port' | 'notifications' | 'startAtLogin'): unknown;
  /** Re-renders the menu after a change it did not make itself. */
  refresh(): void;
}

export class SettingError extends Error {
  constructor(
    readonly key: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Schemas = Record<string, unknown>;

export class SettingsControl {
  private readonly validators = new Map<string, (v: unknown) => string | undefined>();
  private tray?: TrayControl;
  /** Told after a key was persisted through the generic path (the daemon republishes what depends on it). */
  changed?: (key: string) => void;

  constructor(
    private readonly config: Config,
    private readonly settings: SettingsStore,
    private readonly movePort: (port: number) => Promise<void>,
    /** Keys the daemon applies itself (the extra-usage policy, as the tray's toggle does); they persist on their own. */
    private readonly appliers: Record<string, (value: unknown) => void> = {},
    private readonly schemas: Schemas = settingsSchema as Schemas,
  ) {
    const ajv = new Ajv({ allErrors: true });
    for (const f of this.fields()) {
      const check = ajv.compile({ type: 'object', properties: { [f.key]: this.schemas[f.key] }, required: [f.key] } as object);
      this.validators.set(f.key, (v) => {
        if (check({ [f.key]: v })) return undefined;
        return (check.errors ?? []).map((e) => `\`${f.key}${e.instancePath.replace(`/${f.key}`, '')}\` ${e.message}`).join('; ');
      });
    }
  }

  /** The tray registers itself once the desktop side is up (headless runs have it too, without an icon). */
  attach(tray: TrayControl | undefined): void {
    this.tray = tray;
  }

  fields(): FieldMeta[] {
    return FIELDS.filter((f) => f.key in this.schemas);
  }

  /** Each editable key with its schema and the value in effect. */
  list(): SettingField[] {
    return this.fields().map((f) => ({ ...f, schema: this.schemas[f.key], value: this.value(f.key) }));
  }

  value(key: string): unknown {
    if (this.tray && (key === 'port' || key === 'notifications' || key === 'startAtLogin')) return this.tray.current(key);
    return (this.config as unknown as Record<string, unknown>)[key];
  }

  /** Why `value` is not acceptable for `key`; undefined when it is. */
  validate(key: string, value: unknown): string | undefined {
    const v = this.validators.get(key);
    if (!v) return `\`${key}\` cannot be changed from the dashboard`;
    const bad = v(value);
    if (bad) return /thresholds/.test(bad) ? `${bad} (thresholds are fractions: 0.75 means 75%)` : bad;
    if (key === 'port' && value === 0) return '`port` must be between 1 and 65535 (0, "any free port", is for the command line)';
    if (key === 'thresholds') {
      const t = value as { warn: number; critical: number };
      if (t.warn > t.critical) return `\`thresholds\`: warn (${t.warn}) must not be above critical (${t.critical})`;
    }
    return undefined;
  }

  /**
   * Checks every value first (nothing changes if one is bad), then applies them in
   * page order. A failure while applying (a port in use) stops there and says which.
   */
  async apply(patch: Record<string, unknown>): Promise<string[]> {
    const keys = Object.keys(patch);
    for (const k of keys) {
      const why = this.validate(k, patch[k]);
      if (why) throw new SettingError(k, why);
    }
    const changed: string[] = [];
    for (const f of this.fields()) {
      if (!(f.key in patch)) continue;
      const v = patch[f.key];
      if (JSON.stringify(this.value(f.key)) === JSON.stringify(v)) continue;
      await this.applyOne(f.key, v);
      changed.push(f.key);
    }
    if (changed.length) this.tray?.refresh();
    return changed;
  }

  private async applyOne(key: string, v: unknown): Promise<void> {
    const tray = this.tray;
    switch (key) {
      case 'port': {
        const port = v as number;
        if (tray) await tray.setPort(port);
        else {
          await this.movePort(port).catch((e: NodeJS.ErrnoException) => {
            throw new SettingError('port', e.code === 'EADDRINUSE' ? `port ${port} is already in use; kept the old one` : e.message, 409);
          });
          this.config.port = port;
        }
        if (this.value('port') !== port)
          throw new SettingError('port', `port ${port} could not be used (in use?); kept port ${String(this.value('port'))}`, 409);
        return;
      }
      case 'notifications':
        if (tray) return tray.setNotifications(v as boolean);
        break;
      case 'startAtLogin':
        if (tray) {
          await tray.setStartAtLogin(v as boolean);
          if (tray.current('startAtLogin') !== v) throw new SettingError('startAtLogin', 'start at login could not be changed; see the log', 500);
          return;
        }
        break;
    }
    // Everything else (and the above without a tray): persist, then the running config
    // follows, which is what its readers (alerts, admission, the ledger) look at per use.
    const own = this.appliers[key];
    if (own) return own(structuredClone(v));
    try {
      this.settings.set(key as keyof Settings, v as never);
    } catch (e) {
      throw new SettingError(key, (e as Error).message, this.settings.error ? 409 : 400);
    }
    (this.config as unknown as Record<string, unknown>)[key] = structuredClone(v);
    this.changed?.(key);
  }
}
