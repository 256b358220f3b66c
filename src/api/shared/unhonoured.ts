/**
 * Request fields Claude Code has no per-request setting for (sampling knobs): accepted,
 * then reported, never silently dropped: one debug log line and the response header
 * `x-maxproxy-ignored` (docs/decisions/033). Names are each API's own.
 */
import type { TurnRequest } from '../../turn/types.js';

export interface SamplingNames {
  temperature?: string;
  topP?: string;
  topK?: string;
  stop?: string;
}

export function unhonouredSampling(req: TurnRequest, names: SamplingNames): string[] {
  const out: string[] = [];
  if (req.temperature !== undefined && names.temperature) out.push(names.temperature);
  if (req.topP !== undefined && names.topP) out.push(names.topP);
  if (req.topK !== undefined && names.topK) out.push(names.topK);
  if (req.stopSequences !== undefined && names.stop) out.push(names.stop);
  return out;
}

/** The header value: field names (paths kept, explanations dropped), each once, in order. */
export function ignoredHeader(ignored: readonly string[]): string | undefined {
  const names = [...new Set(ignored.map((i) => i.split(' (')[0].trim()).filter((n) => n !== ''))];
  return names.length ? names.join(',') : undefined;
}
