/**
 * One-off events the daemon tells the user about once (a notification), as opposed to
 * state the tray renders. Raised on the status store with `notify()`; the desktop
 * listens with `onNotice()`.
 */
export type StatusNotice =
  /** A turn stopped by the inactivity watchdog. */
  | { kind: 'timeout'; client: string; sessionId?: string; afterMs: number }
  /**
   * A Claude Code process died while it was serving (not when maxproxy stopped it).
   * `client` is the client whose conversation it held; `stderr` the tail of what it printed.
   */
  | {
      kind: 'cli-crash';
      client?: string;
      sessionId?: string;
      pid?: number;
      code: number | null;
      signal: string | null;
      stderr?: string;
    }
  /** Claude Code reports answers billed as extra usage (once per window; src/usage/admission.ts). */
  | { kind: 'extra-usage'; policy: 'refuse' | 'notify'; window: string; resetsAt?: number }
  /** The upstream refused a model as needing a newer Claude Code (src/engine/model-floors.ts). */
  | { kind: 'model-needs-newer-cli'; model: string; required?: string; cliVersion: string };
