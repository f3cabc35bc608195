import type { ConduitErrorCode, ConfigErrorCode } from './error-codes.js';

/**
 * Base class of every error Conduit throws. `code` is stable across releases: match on it, not on the
 * message, which may be reworded. Each subclass declares its literal code, so a `switch` on
 * `err.code` can be checked for exhaustiveness.
 */
export class ConduitError extends Error {
  /** Stable machine-readable identifier, e.g. `CIRCUIT_OPEN` (all listed in `CONDUIT_ERROR_CODES`). */
  readonly code: ConduitErrorCode;

  constructor(code: ConduitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** A plain object safe to log or send: code, name and message (no stack, no cause payloads). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** Thrown when an option or argument is invalid; the message says which one and how to fix it. */
export class ConfigError extends ConduitError {
  declare readonly code: ConfigErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_CONFIG', message, options);
  }
}

/**
 * Thrown when an AbortSignal aborts an operation before it completed. `explained` is true when the
 * message says why it was stopped (a shutdown, a disposal: worth showing to whoever made the call),
 * false for a plain cancellation by the caller.
 */
export class AbortedError extends ConduitError {
  declare readonly code: 'ABORTED';
  readonly explained: boolean;
  constructor(message?: string, options?: { cause?: unknown; explained?: boolean }) {
    super(
      'ABORTED',
      message ?? 'The operation was aborted',
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.explained = options?.explained ?? message !== undefined;
  }
}

/** True for anything that looks like an abort (ours, DOMException AbortError, undici's). */
export function isAbortError(err: unknown): boolean {
  if (err instanceof AbortedError) return true;
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}
