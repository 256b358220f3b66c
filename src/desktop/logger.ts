/**
 * The logging surface the desktop layer needs: a subset of pino's API, so the daemon's
 * pino logger can be passed as is and tests can pass a recorder.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
