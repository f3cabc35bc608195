import type { Clock, Logger } from '../../core/index.js';
import {
  clientCredentials,
  forwardCallerToken,
  tokenExchange,
  credentialStoreKey,
  redisTokenStore,
  TokenEndpoint,
  type TokenStore,
  type UpstreamCredential,
} from '../../credentials/index.js';
import { createHttpClient, type HttpClientOptions, type SecretSet } from '../../http/index.js';
import type { GatewayConfig, UpstreamAuthConfig, UpstreamConfig } from '../../config/index.js';
import { openRedisDriver, type RedisDriver, redisTargetOf } from '../../redis/index.js';
import { breakerOptions } from './upstream-clients.js';

type TokenAuth = Extract<UpstreamAuthConfig, { type: 'oauth2' | 'token-exchange' }>;

export interface UpstreamCredentialsDeps {
  logger: Logger;
  clock: Clock;
  onMetrics?: HttpClientOptions['onMetrics'];
  /** Traces: the token endpoint's attempts are CLIENT spans under the call that needed a token. */
  tracer?: HttpClientOptions['tracer'];
  /** Every `${ENV}` value of the config: scrubbed from the token endpoint's errors too. */
  secretValues?: readonly string[] | undefined;
  /** The gateway's `${ENV}` values of every config in force so far (a reload adds to them). */
  sharedSecrets?: SecretSet | undefined;
  /** With `cache.redis`, tokens are shared by every instance through it. */
  cache?: GatewayConfig['cache'];
}

/** The non-static credentials of a config, by upstream name, and what closes them. */
export interface UpstreamCredentials {
  readonly byUpstream: ReadonlyMap<string, UpstreamCredential>;
  close(): Promise<void>;
}

/** The token endpoint as an upstream of its own: total timeout, retries, a breaker; its secrets redacted. */
function tokenEndpointFor(name: string, auth: TokenAuth, deps: UpstreamCredentialsDeps): TokenEndpoint {
  const origin = new URL(auth.tokenUrl).origin;
  const http = createHttpClient({
    name: `${name}.token`,
    baseUrl: origin,
    timeouts: { totalMs: auth.timeout },
    breaker: breakerOptions({ scope: 'upstream' }),
    secretValues: [
      ...(deps.secretValues ?? []),
      ...(auth.clientSecret ? [auth.clientSecret] : []),
      ...(auth.privateKey ? [auth.privateKey] : []),
    ],
    ...(deps.sharedSecrets ? { sharedSecrets: deps.sharedSecrets } : {}),
    logger: deps.logger,
    clock: deps.clock,
    ...(deps.onMetrics ? { onMetrics: deps.onMetrics } : {}),
    ...(deps.tracer ? { tracer: deps.tracer } : {}),
  });
  try {
    return tokenEndpoint(name, auth, deps, http);
  } catch (err) {
    void http.close();
    throw err;
  }
}

function tokenEndpoint(
  name: string,
  auth: TokenAuth,
  deps: UpstreamCredentialsDeps,
  http: ReturnType<typeof createHttpClient>,
): TokenEndpoint {
  return new TokenEndpoint({
    upstream: name,
    tokenUrl: auth.tokenUrl,
    issuer: auth.issuer,
    clientId: auth.clientId,
    clientSecret: auth.clientSecret,
    clientAuth: auth.clientAuth,
    ...(auth.privateKey
      ? { privateKey: { pem: auth.privateKey, alg: auth.privateKeyAlg, kid: auth.privateKeyId } }
      : {}),
    http,
    refreshBeforeMs: auth.refreshBefore,
    clock: deps.clock,
  });
}

/** What makes one upstream's token differ from another's: the shared store keys on it. */
function tokenIdentity(auth: TokenAuth): string[] {
  return [
    auth.type,
    auth.tokenUrl,
    auth.clientId,
    auth.scopes.join(' '),
    auth.audience ?? '',
    auth.resource ?? '',
  ];
}

function credentialFor(
  name: string,
  auth: TokenAuth,
  deps: UpstreamCredentialsDeps,
  store: () => TokenStore | undefined,
): UpstreamCredential {
  const logger = deps.logger.child({ upstream: name, component: 'credentials' });
  const params = {
    scope: auth.scopes.length > 0 ? auth.scopes.join(' ') : undefined,
    audience: auth.audience,
    resource: auth.resource,
  };
  if (auth.type === 'oauth2') {
    const shared = store();
    return clientCredentials({
      endpoint: tokenEndpointFor(name, auth, deps),
      params,
      clock: deps.clock,
      logger,
      ...(shared
        ? {
            store: shared,
            storeKey: credentialStoreKey(deps.cache?.prefix ?? 'conduit', name, tokenIdentity(auth)),
          }
        : {}),
    });
  }
  const shared = store();
  const prefix = deps.cache?.prefix ?? 'conduit';
  return tokenExchange({
    upstream: name,
    endpoint: tokenEndpointFor(name, auth, deps),
    params,
    requestedTokenType: auth.type === 'token-exchange' ? auth.requestedTokenType : undefined,
    clock: deps.clock,
    logger,
    ...(shared
      ? {
          store: shared,
          storeKeyFor: (caller: string) => credentialStoreKey(prefix, name, [...tokenIdentity(auth), caller]),
        }
      : {}),
  });
}

/** Forwarding is allowed only where configured; say so at every start, with when it is acceptable. */
function warnForward(name: string, logger: Logger): void {
  logger.warn(
    { event: 'credentials.forward', upstream: name },
    `upstream ${name} receives the caller's own access token (auth.type forward): acceptable only when that upstream is a resource the token was issued for (same authorization server, its audience listed in the token); otherwise use token-exchange`,
  );
}

/**
 * One credential per upstream whose `auth` is a grant (`oauth2`, `token-exchange`) or `forward`.
 * With `cache.redis`, one Redis connection carries every upstream's shared tokens.
 */
export function createUpstreamCredentials(
  upstreams: Readonly<Record<string, UpstreamConfig>>,
  deps: UpstreamCredentialsDeps,
): UpstreamCredentials {
  let driver: RedisDriver | undefined;
  let store: TokenStore | undefined;
  const target = redisTargetOf(deps.cache?.redis);
  const sharedStore = () => {
    if (!target) return undefined;
    driver ??= openRedisDriver('url' in target ? { url: target.url } : { cluster: target.cluster });
    store ??= redisTokenStore(driver, () => deps.clock.now());
    return store;
  };
  const byUpstream = new Map<string, UpstreamCredential>();
  const close = async () => {
    await Promise.allSettled([...byUpstream.values()].map((c) => c.close()));
    // Without any credential (or when building one failed) the connection has no last one to close it.
    await driver?.close();
  };
  try {
    for (const [name, upstream] of Object.entries(upstreams)) {
      const auth = upstream.auth;
      if (auth?.type === 'forward') {
        warnForward(name, deps.logger);
        byUpstream.set(name, forwardCallerToken(name));
        continue;
      }
      if (auth?.type !== 'oauth2' && auth?.type !== 'token-exchange') continue;
      byUpstream.set(name, credentialFor(name, auth, deps, sharedStore));
    }
  } catch (err) {
    void close();
    throw err;
  }
  closeDriverWithLast(byUpstream, () => driver?.close());
  return { byUpstream, close };
}

/**
 * A reload keeps some credentials of a set and retires others one by one: the shared store's
 * connection closes with the last of them.
 */
function closeDriverWithLast(
  byUpstream: ReadonlyMap<string, UpstreamCredential>,
  closeDriver: () => Promise<void> | undefined,
): void {
  let open = byUpstream.size;
  for (const credential of byUpstream.values()) {
    const close = credential.close.bind(credential);
    let released = false;
    credential.close = async () => {
      await close();
      if (released) return;
      released = true;
      if (--open === 0) await closeDriver();
    };
  }
}
