import { ConfigError } from '../core/index.js';
import { WebhookVerificationError, type RejectReason } from './errors.js';
import { type HeaderRead, headerValue, type WebhookHeaders } from './headers.js';
import type { SecretOptions } from './secrets.js';

/** A delivery whose signature checked out, with what the scheme's headers say about it. */
export interface Verified {
  ok: true;
  /** Event id from a signed or delivery header (webhook-id, X-GitHub-Delivery), when the scheme has one. */
  id?: string;
  /**
   * Set by schemes whose id header the signature does not cover (X-GitHub-Delivery, hmac's
   * `idHeader`), whether that header came or not: the hex digest of exactly what was signed. The
   * receiver always de-duplicates on it too, so replaying a captured body under a new, empty, repeated
   * or missing id is still processed only once.
   */
  replayKey?: string;
  /** Event type from a header (GitHub's X-GitHub-Event), when the scheme has one. */
  type?: string;
  /** The signed timestamp in epoch ms, when the scheme has one. */
  timestampMs?: number;
}

/** A refused delivery: `reason` is stable, `message` says which header and what was wrong. */
export interface Rejected {
  ok: false;
  reason: RejectReason;
  message: string;
}

export type VerifyResult = Verified | Rejected;

/**
 * Checks a delivery's signature on the exact bytes received. Never throws on request input: every
 * problem with headers or body comes back as a `Rejected`.
 */
export interface SignatureVerifier {
  /** Scheme name, for logs: `standard`, `svix`, `github`, `stripe`, `hmac`. */
  readonly scheme: string;
  /** Verifies `body` against `headers` (lower-case names) at time `nowMs` (epoch ms). */
  verify(body: Uint8Array, headers: WebhookHeaders, nowMs: number): VerifyResult;
}

/** Default tolerance for signed timestamps, in both directions. */
export const DEFAULT_TOLERANCE_MS = 5 * 60_000;

export function reject(reason: RejectReason, message: string): Rejected {
  return { ok: false, reason, message };
}

/** Turns a header read problem into a rejection naming the header. */
export function headerProblem(name: string, read: HeaderRead): Rejected {
  switch (read.problem) {
    case 'repeated_header':
      return reject('repeated_header', `Header ${name} was sent more than once; send it exactly once`);
    case 'empty_header':
      return reject('empty_header', `Header ${name} is empty`);
    default:
      return reject('missing_header', `Header ${name} is missing`);
  }
}

/** A header that must come once and not empty: its value, or the rejection naming it. */
export function requiredHeader(headers: WebhookHeaders, name: string): string | Rejected {
  const read = headerValue(headers, name);
  return typeof read === 'string' ? read : headerProblem(name, read);
}

/** 1 to 15 ASCII digits (a loop: cheaper than a regex on the hot path). */
function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Parses a Unix-seconds timestamp header and checks it lies within `toleranceMs` of `nowMs` either way.
 * Returns the timestamp in ms, or a rejection.
 */
function checkTimestamp(name: string, value: string, nowMs: number, toleranceMs: number): number | Rejected {
  if (!isDigits(value)) {
    return reject('malformed_header', `Header ${name} must be a Unix timestamp in whole seconds`);
  }
  const ms = Number(value) * 1000;
  if (ms < nowMs - toleranceMs) {
    return reject(
      'timestamp_too_old',
      `Timestamp in ${name} is more than ${toleranceMs / 1000} s in the past (replayed or delayed delivery)`,
    );
  }
  if (ms > nowMs + toleranceMs) {
    return reject(
      'timestamp_in_future',
      `Timestamp in ${name} is more than ${toleranceMs / 1000} s in the future (check the sender's clock)`,
    );
  }
  return ms;
}

/** Options of the schemes that sign a timestamp with the body. */
export interface SignedTimestampOptions extends SecretOptions {
  /** Allowed clock skew of the signed timestamp, past and future. Default 5 minutes. */
  toleranceMs?: number;
}

/** Checks a scheme's signed timestamps against its validated `toleranceMs`. */
export interface TimestampWindow {
  /** The timestamp in `value` (header `name`) in epoch ms, or the rejection saying how it is off. */
  check(name: string, value: string, nowMs: number): number | Rejected;
}

/** Validates a tolerance option once, for a scheme's lifetime. */
export function timestampWindow(value: number | undefined, scheme: string): TimestampWindow {
  if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
    throw new ConfigError(`${scheme}: toleranceMs must be a positive number of milliseconds, got ${value}`);
  }
  const toleranceMs = value ?? DEFAULT_TOLERANCE_MS;
  return { check: (name, ts, nowMs) => checkTimestamp(name, ts, nowMs, toleranceMs) };
}

/** Runs a verifier and throws `WebhookVerificationError` on rejection; for hand-written receivers. */
export function assertVerified(
  verifier: SignatureVerifier,
  body: Uint8Array,
  headers: WebhookHeaders,
  nowMs: number = Date.now(),
): Verified {
  const result = verifier.verify(body, headers, nowMs);
  if (!result.ok) throw new WebhookVerificationError(result.reason, result.message);
  return result;
}
