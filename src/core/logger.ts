import { pino } from 'pino';

type LogFn = (obj: Record<string, unknown> | string, msg?: string) => void;

/**
 * The logging seam: a subset of pino's interface, so a pino logger fits as is and tests can pass a
 * recorder. Every module takes one and defaults to `noopLogger`.
 */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => {};

/** A logger that drops everything. */
export const noopLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => noopLogger,
};

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level?: LogLevel;
  name?: string;
  /**
   * Rewrites each finished JSON line before it is written (the gateway's secret scrub: whatever code
   * logs a value from `${ENV}`, the line shows `[REDACTED]`). Must return valid JSON.
   */
  scrub?: (line: string) => string;
  /** Where lines go; default stderr (fd 2). */
  destination?: NodeJS.WritableStream;
}

/**
 * A pino logger that writes JSON lines to stderr (fd 2): in stdio mode stdout belongs to the protocol.
 *
 * @example
 * const log = createLogger({ level: 'debug', scrub: (line) => line.replaceAll(token, '[REDACTED]') });
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name ?? 'conduit',
      base: undefined,
      ...(options.scrub ? { hooks: { streamWrite: options.scrub } } : {}),
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  ) as unknown as Logger;
}

/** One recorded log line, for tests. */
export interface LogRecord {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  msg: string | undefined;
  [key: string]: unknown;
}

/** A logger that keeps every line in memory; tests assert on `records`. */
export function createRecordingLogger(bindings: Record<string, unknown> = {}, sink: LogRecord[] = []) {
  const make =
    (level: LogRecord['level']): LogFn =>
    (obj, msg) => {
      if (typeof obj === 'string') sink.push({ ...bindings, level, msg: obj });
      else sink.push({ ...bindings, ...obj, level, msg });
    };
  const logger: Logger & { records: LogRecord[] } = {
    records: sink,
    trace: make('trace'),
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    child: (b) => createRecordingLogger({ ...bindings, ...b }, sink),
  };
  return logger;
}
