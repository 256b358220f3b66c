import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneTranscripts } from './transcript-retention.js';

describe('pruneTranscripts', () => {
  it('removes transcripts (and their session folders) not touched for the retention period, keeps the rest', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-ret-'));
    const now = Date.now();
    const write = (name: string, ageDays: number) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, '{}\n');
      const t = new Date(now - ageDays * 86_400_000);
      fs.utimesSync(f, t, t);
    };
    write('old.jsonl', 31);
    fs.mkdirSync(path.join(dir, 'old', 'tool-results'), { recursive: true });
    write('new.jsonl', 29);
    write('notes.txt', 100);
    expect(pruneTranscripts(dir, 30, now)).toBe(1);
    expect(fs.readdirSync(dir).sort()).toEqual(['new.jsonl', 'notes.txt']);
    expect(pruneTranscripts(dir, 0, now + 1000 * 86_400_000)).toBe(0);
    expect(pruneTranscripts(path.join(dir, 'missing'), 30, now)).toBe(0);
  });
});
