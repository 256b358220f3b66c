import fs from 'node:fs';

/**
 * The upstream's own words for a failed API call. The CLI reports some failures in its
 * own words only ("Prompt is too long", without the token counts), but it writes the
 * upstream's answer into the transcript entry of its synthetic error message, as
 * `errorDetails: "400 {\"type\":\"error\",\"error\":{...,\"message\":\"prompt is too long: N tokens > M maximum\"}}"`
 * (measured with 2.1.330). Returns undefined when the entry or its details are missing.
 */
export function upstreamErrorFromTranscript(file: string, uuid: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // The entry is among the last lines; scan from the end.
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
