/**
 * Base class of every error Conduit throws. `code` is stable across releases: match on it, not on the
 * message, which may be reworded.
 */
export class ConduitError extends Error {
  /** Stable machine-readable identifier, e.g. `CIRCUIT_OPEN`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
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
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_CONFIG', message, options);
  }
}

/** Thrown when an AbortSignal aborts an operation before it completed. */
export class AbortedError extends ConduitError {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('ABORTED', message, options);
  }
}

/** True for anything that looks like an abort (ours, DOMException AbortError, undici's). */
export function isAbortError(err: unknown): boolean {
  if (err instanceof AbortedError) return true;
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}
