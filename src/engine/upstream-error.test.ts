import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { upstreamErrorFromTranscript, upstreamMessageOf } from './upstream-error.js';

// The synthetic error entry as the pinned CLI (2.1.330) wrote it for a 400 "prompt is too long" (trimmed).
const ENTRY = {
  parentUuid: 'p1',
  type: 'assistant',
  uuid: 'a2591372-1d6e-4ed6-a6bf-c75eabe1ab25',
  message: { model: '<synthetic>', role: 'assistant', content: [{ type: 'text', text: 'Prompt is too long' }] },
  error: 'invalid_request',
  errorDetails: '400 {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 212345 tokens > 200000 maximum"}}',
  isApiErrorMessage: true,
  apiErrorStatus: 400,
};

describe('upstreamErrorFromTranscript', () => {
  it("finds the synthetic message's entry and returns the upstream's message", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'upe-')), 's.jsonl');
    fs.writeFileSync(file, `${JSON.stringify({ type: 'user', uuid: 'p1' })}\n${JSON.stringify(ENTRY)}\n`);
    expect(upstreamErrorFromTranscript(file, ENTRY.uuid)).toBe('prompt is too long: 212345 tokens > 200000 maximum');
    expect(upstreamErrorFromTranscript(file, 'other-uuid')).toBeUndefined();
    expect(upstreamErrorFromTranscript(`${file}.missing`, ENTRY.uuid)).toBeUndefined();
  });

  it('finds it at the end of a long transcript, reading only the end', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'upe-')), 's.jsonl');
    const history = Array.from({ length: 60 }, (_, i) => JSON.stringify({ type: 'user', uuid: `u${i}`, message: { content: 'x'.repeat(100_000) } }));
    fs.writeFileSync(file, `${JSON.stringify({ ...ENTRY, uuid: 'far' })}\n${history.join('\n')}\n${JSON.stringify(ENTRY)}\n`);
    expect(upstreamErrorFromTranscript(file, ENTRY.uuid)).toBe('prompt is too long: 212345 tokens > 200000 maximum');
    // An entry 6 MB from the end is out of reach: the CLI's own words stand.
    expect(upstreamErrorFromTranscript(file, 'far')).toBeUndefined();
  });

  it('reads plain-text details too', () => {
    expect(upstreamMessageOf('529 Overloaded')).toBe('Overloaded');
    expect(upstreamMessageOf('{"message":"x"}')).toBe('x');
    expect(upstreamMessageOf('')).toBeUndefined();
  });
});
