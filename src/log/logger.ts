import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Directory for the JSON log file (maxproxy.log); omitted = no file. */
  dir?: string;
  /** Pretty-print to stderr when it is a terminal. */
  pretty?: boolean;
}

/**
 * One pino logger: pretty lines on a terminal (JSON otherwise) plus JSON lines in
 * <data-dir>/logs/maxproxy.log. Secrets are redacted by key name wherever they appear.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [];
  const pretty = opts.pretty ?? process.stderr.isTTY === true;
  if (pretty) {
    // pino-pretty as a stream (not a worker transport) keeps start-up cheap and lines ordered.
    streams.push({ level: opts.level as pino.Level, stream: prettyStream() });
  } else {
    streams.push({ level: opts.level as pino.Level, stream: process.stderr });
  }
  if (opts.dir) {
    fs.mkdirSync(opts.dir, { recursive: true });
    streams.push({ level: opts.level as pino.Level, stream: pino.destination({ dest: path.join(opts.dir, 'maxproxy.log'), mkdir: true, sync: false }) });
  }
  return pino(
    {
      level: opts.level,
      base: { pid: process.pid },
      redact: {
        paths: [
          'apiKey',
          '*.apiKey',
          'key',
          '*.key',
          'headers.authorization',
          'headers["x-api-key"]',
          '*.headers.authorization',
          '*.headers["x-api-key"]',
          'env.ANTHROPIC_API_KEY',
          'env.ANTHROPIC_AUTH_TOKEN',
          'env.CLAUDE_CODE_OAUTH_TOKEN',
        ],
        censor: '[redacted]',
      },
    },
    pino.multistream(streams),
  );
}

let prettyFactory: ((o: object) => NodeJS.WritableStream) | undefined;

/** Loaded lazily so a JSON-only (headless, piped) run never pays for pino-pretty. */
function prettyStream(): NodeJS.WritableStream {
  if (!prettyFactory) throw new Error('pretty logging requested before loadPretty()');
  return prettyFactory({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: 2 });
}

export async function loadPretty(): Promise<void> {
  if (prettyFactory) return;
  const mod = (await import('pino-pretty')) as unknown as { default: (o: object) => NodeJS.WritableStream };
  prettyFactory = mod.default;
}

/** A logger that drops everything, for unit tests. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
