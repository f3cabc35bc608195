import type { TieredCache } from '../../cache/index.js';
import type { GatewayConfig } from '../../config/index.js';
import type { HttpClient } from '../../http/index.js';
import type { ChangeFeed } from '../resources/change-feed.js';
import type { RedisChangeFeed } from '../resources/change-feed-redis.js';
import { sharedBreakersState } from './upstream-clients.js';
import type { GatewayObservers } from './gateway-observers.js';
import type { Quotas } from './quotas.js';

/**
 * One component's part in readiness, as a probe reports it. Only fixed words and texts: never a URL,
 * an error message or a config value, since probes are answered to anyone who reaches the listener.
 */
export interface ReadinessCheck {
  /** `config`, `cache`, `changes`, `quotas`, `webhook_dedupe` or `breakers`. */
  readonly name: string;
  readonly ok: boolean;
  /** One word: `loaded`, `connected`, `shared`, `down`, `loading`, `local`. */
  readonly state: string;
  /** What a failing state means for callers. */
  readonly reason?: string;
  /** It fails only because Redis is unreachable, which the gateway survives (degraded). */
  readonly redis: boolean;
}

const CONFIG_LOADED: ReadinessCheck = { name: 'config', ok: true, state: 'loaded', redis: false };
const CACHE_UP: ReadinessCheck = { name: 'cache', ok: true, state: 'connected', redis: true };
const CACHE_DOWN: ReadinessCheck = {
  name: 'cache',
  ok: false,
  state: 'down',
  reason: "Redis unreachable: answers come from this instance's memory and the upstreams",
  redis: true,
};
const CHANGES_UP: ReadinessCheck = { name: 'changes', ok: true, state: 'connected', redis: true };
const CHANGES_DOWN: ReadinessCheck = {
  name: 'changes',
  ok: false,
  state: 'down',
  reason: 'Redis unreachable: resource changes reach this instance only',
  redis: true,
};
const BREAKERS: Record<string, ReadinessCheck> = {
  shared: { name: 'breakers', ok: true, state: 'shared', redis: true },
  loading: {
    name: 'breakers',
    ok: false,
    state: 'loading',
    reason: 'the shared breaker state is being read from Redis',
    redis: false,
  },
  local: {
    name: 'breakers',
    ok: false,
    state: 'local',
    reason: "Redis unreachable: each breaker judges on this instance's traffic only",
    redis: true,
  },
};

const QUOTAS_UP: ReadinessCheck = { name: 'quotas', ok: true, state: 'connected', redis: true };
const QUOTAS_DOWN: ReadinessCheck = {
  name: 'quotas',
  ok: false,
  state: 'down',
  reason: "Redis unreachable: quotas are counted in this instance's memory only",
  redis: true,
};
const DEDUPE_UP: ReadinessCheck = { name: 'webhook_dedupe', ok: true, state: 'connected', redis: true };
const DEDUPE_DOWN: ReadinessCheck = {
  name: 'webhook_dedupe',
  ok: false,
  state: 'down',
  reason: 'Redis unreachable: webhook deliveries are answered 503 until it is back',
  redis: true,
};

/** The Redis-backed cache's connection as its events tell it: the bus subscription and the L2 breaker. */
function cacheTracker(cache: Pick<TieredCache, 'on'>): () => ReadinessCheck {
  let busDown = false;
  let l2Down = false;
  cache.on('busGap', (e) => {
    busDown = e.phase === 'down';
  });
  cache.on('l2State', (e) => {
    l2Down = e.state === 'down';
  });
  return () => (busDown || l2Down ? CACHE_DOWN : CACHE_UP);
}

function isRedisFeed(changes: ChangeFeed): changes is RedisChangeFeed {
  return typeof (changes as Partial<RedisChangeFeed>).connected === 'function';
}

/** What readiness reads of the runtime in force. */
export interface ReadinessRuntime {
  readonly clients: ReadonlyMap<string, HttpClient>;
  readonly guards: { readonly quotas: Pick<Quotas, 'connected'> | undefined };
  readonly observers: Pick<GatewayObservers, 'dedupeConnected'>;
}

/**
 * The readiness checks of one gateway: read from the state the Redis clients already keep (connection
 * and subscription events, the L2 breaker), so a probe costs no Redis round trip however often it comes.
 * `runtime` is read on every call: a reload may swap the upstream clients and bring or drop quotas.
 */
export function gatewayReadiness(
  config: GatewayConfig,
  parts: { builtCache: Pick<TieredCache, 'on'> | undefined; changes: ChangeFeed },
  runtime: () => ReadinessRuntime,
): () => readonly ReadinessCheck[] {
  const redis = config.cache?.redis;
  const cacheOnRedis = parts.builtCache && (redis?.url || redis?.cluster?.length);
  const cache = cacheOnRedis ? cacheTracker(parts.builtCache!) : undefined;
  const changes = isRedisFeed(parts.changes) ? parts.changes : undefined;
  return () => {
    const checks: ReadinessCheck[] = [CONFIG_LOADED];
    if (cache) checks.push(cache());
    if (changes) checks.push(changes.connected() ? CHANGES_UP : CHANGES_DOWN);
    const { clients, guards, observers } = runtime();
    const quotas = guards.quotas?.connected();
    if (quotas !== undefined) checks.push(quotas ? QUOTAS_UP : QUOTAS_DOWN);
    const dedupe = observers.dedupeConnected();
    if (dedupe !== undefined) checks.push(dedupe ? DEDUPE_UP : DEDUPE_DOWN);
    const breakers = sharedBreakersState(clients);
    if (breakers) checks.push(BREAKERS[breakers]!);
    return checks;
  };
}
