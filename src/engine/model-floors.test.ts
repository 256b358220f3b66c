import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { StatusStore } from '../status/store.js';
import { floorsAbove, MODEL_FLOORS_FILE, type ModelFloor, readModelFloors, recordModelFloor, stillBelow, watchModelFloors } from './model-floors.js';

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-floors-'));
const floor = (p: Partial<ModelFloor>): ModelFloor => ({ model: 'claude-opus-9-9', required: '2.2.0', cliVersion: '2.1.330', seenAt: 1000, ...p });

describe('model floors', () => {
  it('a CLI is below a floor until it reaches the required version (numeric, not text, order)', () => {
    expect(stillBelow(floor({}), '2.1.330')).toBe(true);
    expect(stillBelow(floor({}), '2.2.0')).toBe(false);
    expect(stillBelow(floor({}), '2.10.1')).toBe(false);
    expect(stillBelow(floor({ required: '2.10.0' }), '2.9.99')).toBe(true);
    // A version string with a suffix, as `claude --version` may print one.
    expect(stillBelow(floor({}), '2.2.1 (Claude Code)')).toBe(false);
  });

  it('with no required version named, only the refused CLI version counts as below', () => {
    expect(stillBelow(floor({ required: undefined }), '2.1.330')).toBe(true);
    expect(stillBelow(floor({ required: undefined }), '2.1.331')).toBe(false);
  });

  it('keeps one entry per model (the latest), newest first, and reads a damaged file as empty', () => {
    const d = dir();
    recordModelFloor(d, floor({ seenAt: 1 }));
    recordModelFloor(d, floor({ model: 'claude-sonnet-9', seenAt: 2 }));
    recordModelFloor(d, floor({ seenAt: 3, required: '2.3.0' }));
    const all = readModelFloors(d);
    expect(all).toHaveLength(2);
    expect(floorsAbove(all, '2.1.330').map((f) => [f.model, f.required])).toEqual([
      ['claude-opus-9-9', '2.3.0'],
      ['claude-sonnet-9', '2.2.0'],
    ]);
    expect(floorsAbove(all, '2.2.5').map((f) => f.model)).toEqual(['claude-opus-9-9']);
    expect((fs.statSync(path.join(d, MODEL_FLOORS_FILE)).mode & 0o777).toString(8)).toBe('600');
    fs.writeFileSync(path.join(d, MODEL_FLOORS_FILE), '{not json');
    expect(readModelFloors(d)).toEqual([]);
  });

  it('warns at start for floors the CLI is still below, and records and warns on a new refusal', () => {
    const d = dir();
    recordModelFloor(d, floor({ model: 'old-refusal', required: '2.0.0' })); // already met: no warning
    recordModelFloor(d, floor({ model: 'still-needed' }));
    const status = new StatusStore('test');
    const stop = watchModelFloors(status, d, '2.1.330', silentLogger());
    expect(status.snapshot().warnings.map((w) => w.id)).toEqual(['model-floor:still-needed']);
    expect(status.snapshot().warnings[0].message).toMatch(/still-needed needs Claude Code 2\.2\.0 or newer \(maxproxy runs 2\.1\.330\).*--claude-path/);

    status.notify({ kind: 'model-needs-newer-cli', model: 'claude-opus-9-9', required: '2.4.0', cliVersion: '2.1.330' });
    expect(
      status
        .snapshot()
        .warnings.map((w) => w.id)
        .sort(),
    ).toEqual(['model-floor:claude-opus-9-9', 'model-floor:still-needed']);
    expect(readModelFloors(d).find((f) => f.model === 'claude-opus-9-9')?.required).toBe('2.4.0');
    stop();
  });
});
