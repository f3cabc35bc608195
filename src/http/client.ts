import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type Dispatcher, Pool } from 'undici';
import {
  AbortedError,
  type Clock,
  ConduitError,
  ConfigError,
  isAbortError,
  type Logger,
  noopLogger,
  systemClock,
  nonNegative,
  positive,
  MAX_NESTING_LIMIT,
  errorCodeOf,
  errorMessage,
  isRefusedRequest,
} from '../core/index.js';
import {
  BODY_EXCERPT_BYTES,
  HttpClientClosedError,
  HttpStatusError,
  NetworkError,
  RequestValidationError,
  UpstreamRateLimitedError,
} from './errors.js';
import type { Output, Schema } from './json.js';
import { type Page, type PageFetcher, type PaginateOptions, paginate } from './pagination.js';
import { scrubbedCause } from './scrubbed-cause.js';
import { assertSafePath, expandPath, InvalidPathError } from './path-template.js';
import { buildPipeline, type HttpPipeline } from './pipeline.js';
import type { BreakerSnapshot } from '../resilience/index.js';
import { buildQueryString, type Query } from './query.js';
import { Call } from './call.js';
import type {
  FullRequestOptions,
  HttpClient,
  HttpClientOptions,
  HttpMethod,
  HttpMetricsEvent,
  HttpSetting,
  JsonRequestOptions,
  RequestOptions,
} from './types.js';
import { Redactor } from './redact.js';
import { DEFAULT_MAX_RESPONSE_DEPTH, HttpResponse, parseJsonText } from './response.js';
import { TimeoutError, type TimeoutPhase } from './timeout.js';
import { BufferingHandler, type RawResponse } from './transport.js';
import { finalError, retryAfterMs } from './retry-rules.js';
import type { Tracer } from '@opentelemetry/api';
import { endAttemptSpan, type ServerAddress, serverAddressOf, startAttemptSpan } from './tracing.js';

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const RETRYABLE_BY_DEFAULT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const NEEDS_KEY = new Set(['POST', 'PATCH']);
/** How hints name the options a client's owner did not name, when not by the option's own name. */
const DEFAULT_SETTING_NAMES: Partial<Record<HttpSetting, string>> = {
  timeoutMs: 'the per-call timeoutMs',
  maxResponseBytes: 'maxResponseBytes for this client or request',
  maxResponseDepth: 'maxResponseDepth for this client or request',
};
const DEFAULT_HOLD_MAX_MS = 300_000;
/** One options object for every abort listener. */
const ONCE = { once: true } as const;

class Client implements HttpClient {
  readonly upstream: string;
  redactor: Redactor;
  readonly origin: string;
  private readonly settingNames: Partial<Record<HttpSetting, string>>;
  private readonly basePath: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly defaultHeaders: Record<string, string>;
  private readonly defaultQuery: Query | undefined;
  private readonly defaultSecretValues: string[];
  private readonly headersMs: number;
  private readonly bodyMs: number;
  private readonly connectMs: number;
  private readonly totalMs: number;
  private readonly maxBytes: number;
  private readonly maxDepth: number;
  private readonly autoKey: boolean;
  private readonly logger: Logger;
  private readonly logging: boolean;
  private readonly clock: Clock;
  private readonly onMetrics: ((e: HttpMetricsEvent) => void) | undefined;
  private readonly pipeline: HttpPipeline;
  /** Until when the upstream's last 429 asked for no calls (epoch ms; 0 = no hold). */
  private holdUntil = 0;
  /** Longest hold one Retry-After may set; 0 when holding is off. */
  private readonly holdMaxMs: number;
  /** `expectJson` bodies are parsed inside the attempt (the breaker's `countInvalidJson`). */
  private readonly jsonInAttempt: boolean;
  private closed = false;
  private readonly tracer: Tracer | undefined;
  private readonly server: ServerAddress | undefined;

  constructor(options: HttpClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new ConfigError(
        `baseUrl "${options.baseUrl}" is not a valid absolute URL; use e.g. https://api.example.com/v1.`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(`baseUrl must use http or https (got ${url.protocol}).`);
    }
    if (url.username || url.password) {
      throw new ConfigError(
        'baseUrl must not contain credentials; pass them as a header listed in secretHeaders.',
      );
    }
    if (url.search || url.hash) {
      throw new ConfigError(
        'baseUrl must not contain a query or fragment; use the `query` option for defaults.',
      );
    }
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.origin = url.origin;
    this.settingNames = { ...options.settingNames };
    this.redactor = new Redactor(options.secretHeaders, options.secretQueryParams);
    this.clock = options.clock ?? systemClock;
    this.logging = options.logger !== undefined && options.logger !== noopLogger;
    this.onMetrics = options.onMetrics;
    this.tracer = options.tracer;
    const t = options.timeouts ?? {};
    this.connectMs = positive('timeouts.connectMs', t.connectMs, 10_000);
    this.headersMs = positive('timeouts.headersMs', t.headersMs, 30_000);
    this.bodyMs = positive('timeouts.bodyMs', t.bodyMs, 30_000);
    this.totalMs = nonNegative('timeouts.totalMs', t.totalMs, 60_000);
    this.maxBytes = positive('maxResponseBytes', options.maxResponseBytes, DEFAULT_MAX_BYTES);
    this.maxDepth = responseDepth(options.maxResponseDepth, DEFAULT_MAX_RESPONSE_DEPTH);
    this.autoKey = options.autoIdempotencyKey ?? false;
    this.defaultHeaders = lowerKeys(options.headers);
    this.defaultQuery = options.query;
    this.defaultSecretValues = this.secretValuesOf(this.defaultHeaders, this.defaultQuery);
    // Now that the credentials are known, a redactor that scrubs them (and `secretValues`) anywhere.
    this.redactor = new Redactor(
      options.secretHeaders,
      options.secretQueryParams,
      [...(options.secretValues ?? []), ...this.defaultSecretValues],
      options.sharedSecrets,
    );
    // A host may come from `${ENV}` (`https://${TENANT}.example.com`, a whole `${UPSTREAM_URL}`).
    this.upstream = options.name ?? this.redactor.scrub(url.origin);
    this.logger = (options.logger ?? noopLogger).child({ upstream: this.upstream });
    this.server =
      this.tracer !== undefined ? serverAddressOf(url.origin, this.redactor, this.upstream) : undefined;
    if (options.dispatcher) {
      this.dispatcher = options.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = new Pool(url.origin, {
        connections: positive('connections', options.connections, 64),
        pipelining: nonNegative('pipelining', options.pipelining, 1),
        keepAliveTimeout: positive('keepAliveTimeoutMs', options.keepAliveTimeoutMs, 4_000),
        connect: { timeout: this.connectMs, ...tlsConnectOptions(options.tls) },
        headersTimeout: this.headersMs,
        bodyTimeout: this.bodyMs,
      });
      this.ownsDispatcher = true;
    }
    const b = options.breaker;
    this.jsonInAttempt = !(
      typeof b === 'object' &&
      b !== null &&
      (b as { countInvalidJson?: boolean }).countInvalidJson === false
    );
    const hold = options.retryAfterHold;
    this.holdMaxMs = hold === false ? 0 : positive('retryAfterHold.maxMs', hold?.maxMs, DEFAULT_HOLD_MAX_MS);
    this.pipeline = buildPipeline(options, {
      upstream: this.upstream,
      clock: this.clock,
      logger: this.logger,
      totalMs: this.totalMs,
      tracer: this.tracer,
    });
  }

  get breakerSnapshot(): ReturnType<HttpPipeline['breakerSnapshot']> {
    return this.pipeline.breakerSnapshot();
  }

  get breakerSnapshots(): Record<string, BreakerSnapshot> {
    return this.pipeline.breakerSnapshots();
  }

  /** @deprecated Use `breakerSnapshot`. */
  get breaker(): ReturnType<HttpPipeline['breakerSnapshot']> {
    return this.breakerSnapshot;
  }

  /** @deprecated Use `breakerSnapshots`. */
  get breakers(): Record<string, BreakerSnapshot> {
    return this.breakerSnapshots;
  }

  get breakerTransitions(): HttpPipeline['transitions'] {
    return this.pipeline.transitions;
  }

  get circuitBreaker(): HttpPipeline['breaker'] {
    return this.pipeline.breaker;
  }

  get(path: string, options?: RequestOptions): Promise<HttpResponse> {
    return this.send('GET', path, options);
  }
  head(path: string, options?: RequestOptions): Promise<HttpResponse> {
    return this.send('HEAD', path, options);
  }
  post(path: string, options?: RequestOptions): Promise<HttpResponse> {
    return this.send('POST', path, options);
  }
  put(path: string, options?: RequestOptions): Promise<HttpResponse> {
    return this.send('PUT', path, options);
  }
  patch(path: string, options?: RequestOptions): Promise<HttpResponse> {
    return this.send('PATCH', path, options);
  }
  delete(path: string, options?: RequestOptions): Promise<HttpResponse> {
    return this.send('DELETE', path, options);
  }
  request(options: FullRequestOptions): Promise<HttpResponse> {
    return this.send(options.method, options.path, options);
  }

  async requestJson<S extends Schema>(options: FullRequestOptions & { schema: S }): Promise<Output<S>> {
    const res = await this.send(options.method, options.path, options, undefined, true);
    return res.json(options.schema);
  }
  async getJson<S extends Schema>(path: string, options: JsonRequestOptions<S>): Promise<Output<S>> {
    const res = await this.send('GET', path, options, undefined, true);
    return res.json(options.schema);
  }
  async postJson<S extends Schema>(path: string, options: JsonRequestOptions<S>): Promise<Output<S>> {
    const res = await this.send('POST', path, options, undefined, true);
    return res.json(options.schema);
  }

  redactSecrets(text: string): string {
    return this.redactor.scrub(text);
  }

  paginate<D = unknown, T = unknown>(
    options: PaginateOptions<D, T>,
  ): AsyncGenerator<Page<T, D>, void, undefined> {
    return paginate<D, T>(this.pageFetcher, options);
  }

  private readonly pageFetcher: PageFetcher = {
    get: (path, options) => this.send('GET', path, options),
    getLink: (link, options) => {
      let url: URL;
      try {
        url = new URL(link);
      } catch {
        return Promise.reject(
          new InvalidPathError(`Link rel="next" "${this.redactor.url(link)}" is not a valid URL.`),
        );
      }
      if (url.origin !== this.origin) {
        return Promise.reject(
          new InvalidPathError(
            `Link rel="next" points to another origin (${url.origin}); the client only talks to ${this.origin}.`,
          ),
        );
      }
      // Same origin is not enough: `/admin/export` next to a `/v1` base URL must not get its credentials.
      // The URL parser has already resolved `..` and `%2e%2e` segments.
      if (!underBasePath(url.pathname, this.basePath)) {
        return Promise.reject(
          new InvalidPathError(
            `Link rel="next" points to ${url.pathname}, outside the client's base path ${this.basePath}; the client only follows links under it.`,
          ),
        );
      }
      for (const [k, v] of Object.entries(this.defaultQuery ?? {})) {
        if (v !== undefined && v !== null && !url.searchParams.has(k)) url.searchParams.append(k, String(v));
      }
      return this.send('GET', url.pathname, options, url.pathname + url.search);
    },
  };

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pipeline.dispose();
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private send(
    method: HttpMethod,
    route: string,
    options: RequestOptions | undefined,
    rawTarget?: string,
    json?: boolean,
  ): Promise<HttpResponse> {
    if (this.closed) return Promise.reject(new HttpClientClosedError());
    let call: Call;
    try {
      call = this.prepare(method, route, options, rawTarget);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.jsonInAttempt) {
      const expect = json === true ? true : options?.expectJson;
      if (expect !== undefined && expect !== false) call.expectJson = expect;
    }
    if (this.tracer !== undefined) call.traceContext = options?.traceContext;
    return this.run(call, options?.signal, options?.stopSignal);
  }

  private prepare(
    method: HttpMethod,
    route: string,
    o: RequestOptions | undefined,
    rawTarget?: string,
  ): Call {
    let target: string;
    if (rawTarget === undefined) {
      const path = expandPath(route, o?.params);
      const qs =
        o?.query !== undefined || this.defaultQuery !== undefined
          ? buildQueryString(this.defaultQuery, o?.query)
          : '';
      target = this.basePath + path + qs;
    } else {
      // A same-origin Link header URL: its path is checked like any literal path, its query kept as sent.
      assertSafePath(route);
      target = rawTarget;
    }
    let headers = this.defaultHeaders;
    let body: string | Buffer | Uint8Array | null = null;
    let idempotent = RETRYABLE_BY_DEFAULT.has(method);
    let secretValues: string[] | null = null;
    if (o !== undefined) {
      if (o.headers !== undefined || o.json !== undefined || o.idempotencyKey !== undefined) {
        headers = { ...this.defaultHeaders };
        if (o.headers) {
          for (const name of Object.keys(o.headers)) headers[name.toLowerCase()] = o.headers[name]!;
          secretValues = this.secretValuesOf(o.headers, o.query);
        }
      }
      if (o.json !== undefined) {
        body = JSON.stringify(o.json);
        if (headers['content-type'] === undefined) headers['content-type'] = 'application/json';
      } else if (o.body !== undefined) {
        body = o.body;
      }
      if (o.query !== undefined && secretValues === null)
        secretValues = this.secretValuesOf(undefined, o.query);
    }
    if (NEEDS_KEY.has(method)) {
      const key = o?.idempotencyKey;
      if (key !== undefined || (this.autoKey && headers['idempotency-key'] === undefined)) {
        if (headers === this.defaultHeaders) headers = { ...this.defaultHeaders };
        headers['idempotency-key'] = typeof key === 'string' ? key : randomUUID();
      }
      idempotent = headers['idempotency-key'] !== undefined;
    }
    const maxBytes = o?.maxResponseBytes ?? this.maxBytes;
    const maxDepth =
      o?.maxResponseDepth === undefined ? this.maxDepth : responseDepth(o.maxResponseDepth, this.maxDepth);
    const dispatchOptions: Dispatcher.DispatchOptions = {
      path: target,
      method,
      headers,
      body,
      headersTimeout: this.headersMs,
      bodyTimeout: this.bodyMs,
      idempotent,
    };
    const values =
      secretValues === null ? this.defaultSecretValues : secretValues.concat(this.defaultSecretValues);
    const totalMs = o?.timeoutMs ?? this.totalMs;
    return new Call(
      this,
      method,
      // The template as logs, metrics and spans name it: a config may build it from `${ENV}` values.
      this.redactor.scrub(route),
      target,
      dispatchOptions,
      maxBytes,
      maxDepth,
      totalMs,
      this.clock.now(),
      values,
      idempotent,
    );
  }

  private async run(
    call: Call,
    signal: AbortSignal | undefined,
    stop: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    if (signal?.aborted || stop?.aborted)
      throw new AbortedError(`${call.method} ${call.logUrl} was aborted before it was sent`);
    if (call.totalMs > 0) call.timer = this.clock.setTimeout(call.onDeadline, call.totalMs);
    if (signal !== undefined || stop !== undefined) {
      call.onAbort = () => call.abortByCaller();
      signal?.addEventListener('abort', call.onAbort, ONCE);
      stop?.addEventListener('abort', call.onAbort, ONCE);
    }
    // Only a queued wait must also end at the deadline: without a queue the caller's own signal ends
    // the policies' waits (the retry's are cut to the deadline already), and Node 20 makes an
    // AbortSignal at ~4 us.
    if (this.pipeline.queues && call.totalMs > 0) call.controller = new AbortController();
    try {
      // Held calls take no bulkhead slot or rate-limit token; attempt() checks again for retries.
      if (this.holdUntil !== 0) this.checkHold(call);
      const attempt = this.tracer === undefined ? this.attempt : this.tracedAttempt;
      // The call's own controller follows both signals (see Call.abortByCaller).
      const res =
        call.controller === undefined
          ? await this.pipeline.execute(call, attempt, call.idempotent, signal, stop)
          : await this.pipeline.execute(call, attempt, call.idempotent, call.controller.signal, undefined);
      if (this.onMetrics !== undefined) this.metrics(call, res.status, undefined);
      return res;
    } catch (err) {
      // Rate limiting (the client-side bucket or the upstream's last 429) ends as RATE_LIMITED or UPSTREAM_RATE_LIMITED.
      const final = finalError(
        call.expired ?? call.aborted ?? err,
        this.upstream,
        this.settingName('rateLimit.ratePerSec'),
      );
      if (this.onMetrics !== undefined)
        this.metrics(call, (final as HttpStatusError).status, errorCodeOf(final));
      if (this.logging) this.logFailure(call, final);
      throw final;
    } finally {
      if (call.timer !== undefined) this.clock.clearTimeout(call.timer);
      if (call.onAbort !== undefined) {
        signal?.removeEventListener('abort', call.onAbort);
        stop?.removeEventListener('abort', call.onAbort);
      }
    }
  }

  /** `attempt` inside a CLIENT span of its own (only when a tracer is configured). */
  private readonly tracedAttempt = async (call: Call, attempt: number): Promise<HttpResponse> => {
    const span = startAttemptSpan(this.tracer!, call, attempt, this.server!, this.upstream);
    try {
      const res = await this.attempt(call, attempt);
      endAttemptSpan(span, call, res.status, res);
      return res;
    } catch (err) {
      endAttemptSpan(span, call, undefined, err, err);
      throw err;
    }
  };

  /** One try: dispatch, buffer, turn statuses >= 400 into HttpStatusError. Shared by all calls. */
  private readonly attempt = async (call: Call, attempt: number): Promise<HttpResponse> => {
    if (call.aborted) throw call.aborted;
    // The retry's wait may end exactly at the deadline, before the deadline timer ran.
    if (call.expired === null && call.totalMs > 0 && this.clock.now() - call.startedAt >= call.totalMs) {
      if (call.timer !== undefined) {
        this.clock.clearTimeout(call.timer);
        call.timer = undefined;
      }
      call.expire();
    }
    if (call.expired) throw call.expired;
    if (this.holdUntil !== 0) this.checkHold(call);
    if (attempt > 1 && this.logging) {
      this.logger.warn(
        {
          event: 'http.retry',
          method: call.method,
          route: call.route,
          url: call.logUrl,
          attempt,
          reason: errorCodeOf(call.lastError) ?? 'unknown',
          status: (call.lastError as HttpStatusError | null)?.status,
        },
        'http retry',
      );
    }
    call.attempts = attempt;
    const started = this.logging ? this.clock.now() : 0;
    if (this.logging) {
      this.logger.debug(
        { event: 'http.request', method: call.method, route: call.route, url: call.logUrl, attempt },
        'http request',
      );
    }
    let raw: RawResponse;
    try {
      raw = await new Promise<RawResponse>((resolve, reject) => {
        const handler = new BufferingHandler(call.maxBytes, call, resolve, reject);
        call.handler = handler;
        this.dispatcher.dispatch(call.dispatchOptions, handler);
      });
    } catch (err) {
      const mapped = this.mapError(call, err);
      call.lastError = mapped;
      throw mapped;
    } finally {
      call.handler = null;
    }
    if (raw.status >= 400) {
      const err = this.statusError(call, raw);
      call.lastError = err;
      if (raw.status === 429 && err.retryAfterMs !== undefined) this.hold(err.retryAfterMs);
      if (this.logging) this.logResponse(call, raw.status, attempt, started);
      throw err;
    }
    if (this.logging) this.logResponse(call, raw.status, attempt, started);
    if (call.expectJson !== false && raw.body.length > 0 && expectsJson(call, raw))
      return this.jsonResponse(call, raw, attempt);
    return this.responseOf(call, raw, attempt, undefined);
  };

  /** Parses the body inside the attempt, so a garbage success is a failure the breaker sees. */
  private jsonResponse(call: Call, raw: RawResponse, attempt: number): HttpResponse {
    let value: unknown;
    const text = raw.body.toString('utf8');
    try {
      value = parseJsonText(text, call.method, call, call.maxDepth, this.settingName('maxResponseDepth'));
    } catch (err) {
      call.lastError = err;
      throw err;
    }
    return this.responseOf(call, raw, attempt, value, text);
  }

  /** The answer of one attempt; `value` is its body parsed as JSON (from `text`), when it was. */
  private responseOf(
    call: Call,
    raw: RawResponse,
    attempt: number,
    value: unknown,
    text?: string,
  ): HttpResponse {
    // The redacted URL is built only if something reads it (errors, redirects, links).
    return new HttpResponse(
      raw.status,
      raw.headers,
      raw.body,
      call.method,
      call,
      attempt,
      value,
      call.maxDepth,
      text,
      this.settingName('maxResponseDepth'),
    );
  }

  /** Starts (or extends) the hold a 429's Retry-After asks for, capped at `holdMaxMs`. */
  private hold(retryAfterMs: number): void {
    if (this.holdMaxMs === 0 || retryAfterMs <= 0) return;
    const until = this.clock.now() + Math.min(retryAfterMs, this.holdMaxMs);
    if (until > this.holdUntil) this.holdUntil = until;
  }

  /** Throws the held-back answer while the upstream's Retry-After lasts; ends the hold after it. */
  private checkHold(call: Call): void {
    const left = this.holdUntil - this.clock.now();
    if (left <= 0) {
      this.holdUntil = 0;
      return;
    }
    const self = new HttpStatusError({
      status: 429,
      method: call.method,
      url: call.logUrl,
      bodyExcerpt: '',
      retryAfterMs: left,
    });
    const err = new UpstreamRateLimitedError(self, left);
    call.lastError = err;
    throw err;
  }

  private statusError(call: Call, raw: RawResponse): HttpStatusError {
    const excerpt = bodyExcerpt(raw.body, (text) => this.redactor.text(text, call.secretValues ?? []));
    return new HttpStatusError({
      status: raw.status,
      method: call.method,
      url: call.logUrl,
      bodyExcerpt: excerpt,
      retryAfterMs:
        raw.status === 429 || raw.status === 503
          ? retryAfterMs(raw.headers['retry-after'], this.clock.now())
          : undefined,
      headers: this.redactor.headersForLog(raw.headers) as IncomingHttpHeaders,
    });
  }

  settingName(setting: HttpSetting): string {
    return this.settingNames[setting] ?? DEFAULT_SETTING_NAMES[setting] ?? setting;
  }

  private mapError(call: Call, err: unknown): unknown {
    if (err instanceof ConduitError) return err;
    const code = errorCodeOf(err);
    let phase: TimeoutPhase | undefined;
    let ms = 0;
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      phase = 'connect';
      ms = this.connectMs;
    } else if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      phase = 'headers';
      ms = this.headersMs;
    } else if (code === 'UND_ERR_BODY_TIMEOUT') {
      phase = 'body';
      ms = this.bodyMs;
    }
    if (phase !== undefined) {
      const err2 = new TimeoutError(
        `${call.method} ${call.logUrl} timed out in the ${phase} phase after ${ms} ms. Raise ${this.settingName(`timeouts.${phase}Ms`)} if the upstream is legitimately slow.`,
        { timeoutMs: ms, phase, cause: err },
      );
      if (this.logging) {
        this.logger.warn(
          {
            event: 'http.timeout',
            method: call.method,
            route: call.route,
            url: call.logUrl,
            phase,
            timeout_ms: ms,
            attempt: call.attempts,
          },
          'http timeout',
        );
      }
      return err2;
    }
    if (isAbortError(err) || code === 'UND_ERR_ABORTED') {
      return call.aborted ?? new AbortedError(`${call.method} ${call.logUrl} was aborted`, { cause: err });
    }
    // undici refused to send it (a header with a line break, say): the request was wrong, the upstream
    // never saw it, so it is neither retried nor counted against the breaker.
    if (isRefusedRequest(err))
      return new RequestValidationError(`${call.method} ${call.logUrl}`, [
        { path: '', message: `not sent: ${errorMessage(err)}` },
      ]);
    // Node's own message and fields name the host: the cause is kept, scrubbed like the message.
    return new NetworkError(
      call.method,
      call.logUrl,
      scrubbedCause(err, (text) => this.redactor.text(text, call.secretValues ?? [])),
    );
  }

  private logResponse(call: Call, status: number, attempt: number, started: number): void {
    this.logger.info(
      {
        event: 'http.response',
        method: call.method,
        route: call.route,
        url: call.logUrl,
        status,
        duration_ms: this.clock.now() - started,
        attempt,
      },
      'http response',
    );
  }

  private logFailure(call: Call, err: unknown): void {
    // Phase timeouts are logged where they are mapped; the total deadline is logged here.
    if (err === call.expired) {
      this.logger.warn(
        {
          event: 'http.timeout',
          method: call.method,
          route: call.route,
          url: call.logUrl,
          phase: 'total',
          timeout_ms: call.totalMs,
          attempt: call.attempts,
        },
        'http timeout',
      );
    }
    const status = (err as HttpStatusError).status;
    // A 4xx is usually the caller's mistake, not an upstream incident.
    const level = typeof status === 'number' && status < 500 ? 'warn' : 'error';
    this.logger[level](
      {
        event: 'http.error',
        method: call.method,
        route: call.route,
        url: call.logUrl,
        code: errorCodeOf(err) ?? 'UNKNOWN',
        status: (err as HttpStatusError).status,
        // Messages quote URLs and upstream text: scrub every secret, in any encoding, once more.
        message: this.redactor.text(errorMessage(err), call.secretValues ?? []),
        duration_ms: this.clock.now() - call.startedAt,
        attempts: call.attempts,
      },
      'http error',
    );
  }

  private metrics(call: Call, status: number | undefined, code: string | undefined): void {
    const event: HttpMetricsEvent = {
      upstream: this.upstream,
      method: call.method,
      route: call.route,
      durationMs: this.clock.now() - call.startedAt,
      attempts: call.attempts,
    };
    if (status !== undefined) event.status = status;
    if (code !== undefined) event.errorCode = code;
    try {
      this.onMetrics!(event);
    } catch {
      // A broken metrics sink must not fail the call.
    }
  }

  private secretValuesOf(
    headers: Readonly<Record<string, string>> | undefined,
    query: Query | undefined,
  ): string[] {
    const out: string[] = [];
    if (headers) {
      for (const name of Object.keys(headers)) {
        if (!this.redactor.isSecretHeader(name)) continue;
        const v = headers[name]!;
        out.push(v);
        // "Bearer abc" echoes as "abc" too.
        const space = v.indexOf(' ');
        if (space > 0) out.push(v.slice(space + 1));
      }
    }
    if (query) {
      for (const name of Object.keys(query)) {
        if (!this.redactor.isSecretQueryParam(name)) continue;
        const v = query[name];
        if (v === null || v === undefined) continue;
        for (const x of Array.isArray(v) ? v : [v]) {
          out.push(String(x));
          out.push(encodeURIComponent(String(x)));
        }
      }
    }
    return out;
  }
}

/**
 * At most BODY_EXCERPT_BYTES of UTF-8 from the start of `body`, cut on a character boundary, with
 * secrets scrubbed (redaction can lengthen the text, so the byte cap is applied again after it).
 */
function bodyExcerpt(body: Buffer, scrub: (text: string) => string): string {
  const cut = (buf: Buffer, limit = BODY_EXCERPT_BYTES): string => {
    if (buf.length <= limit) return buf.toString('utf8');
    let end = limit;
    // Step back over UTF-8 continuation bytes so no character is split.
    while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
    return buf.subarray(0, end).toString('utf8');
  };
  // Scrub a wider window so a secret straddling the cut is replaced whole, not left half-visible.
  const text = scrub(cut(body, BODY_EXCERPT_BYTES + 4096));
  return cut(Buffer.from(text, 'utf8'));
}

/** `maxResponseDepth`: a whole number from 1 to the bound a check can walk without risk to the stack. */
function responseDepth(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (Number.isInteger(value) && value >= 1 && value <= MAX_NESTING_LIMIT) return value;
  throw new ConfigError(
    `maxResponseDepth must be a whole number from 1 to ${MAX_NESTING_LIMIT} (got ${String(value)}).`,
  );
}

function expectsJson(call: Call, raw: RawResponse): boolean {
  // Redirects are the caller's to handle; only a success's body is held to JSON.
  if (raw.status >= 300) return false;
  if (call.expectJson === true) return true;
  const type = raw.headers['content-type'];
  return typeof type === 'string' && type.includes('json');
}

/** `path` is `base` itself or below it (`/v1`, `/v1/items`; not `/v1-internal`). An empty base admits all. */
function underBasePath(path: string, base: string): boolean {
  if (base === '') return true;
  return path === base || (path.startsWith(base) && path.charCodeAt(base.length) === 47) /* / */;
}

/** undici connect options for `tls`; only the fields given (so the system roots stay the default). */
function tlsConnectOptions(tls: HttpClientOptions['tls']): Record<string, string> {
  const out: Record<string, string> = {};
  if (tls?.ca !== undefined) out.ca = tls.ca;
  if (tls?.cert !== undefined) out.cert = tls.cert;
  if (tls?.key !== undefined) out.key = tls.key;
  if (tls?.servername !== undefined) out.servername = tls.servername;
  return out;
}

function lowerKeys(h: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (h) for (const k of Object.keys(h)) out[k.toLowerCase()] = h[k]!;
  return out;
}

/**
 * Creates a resilient HTTP client for one upstream origin: a keep-alive undici Pool, phase timeouts,
 * size-capped buffering, redacted logs and errors, and retry / circuit breaker / bulkhead / rate limit
 * from `conduit-mcp/resilience` applied per origin.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  return new Client(options);
}

export type {
  FullRequestOptions,
  HttpClient,
  HttpClientOptions,
  HttpMethod,
  HttpMetricsEvent,
  HttpSetting,
  HttpTimeouts,
  HttpTlsOptions,
  JsonRequestOptions,
  RequestOptions,
} from './types.js';
