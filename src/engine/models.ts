import { TurnFailure } from '../turn/types.js';

export interface ModelInfo {
  id: string;
  displayName: string;
  /** What is passed to the CLI's --model (aliases stay aliases: the CLI resolves them itself). */
  cliModel: string;
}

/** One row of the CLI's own model list (the Agent SDK's `supportedModels()`; fields read loosely: wire data). */
export interface CliModelInfo {
  value: string;
  resolvedModel?: string;
  displayName?: string;
  description?: string;
  supportsEffort?: boolean;
  supportedEffortLevels?: string[];
  supportsAdaptiveThinking?: boolean;
  supportsThinkingOff?: boolean;
}

/** The CLI's family aliases: it maps them to its current default of each family. */
export const CLI_ALIASES = ['opus', 'sonnet', 'haiku'];

/** A dated or future Claude id the list does not know yet; passed through and judged by upstream. */
const CLAUDE_ID = /^claude-[a-z]+-\d[a-z0-9-]*(\[1m\])?$/;

/**
 * Dotted spellings (claude-opus-4.6, claude-sonnet-4.5, copied from docs such as
 * OpenClaw's) are the same models as the dashed ids the API uses.
 */
export function undot(name: string): string {
  return name.startsWith('claude-') ? name.replace(/(\d)\.(\d)/g, '$1-$2') : name;
}

/** "Opus 5.5 · Best for …" → "Opus 5.5". */
const leadingName = (description: string | undefined): string | undefined => description?.split(' · ')[0]?.trim() || undefined;

/**
 * Which model names are served: what the pinned Claude Code reports it can use
 * (`load()`, at start-up), its aliases, and the user's configured aliases. Unknown names
 * are a 404, never quietly mapped to another model; a well-formed Claude id the list does
 * not have is passed to the CLI (the upstream judges it). `extra` (settings/flags) adds
 * aliases: name -> model id.
 */
export class ModelRegistry {
  private readonly byId = new Map<string, ModelInfo>();
  private readonly capabilities = new Map<string, CliModelInfo>();
  private loaded = false;

  constructor(private readonly extra: Record<string, string> = {}) {
    for (const a of CLI_ALIASES) this.byId.set(a, { id: a, displayName: `${a[0].toUpperCase()}${a.slice(1)} (latest, chosen by Claude Code)`, cliModel: a });
    this.addExtra();
  }

  private addExtra(): void {
    for (const [name, target] of Object.entries(this.extra)) this.byId.set(name, { id: name, displayName: `${name} → ${target}`, cliModel: undot(target) });
  }

  /** Takes the CLI's model list: each full id it resolves to, and each alias it offers. */
  load(rows: CliModelInfo[]): void {
    const ids: ModelInfo[] = [];
    const aliases: ModelInfo[] = [];
    for (const r of rows) {
      if (typeof r?.value !== 'string') continue;
      const id = r.resolvedModel ?? r.value;
      this.capabilities.set(r.value, r);
      this.capabilities.set(id, r);
      if (id.startsWith('claude-') && !ids.some((m) => m.id === id)) {
        const name = r.value === id ? r.displayName : leadingName(r.description);
        ids.push({ id, displayName: name ? `Claude ${name}` : id, cliModel: id });
      }
      // "default" is the CLI's own setting name, not a model a client would ask for.
      if (r.value !== id && r.value !== 'default')
        aliases.push({ id: r.value, displayName: `${r.displayName ?? r.value} (latest: ${leadingName(r.description) ?? id})`, cliModel: r.value });
    }
    this.byId.clear();
    for (const m of [...ids, ...aliases]) this.byId.set(m.id, m);
    for (const a of CLI_ALIASES) if (!this.byId.has(a)) this.byId.set(a, { id: a, displayName: a, cliModel: a });
    this.addExtra();
    this.loaded = true;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  list(): ModelInfo[] {
    return [...this.byId.values()];
  }

  /** What the CLI reported about a model (by the name passed to it), if it did. */
  capabilitiesOf(cliModel: string): CliModelInfo | undefined {
    return this.capabilities.get(cliModel);
  }

  resolve(name: unknown): ModelInfo {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new TurnFailure({ kind: 'invalid_request', param: 'model', message: 'model is required' });
    }
    const known = this.byId.get(name) ?? this.byId.get(undot(name));
    if (known) return known;
    const id = undot(name);
    if (CLAUDE_ID.test(id)) return { id, displayName: id, cliModel: id };
    throw new TurnFailure({
      kind: 'not_found',
      code: 'model_not_found',
      param: 'model',
      message: `The model '${name}' does not exist or is not served by maxproxy. Available: ${[...this.byId.keys()].join(', ')}`,
    });
  }
}
