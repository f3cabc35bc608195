import type { Context, Tracer } from '@opentelemetry/api';
import type { Dispatcher } from 'undici';
import type { Clock, Logger } from '../core/index.js';
import type { Output, Schema } from './json.js';
import type { Page, PaginateOptions } from './pagination.js';
import type { PathParams } from './path-template.js';
import type { BreakerSnapshot, BreakerState, CircuitBreaker, StateChangeEvent } from '../resilience/index.js';
import type { ResilienceOptions } from './pipeline.js';
import type { Query } from './query.js';
import type { HttpResponse } from './response.js';
import type { SecretSet } from './redact.js';

export type HttpMethod = 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Phase timeouts in ms. `totalMs` bounds the whole call, retries and waits included. */
export interface HttpTimeouts {
  /** TCP/TLS connect (undici connect timeout). Default 10 000. */
  connectMs?: number;
  /** From request sent to response headers (undici headersTimeout). Default 30 000. */
  headersMs?: number;
  /** Longest gap between body chunks (undici bodyTimeout). Default 30 000. */
  bodyMs?: number;
  /** Whole call, all attempts and backoff included. Default 60 000; 0 disables. */
  totalMs?: number;
}

/** The options an error's "raise …" hint may name (`timeoutMs`: the per-call option). */
export type HttpSetting =
  | 'timeouts.connectMs'
  | 'timeouts.headersMs'
  | 'timeouts.bodyMs'
  | 'timeouts.totalMs'
  | 'timeoutMs'
  | 'rateLimit.ratePerSec'
  | 'maxResponseBytes'
  | 'maxResponseDepth';

/** Per-upstream TLS settings (PEM text). */
export interface HttpTlsOptions {
  /** CA certificates to trust (replaces the system roots for this upstream). */
  ca?: string | undefined;
  /** Client certificate chain for mutual TLS. */
  cert?: string | undefined;
  /** The client certificate's private key. */
  key?: string | undefined;
  /** The name the server's certificate must carry, when it differs from the URL's host. */
  servername?: string | undefined;
}

/** What the metrics hook receives once per call. */
export interface HttpMetricsEvent {
  upstream: string;
  method: string;
  /** The path template as written (`/users/{id}`), never the expanded path: a bounded label. */
  route: string;
  /** Final status, when a response arrived. */
  status?: number;
  /** Error code (`HTTP_STATUS`, `TIMEOUT`, `CIRCUIT_OPEN`, …) when the call failed. */
  errorCode?: string;
  durationMs: number;
  /**
   * Requests sent for this call, retries included. 0 when the call was refused before any request
   * left the process (open breaker, rate-limit hold or bucket, full bulkhead, aborted while queued).
   */
  attempts: number;
}

export interface HttpClientOptions extends ResilienceOptions {
  /** Origin and optional base path, e.g. `https://api.example.com/v1`. Every request stays on it. */
  baseUrl: string;
  /** Sent with every request; per-request headers of the same name win. */
  headers?: Readonly<Record<string, string>>;
  /** Query parameters sent with every request (e.g. an API key; list it in `secretQueryParams`). */
  query?: Query;
  timeouts?: HttpTimeouts;
  /** Header names whose values are never logged (Authorization, Cookie, X-Api-Key are always). */
  secretHeaders?: readonly string[];
  /** Query parameter names whose values are never logged (api_key, access_token, … are always). */
  secretQueryParams?: readonly string[];
  /**
   * Literal secret values (the gateway passes every `${ENV}` value of its config) scrubbed from
   * errors, logs and `redactSecrets` in every encoding an upstream may echo them in (percent-encoded,
   * JSON-escaped, base64, any case). The client's own credentials are always included.
   */
  secretValues?: readonly string[];
  /**
   * Secret values shared with other clients that may grow while this one runs (a gateway's `${ENV}`
   * values, which a reload adds to): scrubbed like `secretValues`, including values added later.
   */
  sharedSecrets?: SecretSet;
  /** Largest accepted response body; bigger ones fail with `ResponseTooLargeError`. Default 4 MiB. */
  maxResponseBytes?: number;
  /**
   * Deepest nesting of objects and arrays a JSON answer may have; deeper ones fail with
   * `ResponseTooDeepError` (code `RESPONSE_TOO_DEEP`) instead of overflowing the stack of whatever
   * serialises or walks them. Default 256, at most 1000.
   */
  maxResponseDepth?: number;
  /** Connections per origin. Default 64. */
  connections?: number;
  /** Requests in flight per connection; 1 (the default) means no pipelining. */
  pipelining?: number;
  /**
   * TLS to the upstream: a custom CA (PEM) to trust instead of the system roots, and a client
   * certificate and key (PEM) for mutual TLS. The key is a secret: never logged.
   */
  tls?: HttpTlsOptions;
  /** Idle keep-alive time of a connection, ms. Default 4 000. */
  keepAliveTimeoutMs?: number;
  /**
   * Add a generated `Idempotency-Key` to every POST and PATCH, which makes them retryable. Default
   * false: POST/PATCH are retried only when the request carries a key.
   */
  autoIdempotencyKey?: boolean;
  /** Name for logs and metrics; default the origin. */
  name?: string;
  /**
   * What the "raise …" hints of this client's errors call its options, in the words of the people
   * who set them (a gateway names its config keys: `upstreams.api.timeouts.total`). Default: the
   * options' own names (`timeouts.totalMs`, `the per-call timeoutMs`).
   */
  settingNames?: Partial<Record<HttpSetting, string>>;
  /** Use this dispatcher instead of creating a Pool (it is not closed by `close()`). */
  dispatcher?: Dispatcher;
  logger?: Logger;
  clock?: Clock;
  /** Called once per call with what an operator charts; must not throw. */
  onMetrics?: (event: HttpMetricsEvent) => void;
  /**
   * Traces: a CLIENT span per attempt (child of the call's `traceContext`, else of the active span),
   * `traceparent` sent upstream, retries and breaker transitions as span events. Without one, nothing of it runs.
   */
  tracer?: Tracer | undefined;
}

export interface RequestOptions {
  /** Parameters for `{name}` holes in the path; each stays one encoded segment. */
  params?: PathParams;
  query?: Query;
  headers?: Readonly<Record<string, string>>;
  /** Raw body. Use `json` for a JSON body. */
  body?: string | Buffer | Uint8Array;
  /** Serialised with JSON.stringify and sent as application/json. */
  json?: unknown;
  signal?: AbortSignal;
  /**
   * Aborts the call like `signal`: a signal shared by many calls (a server's shutdown, say), so a
   * caller with two reasons to abort needs no signal of its own per call to join them.
   */
  stopSignal?: AbortSignal;
  /**
   * With a `tracer`: the context whose span parents this call's attempt spans and carries its retry
   * and breaker events (default: the active context, which is the root unless the application runs
   * a context manager of its own).
   */
  traceContext?: Context | undefined;
  /** `true` generates one; the same key is sent on every retry of this call. */
  idempotencyKey?: string | true;
  /** Overrides `timeouts.totalMs` for this call. */
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** Overrides the client's `maxResponseDepth` for this call. */
  maxResponseDepth?: number;
  /**
   * The success body must be JSON: `true` always (an empty body passes), `'if-declared'` when its
   * Content-Type names JSON. A body that does not parse then fails the call with `InvalidJsonError`
   * inside the breaker, so a broken upstream answering 200 with garbage opens it like a 500 would
   * (unless the breaker's `countInvalidJson` is false). `getJson`, `postJson` and `requestJson` set
   * `true`. The parsed value is kept: `res.json()` does not parse again.
   */
  expectJson?: boolean | 'if-declared';
}

export interface FullRequestOptions extends RequestOptions {
  method: HttpMethod;
  /** Origin-relative path or template, e.g. `/users/{id}`. */
  path: string;
}

export interface JsonRequestOptions<S extends Schema> extends RequestOptions {
  schema: S;
}

/** The client returned by `createHttpClient`. */
export interface HttpClient {
  /** Name used in logs and metrics (default: the origin). */
  readonly upstream: string;
  /**
   * `text` with this client's credentials and `secretValues` replaced by `[REDACTED]`, in every
   * encoding an upstream may echo them in; `text` itself when none appears.
   */
  redactSecrets(text: string): string;
  request(options: FullRequestOptions): Promise<HttpResponse>;
  get(path: string, options?: RequestOptions): Promise<HttpResponse>;
  head(path: string, options?: RequestOptions): Promise<HttpResponse>;
  post(path: string, options?: RequestOptions): Promise<HttpResponse>;
  put(path: string, options?: RequestOptions): Promise<HttpResponse>;
  patch(path: string, options?: RequestOptions): Promise<HttpResponse>;
  delete(path: string, options?: RequestOptions): Promise<HttpResponse>;
  /** Sends the request, parses the JSON body and validates it against `schema`. */
  requestJson<S extends Schema>(options: FullRequestOptions & { schema: S }): Promise<Output<S>>;
  getJson<S extends Schema>(path: string, options: JsonRequestOptions<S>): Promise<Output<S>>;
  postJson<S extends Schema>(path: string, options: JsonRequestOptions<S>): Promise<Output<S>>;
  /**
   * Iterates the pages of a collection (page/page_size, cursor or Link rel="next" style), stopping with
   * `PaginationLimitError` after `maxPages`.
   */
  paginate<D = unknown, T = unknown>(
    options: PaginateOptions<D, T>,
  ): AsyncGenerator<Page<T, D>, void, undefined>;
  /**
   * A copy of the circuit breaker state of this upstream (state, counters; not live), or undefined when the breaker is disabled. With
   * `breaker.scope: 'route'`, the route breaker in the worst state (closed when none was made yet).
   */
  readonly breakerSnapshot: BreakerSnapshot | undefined;
  /** Every breaker's snapshot by scope: `METHOD /route` for route breakers, `*` for the upstream's. */
  readonly breakerSnapshots?: Readonly<Record<string, BreakerSnapshot>>;
  /** @deprecated The same as `breakerSnapshot` (a copy; the instance is `circuitBreaker`): use that name. */
  readonly breaker?: BreakerSnapshot | undefined;
  /** @deprecated The same as `breakerSnapshots`: use that name. */
  readonly breakers?: Readonly<Record<string, BreakerSnapshot>>;
  /**
   * The state changes of every route breaker (`breaker.scope: 'route'`), as one event source:
   * `state` is the worst route's. For `metrics.trackBreaker(name, ...)` where `circuitBreaker` is
   * undefined because there is one breaker per route.
   */
  readonly breakerTransitions?: BreakerTransitions | undefined;
  /**
   * The circuit breaker instance itself (undefined when disabled), to observe its `stateChange`
   * events, e.g. `metrics.trackBreaker(name, client.circuitBreaker)`. Do not dispose it: the client does.
   */
  readonly circuitBreaker?: CircuitBreaker | undefined;
  /** Closes connections (when the client created them) and leaves nothing scheduled. */
  close(): Promise<void>;
}

/** Transitions of a group of breakers, observed as one (see `HttpClient.breakerTransitions`). */
export interface BreakerTransitions {
  readonly state: BreakerState;
  on(event: 'stateChange', listener: (e: StateChangeEvent) => void): () => void;
}
