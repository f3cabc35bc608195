import { ConduitError, errorCodeOf, errorMessage } from '../core/index.js';
import { networkFailureText } from './network-failure.js';

/** At most this much of an error response body is kept on `HttpStatusError`. */
export const BODY_EXCERPT_BYTES = 1024;

/**
 * The upstream answered with a non-success status (>= 400 by default). `url` has secret query
 * parameters redacted; `bodyExcerpt` is at most 1 KiB of the body, with known secret values removed.
 */
export class HttpStatusError extends ConduitError {
  declare readonly code: 'HTTP_STATUS' | 'UPSTREAM_RATE_LIMITED';
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly bodyExcerpt: string;
  /** Delay the upstream asked for through Retry-After (429/503), in ms; undefined when absent or malformed. */
  readonly retryAfterMs: number | undefined;
  /** Response headers, secret ones (set-cookie, …) redacted. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;

  constructor(init: {
    status: number;
    method: string;
    url: string;
    bodyExcerpt: string;
    retryAfterMs?: number | undefined;
    headers?: Readonly<Record<string, string | string[] | undefined>>;
  }) {
    const excerpt = init.bodyExcerpt.length > 200 ? `${init.bodyExcerpt.slice(0, 200)}…` : init.bodyExcerpt;
    super(
      'HTTP_STATUS',
      `${init.method} ${init.url} responded ${init.status}${excerpt ? `: ${excerpt}` : ''}`,
    );
    this.status = init.status;
    this.method = init.method;
    this.url = init.url;
    this.bodyExcerpt = init.bodyExcerpt;
    this.retryAfterMs = init.retryAfterMs;
    this.headers = init.headers ?? {};
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, method: this.method, url: this.url };
  }
}

/**
 * The upstream answered 429 Too Many Requests and the call ends there: the retry policy gave up (attempts
 * used up, a Retry-After longer than `maxDelayMs` or than the time left) or the call could not be retried.
 * Still an `HttpStatusError` (`status` 429, `retryAfterMs` from Retry-After, `bodyExcerpt`), so code that
 * checks the class and status keeps working; its `code` is `UPSTREAM_RATE_LIMITED`, distinct from the
 * client-side limit (`RATE_LIMITED`): the advice is the same (retry after `retryAfterMs`), but only this
 * one means the upstream itself pushed back.
 */
export class UpstreamRateLimitedError extends HttpStatusError {
  override readonly code = 'UPSTREAM_RATE_LIMITED' as const;
  /**
   * True when this call was not sent: an earlier 429's Retry-After still holds calls to this
   * upstream. `retryAfterMs` is then what is left of that wait; `bodyExcerpt` is empty.
   */
  readonly held: boolean;

  /**
   * `last`: the 429 that ends the call. With `holdLeftMs`, the call was held back instead, this long
   * before the upstream's Retry-After ends (`last` then describes this call, not the earlier 429).
   */
  constructor(last: HttpStatusError, holdLeftMs?: number) {
    const held = holdLeftMs !== undefined;
    super({
      status: last.status,
      method: last.method,
      url: last.url,
      bodyExcerpt: last.bodyExcerpt,
      retryAfterMs: held ? holdLeftMs : last.retryAfterMs,
      headers: last.headers,
    });
    this.held = held;
    const ra = this.retryAfterMs;
    const after = ra !== undefined ? `after ${Math.ceil(ra)} ms` : 'later';
    this.message = held
      ? `${last.method} ${last.url} was not sent: the upstream is rate limiting (it answered 429 Too Many Requests with a Retry-After that has not passed yet); retry ${after}.`
      : `${last.method} ${last.url} was rate limited by the upstream (429 Too Many Requests); retry ${after}.`;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs, held: this.held };
  }
}

/** The request failed below HTTP: refused, reset, DNS, TLS, a malformed response. `cause` has the original (scrubbed by the client). */
export class NetworkError extends ConduitError {
  declare readonly code: 'NETWORK_ERROR';
  readonly method: string;
  readonly url: string;
  /** The underlying error code (`ECONNRESET`, `UND_ERR_SOCKET`, …) when there is one. */
  readonly causeCode: string | undefined;

  constructor(method: string, url: string, cause: unknown) {
    const code = errorCodeOf(cause);
    const text = networkFailureText(code, errorMessage(cause));
    // The generic text starts with "failed": no second one before it.
    super('NETWORK_ERROR', `${method} ${url} ${text.startsWith('failed') ? text : `failed: ${text}`}`, {
      cause,
    });
    this.method = method;
    this.url = url;
    this.causeCode = code;
  }
}

/** The response body exceeded `maxResponseBytes`; the rest of it was discarded and the socket closed. */
export class ResponseTooLargeError extends ConduitError {
  declare readonly code: 'RESPONSE_TOO_LARGE';
  readonly limitBytes: number;
  /** `setting`: what the hint tells the reader to raise (a gateway names its config key). */
  constructor(
    method: string,
    url: string,
    limitBytes: number,
    declaredBytes?: number,
    setting = 'maxResponseBytes for this client or request',
  ) {
    super(
      'RESPONSE_TOO_LARGE',
      `${method} ${url} returned a body larger than maxResponseBytes (${limitBytes} bytes${
        declaredBytes !== undefined ? `; content-length ${declaredBytes}` : ''
      }). Raise ${setting} if the size is expected.`,
    );
    this.limitBytes = limitBytes;
  }
}

/**
 * The response's JSON nests objects or arrays deeper than `maxResponseDepth`: what comes after a parse
 * (serialising, validating, shaping, caching) recurses as deep as the value, and would overflow the stack.
 */
export class ResponseTooDeepError extends ConduitError {
  declare readonly code: 'RESPONSE_TOO_DEEP';
  readonly method: string;
  readonly url: string;
  /** The depth allowed (`maxResponseDepth`). */
  readonly limit: number;
  /** `setting`: what the hint tells the reader to raise (a gateway names its config key). */
  constructor(
    method: string,
    url: string,
    limit: number,
    setting = 'maxResponseDepth for this client or request',
  ) {
    super(
      'RESPONSE_TOO_DEEP',
      `${method} ${url} returned JSON nested more than ${limit} levels deep (maxResponseDepth ${limit}). Raise ${setting} if the depth is expected.`,
    );
    this.method = method;
    this.url = url;
    this.limit = limit;
  }
}

/** One failed field of a schema check. `path` is dotted (`items.0.id`); empty for the whole body. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** The response body did not match the expected schema; `issues` lists which fields failed and why. */
export class ResponseValidationError extends ConduitError {
  declare readonly code: 'RESPONSE_VALIDATION';
  readonly issues: readonly ValidationIssue[];
  readonly method: string;
  readonly url: string;
  constructor(
    method: string,
    url: string,
    issues: readonly ValidationIssue[],
    options?: { cause?: unknown },
  ) {
    const list = issues
      .slice(0, 5)
      .map((i) => `${i.path || '(body)'}: ${i.message}`)
      .join('; ');
    super(
      'RESPONSE_VALIDATION',
      `${method} ${url} returned a body that does not match the schema: ${list}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`,
      options,
    );
    this.issues = issues;
    this.method = method;
    this.url = url;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}

/** The response was expected to be JSON but did not parse. */
export class InvalidJsonError extends ConduitError {
  declare readonly code: 'RESPONSE_INVALID_JSON';
  readonly method: string;
  readonly url: string;
  /** What the parser found wrong, without any of the body's text (see `jsonSyntaxProblem`). */
  readonly problem: string;
  constructor(method: string, url: string, cause: unknown) {
    const problem = jsonSyntaxProblem(cause);
    super('RESPONSE_INVALID_JSON', `${method} ${url} returned a body that is not valid JSON (${problem}).`, {
      cause,
    });
    this.method = method;
    this.url = url;
    this.problem = problem;
  }
}

/**
 * A JSON parse error's message without the excerpt of the text V8 quotes in some (`Unexpected token
 * 'P', "Priv/Tok+e"... is not valid JSON`): cut at a fixed length, it may hold the start of a secret,
 * which no scrub of whole values finds. The positions of the other messages stay.
 */
function jsonSyntaxProblem(cause: unknown): string {
  const message = errorMessage(cause);
  if (!message.endsWith(' is not valid JSON')) return message;
  return message.startsWith('Unexpected token') ? 'an unexpected character' : 'not JSON';
}

/**
 * The client-side rate limit for this upstream has no token free within the time the call may still
 * wait. `retryAfterMs` says when one will be. The HTTP client's form of the resilience core's
 * `RateLimitExceededError` (`RATE_LIMIT_EXCEEDED`), naming the upstream and the option to raise.
 */
export class RateLimitedError extends ConduitError {
  declare readonly code: 'RATE_LIMITED';
  readonly retryAfterMs: number;
  /** `setting`: what the client's owner calls the rate (default `rateLimit.ratePerSec`). */
  constructor(upstream: string, retryAfterMs: number, setting = 'rateLimit.ratePerSec') {
    super(
      'RATE_LIMITED',
      `Client-side rate limit for ${upstream} reached; next request allowed in ${Math.ceil(retryAfterMs)} ms. Lower the call rate or raise ${setting} if the upstream allows it.`,
    );
    this.retryAfterMs = retryAfterMs;
  }
}

/** A request input failed its schema before anything was sent; `issues` lists the failing fields. */
export class RequestValidationError extends ConduitError {
  declare readonly code: 'REQUEST_VALIDATION';
  readonly issues: readonly ValidationIssue[];
  constructor(what: string, issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    super(
      'REQUEST_VALIDATION',
      `${what} does not match its schema: ${issues
        .slice(0, 5)
        .map((i) => `${i.path || '(value)'}: ${i.message}`)
        .join('; ')}. Nothing was sent.`,
      options,
    );
    this.issues = issues;
  }
}

/** A request was made after `close()`: the client's connections are gone. */
export class HttpClientClosedError extends ConduitError {
  declare readonly code: 'HTTP_CLIENT_CLOSED';
  constructor() {
    super('HTTP_CLIENT_CLOSED', 'This HTTP client was closed; create a new one.');
  }
}
