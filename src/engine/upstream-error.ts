import fs from 'node:fs';

/**
 * The upstream's own words for a failed API call. The CLI reports some failures in its
 * own words only ("Prompt is too long", without the token counts), but it writes the
 * upstream's answer into the transcript entry of its synthetic error message, as
 * `errorDetails: "400 {\"type\":\"error\",\"error\":{...,\"message\":\"prompt is too long: N tokens > M maximum\"}}"`
 * (measured with 2.1.330). Returns undefined when the entry or its details are missing.
 */
export function upstreamErrorFromTranscript(file: string, uuid: string): string | undefined {
  const text = tailOf(file, TAIL_BYTES);
  if (text === undefined) return undefined;
  // The entry is among the last lines; scan from the end (the first line may be cut).
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (!line.includes(uuid)) continue;
    try {
      const entry = JSON.parse(line) as { uuid?: string; errorDetails?: unknown };
      if (entry.uuid !== uuid) continue;
      return typeof entry.errorDetails === 'string' ? upstreamMessageOf(entry.errorDetails) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * How much of the transcript's end is read: the error entry is its last line and small,
 * while the whole file can be tens of MB for a long conversation (read whole, it held the
 * event loop ~200 ms on the test machine).
 */
const TAIL_BYTES = 256 * 1024;

function tailOf(file: string, bytes: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    return buf.toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** `errorDetails` is "<status> <JSON body>" (or plain text): the body's error.message, else the text. */
export function upstreamMessageOf(details: string): string | undefined {
  const brace = details.indexOf('{');
  if (brace >= 0) {
    try {
      const body = JSON.parse(details.slice(brace)) as { error?: { message?: unknown }; message?: unknown };
      const msg = body.error?.message ?? body.message;
      if (typeof msg === 'string' && msg.trim()) return msg;
    } catch {
      /* not JSON: fall through to the text */
    }
  }
  const plain = details.replace(/^\d{3}\s+/, '').trim();
  return plain || undefined;
}
