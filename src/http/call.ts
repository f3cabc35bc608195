import type { Context } from '@opentelemetry/api';
import type { Dispatcher } from 'undici';
import { AbortedError } from '../core/index.js';
import { ResponseTooLargeError } from './errors.js';
import type { Redactor } from './redact.js';
import { TimeoutError } from './timeout.js';
import type { BufferingHandler } from './transport.js';
import type { HttpMethod, HttpSetting } from './types.js';

/** What a call needs from its client. */
export interface CallOwner {
  readonly redactor: Redactor;
  readonly origin: string;
  /** How the owner's users name `setting`, for the hints of errors. */
  settingName(setting: HttpSetting): string;
}

/** Per-call state shared by its attempts. */
export class Call {
  attempts = 0;
  handler: BufferingHandler | null = null;
  expired: TimeoutError | null = null;
  aborted: AbortedError | null = null;
  lastError: unknown = null;
  timer: unknown = undefined;
  /** The success body must parse as JSON inside the attempt (see `RequestOptions.expectJson`). */
  expectJson: boolean | 'if-declared' = false;
  /** Traces: the parent of the attempt spans (`RequestOptions.traceContext`). */
  traceContext: Context | undefined = undefined;
  private logUrlCache: string | undefined;
  constructor(
    readonly client: CallOwner,
    readonly method: HttpMethod,
    /** The path template, secrets scrubbed (a label of logs, metrics, spans and route breakers). */
    readonly route: string,
    /** Path + query as sent (may contain secrets). */
    readonly target: string,
    readonly dispatchOptions: Dispatcher.DispatchOptions,
    readonly maxBytes: number,
    /** Deepest nesting of the answer's JSON (`maxResponseDepth`). */
    readonly maxDepth: number,
    readonly totalMs: number,
    readonly startedAt: number,
    readonly secretValues: readonly string[] | null,
    /** May be retried: a safe method, or POST/PATCH with an Idempotency-Key. */
    readonly idempotent: boolean,
  ) {}

  /** The URL with secrets redacted, for logs and errors (built once, only when needed). */
  get logUrl(): string {
    if (this.logUrlCache === undefined)
      // Secret parameters by name, then any known secret value (a `${ENV}` value sent as a parameter).
      this.logUrlCache = this.client.redactor.scrub(
        this.client.redactor.url(this.client.origin + this.target),
      );
    return this.logUrlCache;
  }

  tooLarge(declared?: number): Error {
    const setting = this.client.settingName('maxResponseBytes');
    return new ResponseTooLargeError(this.method, this.logUrl, this.maxBytes, declared, setting);
  }

  readonly onDeadline = (): void => {
    this.timer = undefined;
    this.expire();
  };

  /** Fails the call with the total-deadline TimeoutError, aborting whatever it is doing. */
  expire(): void {
    if (this.expired) return;
    const err = new TimeoutError(
      `${this.method} ${this.logUrl} did not complete within ${this.totalMs} ms (total deadline, attempt ${this.attempts}). Raise ${this.client.settingName('timeouts.totalMs')} or ${this.client.settingName('timeoutMs')} if the upstream is slow.`,
      { timeoutMs: this.totalMs, phase: 'total' },
    );
    this.expired = err;
    this.handler?.abort(err);
    this.controller?.abort(err);
  }

  /**
   * Aborts waits inside the policies (retry backoff, bulkhead queue, rate-limit wait) at the caller's
   * abort or the deadline. Created only when the client has a policy that queues and the call a
   * deadline; otherwise the caller's signals (if any) serve the policies directly.
   */
  controller: AbortController | undefined;

  /** Created only for calls that pass a signal. */
  onAbort: (() => void) | undefined;

  abortByCaller(): void {
    const err = new AbortedError(`${this.method} ${this.logUrl} was aborted by the caller`);
    this.aborted = err;
    this.handler?.abort(err);
    this.controller?.abort(err);
  }
}
