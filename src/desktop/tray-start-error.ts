/**
 * Why the tray could not start. `permanent` errors (no display, missing libraries,
 * unsupported platform, no binary) will not go away by retrying.
 */
export class TrayStartError extends Error {
  override name = 'TrayStartError';
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly stderr = '',
  ) {
    super(message);
  }
}

export function describeSpawnError(e: NodeJS.ErrnoException, file: string, platform: NodeJS.Platform): TrayStartError {
  // errno 86 is EBADARCH: an x86_64 binary on Apple silicon without Rosetta 2.
  if (e.code === 'EBADARCH' || e.errno === -86 || e.errno === 86 || /bad cpu type/i.test(e.message)) {
    return new TrayStartError(
      'the tray binary is x86_64 and needs Rosetta 2 on Apple silicon: run `softwareupdate --install-rosetta --agree-to-license`',
      true,
    );
  }
  if (e.code === 'EACCES') return new TrayStartError(`tray binary is not executable: ${file}`, true);
  if (e.code === 'ENOENT') return new TrayStartError(`tray binary not found: ${file}`, true);
  return new TrayStartError(`cannot start the tray binary on ${platform}: ${e.message}`, false);
}

/** Turns what the binary said before dying into a message a user can act on. */
export function describeEarlyExit(code: number | null, signal: string | null, stderr: string): TrayStartError {
  const lib = /error while loading shared libraries: (\S+?):/.exec(stderr);
  if (lib) {
    return new TrayStartError(`tray needs ${lib[1]}: install libgtk-3-0 and libayatana-appindicator3-1 (Debian/Ubuntu), or run with --headless`, true, stderr);
  }
  if (/cannot open display/i.test(stderr)) {
    return new TrayStartError('tray cannot open the display (is DISPLAY right?); running headless', true, stderr);
  }
  const how = signal ? `signal ${signal}` : `code ${code}`;
  const last = stderr.trim().split('\n').slice(-3).join(' | ');
  return new TrayStartError(`tray binary exited (${how}) before it was ready${last ? `: ${last}` : ''}`, false, stderr);
}
