import type { Clock, Logger } from '../../core/index.js';
import { createClusterClient } from '../../redis/index.js';
import {
  type CacheInvalidator,
  createWebhookHandler,
  type DedupeStore,
  type EventPublisher,
  github,
  hmac,
  invalidate,
  MemoryDedupeStore,
  publish,
  RedisDedupeStore,
  type SignatureVerifier,
  standardWebhooks,
  stripe,
  svix,
  type WebhookEndpointConfig,
  type WebhookHandler,
  type WebhookHandlerFn,
  type WebhookResponse,
} from '../../webhooks/index.js';
import type { WebhookEndpointConfig as EndpointSection, WebhooksConfig } from '../../config/index.js';

/** What the webhook actions need from the gateway. */
export interface GatewayWebhookDeps {
  /** The gateway's cache; without one, `invalidate` actions have nothing to clear (logged once). */
  cache: CacheInvalidator | undefined;
  /** Where `notify` URIs go (the gateway's change feed); read per event, so it may be set late. */
  publisher: EventPublisher;
  /** `cache.redis.url`, for `dedupe: redis` (and its default). */
  redisUrl: string | undefined;
  /** Or `cache.redis.cluster` (seed URLs of a Redis Cluster). */
  redisCluster?: readonly string[] | undefined;
  /** Key prefix of the Redis de-dup store (the cache prefix). */
  prefix: string;
  onOutcome?: (endpoint: string | undefined, response: WebhookResponse) => void;
  logger: Logger;
  clock: Clock;
  /** The gateway's secret scrub: an endpoint's default name is its path, which may hold a secret. */
  redact?: ((text: string) => string) | undefined;
}

function verifierFor(ep: EndpointSection): SignatureVerifier {
  const secrets = ep.secrets;
  const tol = ep.tolerance !== undefined ? { toleranceMs: ep.tolerance } : {};
  switch (ep.scheme) {
    case 'standard':
      return standardWebhooks({ secrets, ...tol });
    case 'svix':
      return svix({ secrets, ...tol });
    case 'github':
      return github({ secrets });
    case 'stripe':
      return stripe({ secrets, ...tol });
    case 'hmac': {
      const h = ep.hmac ?? {};
      return hmac({
        secrets,
        ...tol,
        ...(h.header !== undefined ? { header: h.header } : {}),
        ...(h.prefix !== undefined ? { prefix: h.prefix } : {}),
        ...(h.encoding !== undefined ? { encoding: h.encoding } : {}),
        ...(h.timestampHeader !== undefined ? { timestampHeader: h.timestampHeader } : {}),
        ...(h.idHeader !== undefined ? { idHeader: h.idHeader } : {}),
      });
    }
  }
}

/**
 * The name of an unnamed endpoint whose path holds a secret (a capability URL, `/hooks/${TOKEN}`):
 * the path redacted and its place in the list, so logs, metrics and spans never show the secret and
 * two such endpoints stay apart (in de-dup keys too). Undefined for a path without one: its name is
 * the path.
 */
function redactedPathName(
  path: string,
  index: number,
  redact: ((text: string) => string) | undefined,
): string | undefined {
  const shown = redact?.(path) ?? path;
  return shown === path ? undefined : `${shown} #${index + 1}`;
}

/** A cache stand-in for configs whose tools cache nothing: invalidations are no-ops. */
const NO_CACHE: CacheInvalidator = { delete() {}, invalidateTags() {}, invalidatePattern() {} };

/**
 * The gateway's webhook receiver from `config.webhooks`: per endpoint a verifier for its scheme, and per
 * event type the built-in `invalidate` (keys, tags, patterns on the gateway cache) then `publish`
 * (the `notify` URIs) actions. De-duplication is shared through Redis when the cache uses Redis.
 */
export function createGatewayWebhooks(
  config: WebhooksConfig,
  deps: GatewayWebhookDeps,
): { handler: WebhookHandler; dedupeConnected(): boolean | undefined; close(): Promise<void> } {
  const cache = deps.cache ?? NO_CACHE;
  const endpoints: WebhookEndpointConfig[] = config.endpoints.map((ep, index) => {
    const on: Record<string, WebhookHandlerFn[]> = {};
    for (const [pattern, action] of Object.entries(ep.events)) {
      const fns: WebhookHandlerFn[] = [];
      const inv = action.invalidate;
      if (inv && (inv.keys?.length || inv.tags?.length || inv.patterns?.length))
        fns.push(
          invalidate({
            cache,
            // The tools' keys and tags encode their values: render these the same way to match them.
            values: 'key',
            ...(inv.keys ? { keys: inv.keys } : {}),
            ...(inv.tags ? { tags: inv.tags } : {}),
            ...(inv.patterns ? { patterns: inv.patterns } : {}),
          }),
        );
      if (action.notify?.length) fns.push(publish({ publisher: deps.publisher, uris: action.notify }));
      // A type with no action is still "handled": acknowledged as accepted, not as unhandled.
      on[pattern] = fns.length > 0 ? fns : [() => {}];
    }
    const out: WebhookEndpointConfig = { path: ep.path, verifier: verifierFor(ep), on };
    const name = ep.name ?? redactedPathName(ep.path, index, deps.redact);
    if (name !== undefined) out.name = name;
    if (ep.idPath !== undefined) out.idPath = ep.idPath;
    if (ep.typePath !== undefined) out.typePath = ep.typePath;
    if (ep.maxBodyBytes !== undefined) out.maxBodyBytes = ep.maxBodyBytes;
    if (ep.deadline !== undefined) out.deadlineMs = ep.deadline;
    return out;
  });
  const cluster = deps.redisCluster?.length ? deps.redisCluster : undefined;
  const useRedis = (config.dedupe ?? (deps.redisUrl || cluster ? 'redis' : 'memory')) === 'redis';
  const prefix = `${deps.prefix}:webhook:`;
  const dedupe: DedupeStore =
    useRedis && cluster
      ? new RedisDedupeStore({
          redis: createClusterClient(
            cluster,
            { redisOptions: { commandTimeout: 2_000 } },
            'The Redis webhook de-duplication store on a Cluster',
          ),
          closeClient: true,
          prefix,
        })
      : useRedis && deps.redisUrl
        ? new RedisDedupeStore({ url: deps.redisUrl, prefix })
        : new MemoryDedupeStore({ clock: deps.clock });
  const handler = createWebhookHandler({
    endpoints,
    dedupe,
    ...(config.dedupeTtl !== undefined ? { dedupeTtlMs: config.dedupeTtl } : {}),
    ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
    logger: deps.logger,
    clock: deps.clock,
  });
  return {
    handler,
    dedupeConnected: () => dedupe.connected?.(),
    // The receiver does not own its store: close it after the last running action settled.
    close: async () => {
      await handler.close();
      await dedupe.close();
    },
  };
}
