import fs from 'node:fs';

/**
 * Where a turn's time goes inside the daemon, for `npm run bench` only: named
 * CLOCK_MONOTONIC timestamps (process.hrtime, the clock the bench's client and CLI tap
 * share). Off unless MAXPROXY_PHASE_LOG names a file; then every turn appends one JSON
 * line there after its response has ended (never on the request path). Nothing here is
 * a metric or a log: the bench turns the marks into its phase breakdown.
 */
export class PhaseMarks {
  readonly at: Record<string, bigint> = {};
  /** Control requests sent to the CLI for this turn (set_model, apply_flag_settings, set_max_thinking_tokens). */
  readonly control: string[] = [];
  info: Record<string, string | number | undefined> = {};
  /** Per-delta stamps for the forwarding breakdown: [where, when, what] (CLI text delta read, SSE payload written). */
  readonly deltas: Array<[string, bigint, string]> = [];

  /** The first time only: a phase is when something first happened. */
  mark(name: string): void {
    this.at[name] ??= process.hrtime.bigint();
  }

  delta(where: string, what: string): void {
    this.deltas.push([where, process.hrtime.bigint(), what]);
  }
}

const PHASE_LOG = process.env.MAXPROXY_PHASE_LOG || undefined;

/** A fresh set of marks when the bench asked for them, else undefined (every mark is then a no-op `?.`). */
export const phaseMarks = (): PhaseMarks | undefined => (PHASE_LOG ? new PhaseMarks() : undefined);

export function writePhaseMarks(p: PhaseMarks | undefined, requestId: string): void {
  if (!p || !PHASE_LOG) return;
  const at = Object.fromEntries(Object.entries(p.at).map(([k, v]) => [k, v.toString()]));
  const deltas = p.deltas.map(([where, t, what]) => [where, t.toString(), what]);
  fs.appendFile(PHASE_LOG, `${JSON.stringify({ requestId, ...p.info, control: p.control, at, deltas })}\n`, () => undefined);
}
