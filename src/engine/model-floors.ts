/**
 * Which models the upstream refused as needing a newer Claude Code than the one in use.
 * The pinned CLI has no table of minimum versions per model (measured on 2.1.330: the
 * binary holds only the refusal's error code and wording), so the daemon learns the
 * floors from the refusals themselves and keeps them in `<data-dir>/model-floors.json`:
 * the tray warns from it after a restart and `maxproxy doctor` reads it without a daemon.
 * A floor stops mattering once the CLI in use reaches the required version.
 */
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import type { Logger } from '../log/logger.js';
import type { StatusStore } from '../status/store.js';
import { writeFileAtomicSync } from '../store/atomic-write.js';

export interface ModelFloor {
  model: string;
  /** The version the upstream named as required, when it named one. */
  required?: string;
  /** The Claude Code version that was refused. */
  cliVersion: string;
  /** Epoch ms of the latest refusal. */
  seenAt: number;
}

export const MODEL_FLOORS_FILE = 'model-floors.json';

/** True while `cliVersion` is still below the floor (with no required version: while it is the refused one). */
export function stillBelow(floor: ModelFloor, cliVersion: string): boolean {
  const have = semver.coerce(cliVersion);
  const need = floor.required !== undefined ? semver.coerce(floor.required) : null;
  if (have && need) return semver.lt(have, need);
  return floor.cliVersion === cliVersion;
}

/** The floors the given Claude Code is below, newest first. */
export function floorsAbove(floors: readonly ModelFloor[], cliVersion: string): ModelFloor[] {
  return floors.filter((f) => stillBelow(f, cliVersion)).sort((a, b) => b.seenAt - a.seenAt);
}

/** One sentence for the tray, /health and doctor. */
export function describeFloor(f: ModelFloor, cliVersion: string): string {
  return `${f.model} needs Claude Code ${f.required ? `${f.required} or newer` : 'newer than this one'} (maxproxy runs ${cliVersion})`;
}

export const UPGRADE_HINT = 'upgrade maxproxy (it bundles a newer Claude Code), or start it with --claude-path pointing at a newer `claude`';

/** The status warning id of a model's floor. */
export const floorWarningId = (model: string): string => `model-floor:${model}`;

export function readModelFloors(dataDir: string): ModelFloor[] {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dataDir, MODEL_FLOORS_FILE), 'utf8')) as unknown;
    if (!Array.isArray(raw)) return [];
    return raw.filter(
      (f): f is ModelFloor =>
        typeof f === 'object' &&
        f !== null &&
        typeof f.model === 'string' &&
        typeof f.cliVersion === 'string' &&
        typeof f.seenAt === 'number' &&
        (f.required === undefined || typeof f.required === 'string'),
    );
  } catch {
    return [];
  }
}

/** Records a refusal (one entry per model, the latest wins); the file is replaced atomically so a SIGKILL leaves the old or the new list. */
export function recordModelFloor(dataDir: string, floor: ModelFloor): ModelFloor[] {
  const floors = [...readModelFloors(dataDir).filter((f) => f.model !== floor.model), floor];
  writeFileAtomicSync(path.join(dataDir, MODEL_FLOORS_FILE), `${JSON.stringify(floors, null, 2)}\n`, { mode: 0o600 });
  return floors;
}

/**
 * Shows the known floors this Claude Code is below as tray/health warnings at start, and
 * records each new refusal the engine reports (a notice) so it survives a restart.
 */
export function watchModelFloors(status: StatusStore, dataDir: string, cliVersion: string, log: Logger): () => void {
  const show = (f: ModelFloor) =>
    status.setWarning({ id: floorWarningId(f.model), level: 'warning', message: `${describeFloor(f, cliVersion)}: ${UPGRADE_HINT}`, since: f.seenAt });
  for (const f of floorsAbove(readModelFloors(dataDir), cliVersion)) show(f);
  return status.onNotice((n) => {
    if (n.kind !== 'model-needs-newer-cli') return;
    const floor: ModelFloor = { model: n.model, required: n.required, cliVersion: n.cliVersion, seenAt: Date.now() };
    try {
      recordModelFloor(dataDir, floor);
    } catch (err) {
      log.warn({ err }, 'model floor not saved');
    }
    show(floor);
  });
}
