import type { Clock, Logger } from '../core/index.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../http/index.js';
import type { HttpBreakerOptions, HttpRetryOptions } from '../http/index.js';
import type { BreakerShape, RetryShape, UpstreamShape } from './config-shape.js';

/** Config retry (durations in ms) to the HTTP client's retry options. */
export function retryOptions(r: RetryShape): HttpRetryOptions | false {
  if (r.maxAttempts !== undefined && r.maxAttempts <= 1) return false;
  const o: HttpRetryOptions = {};
  if (r.maxAttempts !== undefined) o.maxAttempts = r.maxAttempts;
  if (r.baseDelay !== undefined) o.baseDelayMs = r.baseDelay;
  if (r.maxDelay !== undefined) o.maxDelayMs = r.maxDelay;
  if (r.multiplier !== undefined) o.multiplier = r.multiplier;
  if (r.jitter !== undefined) o.jitter = r.jitter;
  return o;
}

/** Config breaker to the resilience breaker model. */
export function breakerOptions(b: BreakerShape): HttpBreakerOptions {
  const o: HttpBreakerOptions = {};
  if (b.window?.type === 'count') {
    o.model = { kind: 'count', size: b.window.size, failureRateThreshold: b.window.failureRate };
    if (b.window.minimumCalls !== undefined) o.model.minimumCalls = b.window.minimumCalls;
  } else if (b.window?.type === 'time') {
    o.model = { kind: 'time', windowMs: b.window.size, failureRateThreshold: b.window.failureRate };
    if (b.window.minimumCalls !== undefined) o.model.minimumCalls = b.window.minimumCalls;
  } else if (b.failureThreshold !== undefined) {
    o.model = { kind: 'consecutive', threshold: b.failureThreshold };
  }
  if (b.slowCall !== undefined) o.slowCallMs = b.slowCall;
  if (b.recoveryTimeout !== undefined) o.recoveryMs = b.recoveryTimeout;
  if (b.halfOpenMaxCalls !== undefined) o.halfOpenMaxConcurrent = b.halfOpenMaxCalls;
  return o;
}

/** The HTTP client options for one configured upstream: auth, headers, phase timeouts, resilience. */
export function upstreamClientOptions(
  name: string,
  upstream: UpstreamShape,
  deps: { logger: Logger; clock: Clock; onMetrics?: HttpClientOptions['onMetrics'] },
): HttpClientOptions {
  const headers: Record<string, string> = { ...(upstream.headers ?? {}) };
  const query: Record<string, string> = {};
  const secretHeaders: string[] = [];
  const secretQueryParams: string[] = [];
  const auth = upstream.auth;
  if (auth?.type === 'bearer' && auth.token) headers.authorization = `Bearer ${auth.token}`;
  else if (auth?.type === 'basic')
    headers.authorization = `Basic ${Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64')}`;
  else if (auth?.type === 'header' && auth.name) {
    headers[auth.name] = auth.value ?? '';
    secretHeaders.push(auth.name);
  } else if (auth?.type === 'query' && auth.name) {
    query[auth.name] = auth.value ?? '';
    secretQueryParams.push(auth.name);
  }
  const t = upstream.timeouts ?? {};
  const timeouts: NonNullable<HttpClientOptions['timeouts']> = {};
  if (t.connect !== undefined) timeouts.connectMs = t.connect;
  if (t.headers !== undefined) timeouts.headersMs = t.headers;
  if (t.body !== undefined) timeouts.bodyMs = t.body;
  if (t.total !== undefined) timeouts.totalMs = t.total;
  const options: HttpClientOptions = {
    name,
    baseUrl: upstream.baseUrl,
    headers,
    timeouts,
    secretHeaders,
    secretQueryParams,
    logger: deps.logger,
    clock: deps.clock,
  };
  if (deps.onMetrics) options.onMetrics = deps.onMetrics;
  if (Object.keys(query).length > 0) options.query = query;
  if (upstream.retry) options.retry = retryOptions(upstream.retry);
  if (upstream.breaker) options.breaker = breakerOptions(upstream.breaker);
  if (upstream.bulkhead)
    options.bulkhead = {
      maxConcurrent: upstream.bulkhead.maxConcurrent,
      maxQueue: upstream.bulkhead.maxQueue ?? 0,
    };
  if (upstream.rateLimit) {
    options.rateLimit = { ratePerSec: upstream.rateLimit.perSecond };
    if (upstream.rateLimit.burst !== undefined) options.rateLimit.burst = upstream.rateLimit.burst;
  }
  return options;
}

/** One HTTP client per configured upstream (each has its own pool, breaker and limits). */
export function createUpstreamClients(
  upstreams: Readonly<Record<string, UpstreamShape>>,
  deps: { logger: Logger; clock: Clock; onMetrics?: HttpClientOptions['onMetrics'] },
): Map<string, HttpClient> {
  const clients = new Map<string, HttpClient>();
  for (const [name, upstream] of Object.entries(upstreams)) {
    clients.set(name, createHttpClient(upstreamClientOptions(name, upstream, deps)));
  }
  return clients;
}
