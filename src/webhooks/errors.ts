import { ConduitError } from '../core/index.js';

/**
 * Why a delivery was refused before any handler ran. Stable strings: match on them in logs and tests.
 * Every one of them is answered with 401 except where noted in docs/webhooks.md.
 */
export type RejectReason =
  | 'missing_header'
  | 'empty_header'
  | 'repeated_header'
  | 'malformed_header'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'signature_mismatch';

/** Thrown by `assertVerified` (the throwing form of a verifier) when a delivery fails verification. */
export class WebhookVerificationError extends ConduitError {
  declare readonly code: 'WEBHOOK_VERIFICATION_FAILED';
  readonly reason: RejectReason;

  constructor(reason: RejectReason, message: string) {
    super('WEBHOOK_VERIFICATION_FAILED', message);
    this.reason = reason;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason };
  }
}

/** A handler did not settle within the endpoint's deadline; the delivery was answered 503. */
export class WebhookHandlerTimeoutError extends ConduitError {
  declare readonly code: 'WEBHOOK_HANDLER_TIMEOUT';
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(
      'WEBHOOK_HANDLER_TIMEOUT',
      `The webhook handler did not finish within ${timeoutMs} ms; raise the endpoint's deadlineMs or make the handler faster (the sender retries)`,
    );
    this.timeoutMs = timeoutMs;
  }
}

/** The de-duplication store could not be reached; the delivery was answered 503 so the sender retries. */
export class DedupeStoreError extends ConduitError {
  declare readonly code: 'WEBHOOK_DEDUPE_UNAVAILABLE';
  constructor(operation: string, options?: { cause?: unknown }) {
    super(
      'WEBHOOK_DEDUPE_UNAVAILABLE',
      `The webhook de-duplication store failed during ${operation}; check the Redis connection`,
      options,
    );
  }
}

/** Name, code and message only: no stack, no cause chain that might carry payload or secrets. */
export function errorInfo(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { message: String(err) };
}
