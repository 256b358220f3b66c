import { TurnFailure } from '../turn/types.js';

export interface ModelInfo {
  id: string;
  displayName: string;
  /** What is passed to the CLI's --model (aliases stay aliases: the CLI resolves them itself). */
  cliModel: string;
}

/** Current models known to the pinned CLI (2.1.330), newest first. */
export const BUILTIN_MODELS: Array<[string, string]> = [
  ['claude-opus-5-5', 'Claude Opus 5.5'],
  ['claude-sonnet-5-5', 'Claude Sonnet 5.5'],
  ['claude-haiku-5-5', 'Claude Haiku 5.5'],
  ['claude-opus-5', 'Claude Opus 5'],
  ['claude-sonnet-5', 'Claude Sonnet 5'],
  ['claude-opus-4-8', 'Claude Opus 4.8'],
  ['claude-opus-4-7', 'Claude Opus 4.7'],
  ['claude-opus-4-6', 'Claude Opus 4.6'],
  ['claude-sonnet-4-6', 'Claude Sonnet 4.6'],
  ['claude-opus-4-5', 'Claude Opus 4.5'],
  ['claude-sonnet-4-5', 'Claude Sonnet 4.5'],
  ['claude-haiku-4-5', 'Claude Haiku 4.5'],
];

/** The CLI's own aliases: it maps them to its current default of each family. */
export const CLI_ALIASES = ['opus', 'sonnet', 'haiku'];

/** A dated or future Claude id the list does not know yet; passed through and judged by upstream. */
const CLAUDE_ID = /^claude-(opus|sonnet|haiku)-\d[a-z0-9-]*(\[1m\])?$/;

/**
 * Which model names are served. Unknown names are a 404, never quietly mapped to
 * another model. `extra` (settings/flags) adds aliases: name -> model id.
 */
export class ModelRegistry {
  private readonly byId = new Map<string, ModelInfo>();

  constructor(extra: Record<string, string> = {}) {
    for (const [id, displayName] of BUILTIN_MODELS) this.byId.set(id, { id, displayName, cliModel: id });
    for (const a of CLI_ALIASES) this.byId.set(a, { id: a, displayName: `${a[0].toUpperCase()}${a.slice(1)} (latest, chosen by Claude Code)`, cliModel: a });
    for (const [name, target] of Object.entries(extra)) this.byId.set(name, { id: name, displayName: `${name} → ${target}`, cliModel: target });
  }

  list(): ModelInfo[] {
    return [...this.byId.values()];
  }

  resolve(name: unknown): ModelInfo {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new TurnFailure({ kind: 'invalid_request', param: 'model', message: 'model is required' });
    }
    const known = this.byId.get(name);
    if (known) return known;
    if (CLAUDE_ID.test(name)) return { id: name, displayName: name, cliModel: name };
    throw new TurnFailure({
      kind: 'not_found',
      code: 'model_not_found',
      param: 'model',
      message: `The model '${name}' does not exist or is not served by maxproxy. Available: ${[...this.byId.keys()].join(', ')}`,
    });
  }
}
