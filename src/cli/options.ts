import { didYouMean } from '../config/index.js';
import type { LogLevel } from '../core/index.js';
import { UsageError } from './usage-error.js';

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];

/**
 * Runs a `parseArgs` call, turning its errors into usage errors for `command`; an unknown option
 * close to one of `known` (the command's long option names) gets a "did you mean", and so does a
 * stray argument when `positional` names the option that takes a file (`conduit validate
 * conduit.yaml` → "did you mean --config conduit.yaml?").
 */
export function usageErrors<T>(
  command: string,
  parse: () => T,
  known: readonly string[] = [],
  positional?: string,
): T {
  try {
    return parse();
  } catch (err) {
    const message = (err as Error).message.split('. To specify a positional')[0] ?? (err as Error).message;
    const unknown = /^Unknown option '--([^'=]+)/.exec(message)?.[1];
    const hint = unknown === undefined ? undefined : didYouMean(unknown, known);
    if (hint !== undefined) throw new UsageError(`${message}: did you mean --${hint}?`, command);
    const stray = /^Unexpected argument '([^']*)'/.exec(message)?.[1];
    if (stray !== undefined && positional !== undefined && !stray.startsWith('-'))
      throw new UsageError(`${message}: did you mean --${positional} ${stray}?`, command);
    throw new UsageError(message, command);
  }
}

/** A log level from a flag or LOG_LEVEL; undefined when neither is set. */
export function logLevelOption(
  value: string | undefined,
  source: string,
  command: string,
): LogLevel | undefined {
  if (value === undefined || value === '') return undefined;
  const level = value.toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(level))
    throw new UsageError(`${source} must be one of ${LOG_LEVELS.join(', ')}`, command);
  return level;
}

/** A TCP port from a flag. */
export function portOption(value: string | undefined, command: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new UsageError(`--port must be an integer from 0 to 65535 (0 picks a free port)`, command);
  return Number(value);
}
