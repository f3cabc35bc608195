import { type Clock, ConfigError, type Logger } from '../../core/index.js';
import {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  type SecretSet,
} from '../../http/index.js';
import type { HttpBreakerOptions, HttpRetryOptions } from '../../http/index.js';
import type { BreakerConfig, GatewayConfig, RetryConfig, UpstreamConfig } from '../../config/index.js';
import { redisTargetOf } from '../../redis/index.js';
import {
  createSharedBreakers,
  SharedBreakerPool,
  type SharedBreakerState,
  type SharedBreakers,
} from './shared-breakers.js';
import { upstreamTls } from './upstream-tls.js';

/** Config retry (durations in ms) to the HTTP client's retry options. */
export function retryOptions(r: RetryConfig): HttpRetryOptions | false {
  if (r.maxAttempts !== undefined && r.maxAttempts <= 1) return false;
  const o: HttpRetryOptions = {};
  if (r.maxAttempts !== undefined) o.maxAttempts = r.maxAttempts;
  if (r.baseDelay !== undefined) o.baseDelayMs = r.baseDelay;
  if (r.maxDelay !== undefined) o.maxDelayMs = r.maxDelay;
  if (r.multiplier !== undefined) o.multiplier = r.multiplier;
  if (r.jitter !== undefined) o.jitter = r.jitter;
  return o;
}

/**
 * The gateway's breaker when the config names no model: open at a 50% failure rate over the last 20
 * calls, never with fewer than 10 in the window, so a handful of one client's failing calls cannot
 * open it on their own.
 */
export const DEFAULT_BREAKER_WINDOW = { size: 20, failureRate: 0.5, minimumCalls: 10 } as const;

/** Config breaker to the resilience breaker model (per route and failure-rate window by default). */
export function breakerOptions(b: Partial<BreakerConfig>): HttpBreakerOptions {
  const o: HttpBreakerOptions = { scope: b.scope ?? 'route' };
  if (b.window?.type === 'count') {
    o.model = { kind: 'count', size: b.window.size, failureRateThreshold: b.window.failureRate };
    if (b.window.minimumCalls !== undefined) o.model.minimumCalls = b.window.minimumCalls;
  } else if (b.window?.type === 'time') {
    o.model = { kind: 'time', windowMs: b.window.size, failureRateThreshold: b.window.failureRate };
    if (b.window.minimumCalls !== undefined) o.model.minimumCalls = b.window.minimumCalls;
  } else if (b.failureThreshold !== undefined) {
    o.model = { kind: 'consecutive', threshold: b.failureThreshold };
  } else {
    o.model = {
      kind: 'count',
      size: DEFAULT_BREAKER_WINDOW.size,
      failureRateThreshold: DEFAULT_BREAKER_WINDOW.failureRate,
      minimumCalls: DEFAULT_BREAKER_WINDOW.minimumCalls,
    };
  }
  if (b.slowCall !== undefined) o.slowCallMs = b.slowCall;
  if (b.recovery !== undefined) o.recoveryMs = b.recovery;
  if (b.halfOpenMaxConcurrent !== undefined) o.halfOpenMaxConcurrent = b.halfOpenMaxConcurrent;
  if (b.countInvalidJson !== undefined) o.countInvalidJson = b.countInvalidJson;
  return o;
}

/**
 * A shared breaker's store: `<prefix>:breaker:<upstream>` for an upstream-scoped one, one key per
 * route below it (`<prefix>:breaker:<upstream>:GET /items/{id}`) for route breakers, made as each
 * route is first called.
 */
function sharedBreakerOptions(b: HttpBreakerOptions, name: string, hub: SharedBreakers): HttpBreakerOptions {
  if (b.scope === 'route') return { ...b, storeFor: (scope) => hub.storeFor(name, scope) };
  return { ...b, store: hub.storeFor(name) };
}

/** The HTTP client options for one configured upstream: auth, headers, phase timeouts, resilience. */
export function upstreamClientOptions(
  name: string,
  upstream: UpstreamConfig,
  deps: UpstreamClientDeps,
): HttpClientOptions {
  const headers: Record<string, string> = { ...(upstream.headers ?? {}) };
  const query: Record<string, string> = {};
  const secrets = deps.secretValues ?? [];
  // A configured header whose value came from the environment (`x-private-token: ${PRIV_TOKEN}`) is a
  // credential like `auth`: its value is never logged, and echoes of it are scrubbed.
  const secretHeaders: string[] = Object.keys(headers).filter((h) => secrets.includes(headers[h]!));
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
    secretValues: secrets,
    logger: deps.logger,
    clock: deps.clock,
    settingNames: settingNamesOf(name),
  };
  if (deps.onMetrics) options.onMetrics = deps.onMetrics;
  if (upstream.maxResponseDepth !== undefined) options.maxResponseDepth = upstream.maxResponseDepth;
  if (upstream.maxResponseBytes !== undefined) options.maxResponseBytes = upstream.maxResponseBytes;
  if (deps.sharedSecrets) options.sharedSecrets = deps.sharedSecrets;
  const tls = upstreamTls(name, upstream.tls);
  if (tls) {
    options.tls = tls;
    // A key read from a file is a secret too: scrubbed like the config's `${ENV}` values.
    if (tls.key !== undefined) options.secretValues = [...secrets, tls.key];
  }
  if (deps.tracer) options.tracer = deps.tracer;
  if (Object.keys(query).length > 0) options.query = query;
  if (upstream.retry) options.retry = retryOptions(upstream.retry);
  options.breaker = breakerOptions(upstream.breaker ?? {});
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

/** The config keys behind the HTTP client's options, so its errors' hints name what to edit. */
function settingNamesOf(name: string): HttpClientOptions['settingNames'] {
  const key = `upstreams.${name}`;
  return {
    'timeouts.connectMs': `${key}.timeouts.connect`,
    'timeouts.headersMs': `${key}.timeouts.headers`,
    'timeouts.bodyMs': `${key}.timeouts.body`,
    'timeouts.totalMs': `${key}.timeouts.total`,
    timeoutMs: "the tool's timeout",
    'rateLimit.ratePerSec': `${key}.rateLimit.perSecond`,
    maxResponseBytes: `${key}.maxResponseBytes`,
    maxResponseDepth: `${key}.maxResponseDepth`,
  };
}

/** What one upstream's HTTP client needs besides its config. */
export interface UpstreamClientDeps {
  logger: Logger;
  clock: Clock;
  onMetrics?: HttpClientOptions['onMetrics'];
  /** Every `${ENV}` value of the config (`configSecrets`): scrubbed from every upstream's errors. */
  secretValues?: readonly string[] | undefined;
  /** The gateway's `${ENV}` values of every config in force so far (a reload adds to them). */
  sharedSecrets?: SecretSet | undefined;
  /** Traces: a span per upstream attempt, `traceparent` sent upstream. */
  tracer?: HttpClientOptions['tracer'];
}

/** What `createUpstreamClients` needs besides the upstreams. */
export interface UpstreamClientsDeps extends UpstreamClientDeps {
  /**
   * The gateway's `cache` section: its Redis (and prefix) backs the breakers of upstreams with
   * `breaker.shared: true`. Without a Redis there, such a config is refused (a `ConfigError`).
   */
  cache?: GatewayConfig['cache'];
  /** The gateway's shared breaker connections, kept across reloads (default: a pool of these clients'). */
  sharedBreakers?: SharedBreakerPool | undefined;
}

const sharedHubs = new WeakMap<ReadonlyMap<string, HttpClient>, SharedBreakers>();
/** Per client, since a reload mixes kept clients and new ones in a map of its own. */
const clientHubs = new WeakMap<HttpClient, SharedBreakers>();
const STATE_RANK: Record<SharedBreakerState, number> = { shared: 0, loading: 1, local: 2 };

/**
 * Resolves once the shared breaker state of clients made by {@link createUpstreamClients} is loaded
 * from Redis (or Redis was found down); at once when no breaker is shared. Never rejects.
 */
export function upstreamClientsReady(clients: ReadonlyMap<string, HttpClient>): Promise<void> {
  return sharedHubs.get(clients)?.ready() ?? Promise.resolve();
}

/**
 * The shared breaker state of these clients, the worst of their stores' (`local` over `loading` over
 * `shared`); undefined when none has a shared breaker.
 */
export function sharedBreakersState(
  clients: ReadonlyMap<string, HttpClient>,
): SharedBreakerState | undefined {
  let worst: SharedBreakerState | undefined;
  for (const client of clients.values()) {
    const state = clientHubs.get(client)?.state();
    if (state && (worst === undefined || STATE_RANK[state] > STATE_RANK[worst])) worst = state;
  }
  return worst;
}

/**
 * One HTTP client per configured upstream (each has its own pool, breaker and limits). Upstreams with
 * `breaker.shared` get a breaker backed by one Redis store each (`<prefix>:breaker:<upstream>`),
 * over two connections for all of them (those of `deps.sharedBreakers` when given), closed with the
 * last client that uses them.
 */
export function createUpstreamClients(
  upstreams: Readonly<Record<string, UpstreamConfig>>,
  deps: UpstreamClientsDeps,
): Map<string, HttpClient> {
  const pool = sharedPoolFor(upstreams, deps);
  const clients = new Map<string, HttpClient>();
  let hub: SharedBreakers | undefined;
  for (const [name, upstream] of Object.entries(upstreams)) {
    const options = upstreamClientOptions(name, upstream, deps);
    if (!pool || upstream.breaker?.shared !== true) {
      clients.set(name, createHttpClient(options));
      continue;
    }
    const held = pool.hold(name);
    hub = held.hub;
    const client = createHttpClient({
      ...options,
      breaker: sharedBreakerOptions(options.breaker as HttpBreakerOptions, name, held.hub),
    });
    // The store's connections outlive no client that uses them: the last one to close closes them.
    const close = client.close.bind(client);
    client.close = async () => {
      await close();
      await held.release();
    };
    clients.set(name, client);
    clientHubs.set(client, held.hub);
  }
  if (hub) sharedHubs.set(clients, hub);
  return clients;
}

/** The pool of shared breaker connections these upstreams use; undefined when none is shared. */
function sharedPoolFor(
  upstreams: Readonly<Record<string, UpstreamConfig>>,
  deps: UpstreamClientsDeps,
): SharedBreakerPool | undefined {
  const shared = Object.entries(upstreams).find(([, u]) => u.breaker?.shared === true);
  if (!shared) return undefined;
  if (deps.sharedBreakers) return deps.sharedBreakers;
  const target = redisTargetOf(deps.cache?.redis);
  if (!target)
    throw new ConfigError(
      `upstreams.${shared[0]}.breaker.shared needs a Redis to share through: set cache.redis.url (or cache.redis.cluster), or remove shared`,
    );
  const logger = deps.logger;
  return new SharedBreakerPool(() =>
    createSharedBreakers(target, { prefix: deps.cache?.prefix ?? 'conduit', logger }),
  );
}
