import {
  type Clock,
  ConfigError,
  type Logger,
  noopLogger,
  type Principal,
  systemClock,
} from '../core/index.js';
import { bulkhead, BulkheadRejectedError } from '../resilience/index.js';
import { principalFromClaims } from './claims-principal.js';
import { insecureAllowed, IssuerMetadata } from './discovery.js';
import { AuthServerUnavailableError, InvalidTokenError } from './errors.js';
import { IdpClient } from './idp-client.js';
import { introspect } from './introspection.js';
import { JwksKeys } from './jwks.js';
import { looksLikeJwt, verifyJwt } from './jwt-verifier.js';
import { RefusedTokens } from './refused-tokens.js';
import { TokenCache, tokenDigest } from './token-cache.js';

/** Options of {@link createResourceServer} (the gateway maps `server.http.auth` onto these). */
export interface ResourceServerOptions {
  /** The authorization server's issuer identifier; tokens must carry it as `iss`. */
  issuer: string;
  /** This server's resource identifier (RFC 8707), usually its public MCP URL: tokens must be for it. */
  resource: string;
  /** Audiences accepted instead of `resource` (an IdP that names APIs otherwise). Default `[resource]`. */
  audience?: readonly string[];
  /** The issuer's JWKS; default: from the issuer's metadata. */
  jwksUri?: string;
  /**
   * Opaque tokens: RFC 7662 introspection with these client credentials. At most `maxConcurrent`
   * introspections run at once (default 16) and `maxQueue` more wait (default 64); a token past them
   * is refused as unavailable (503, retry shortly), so made-up tokens sent by the thousand reach the
   * issuer a few at a time. Tokens already verified are answered from the cache meanwhile.
   */
  introspection?: {
    endpoint?: string;
    clientId: string;
    clientSecret: string;
    maxConcurrent?: number;
    maxQueue?: number;
  };
  /** JWS algorithms accepted. Default RS256, PS256, ES256, EdDSA (never `none` or HMAC). */
  algorithms?: readonly string[];
  /** Required JWT `typ` header, e.g. `at+jwt` (RFC 9068). Default: not checked. */
  tokenType?: string;
  /** Leeway for `exp` and `nbf`, ms. Default 30 s. */
  clockToleranceMs?: number;
  /** Token claims kept in the principal (`{auth.claims.<name>}`, policy). Default none. */
  claims?: readonly string[];
  /**
   * Verified tokens kept (by digest), and for at most how long. Default 10 000 and 10 min. Tokens
   * refused for good (revoked, unknown, bad signature, expired, …) are remembered as many, for
   * `refusedTtlMs` (default 30 s; 0 asks every time), so a client repeating one does not make every
   * request ask the authorization server again.
   */
  cache?: { maxEntries?: number; maxTtlMs?: number; refusedTtlMs?: number };
  /** One request to the authorization server, ms. Default 5000. */
  timeoutMs?: number;
  /** Attempts per request to the authorization server. Default 2. */
  attempts?: number;
  /** JWKS older than this is refetched. Default 10 min. */
  jwksMaxAgeMs?: number;
  /** An unknown key id refetches the JWKS at most this often. Default 30 s. */
  jwksCooldownMs?: number;
  clock?: Clock;
  logger?: Logger;
  fetch?: typeof fetch;
}

/** Verifies access tokens for this resource and says who they stand for. */
export interface ResourceServer {
  readonly resource: string;
  readonly issuer: string;
  /**
   * The principal of a bearer token. Throws `InvalidTokenError` (401) or `AuthServerUnavailableError`
   * (503). A token verified before is answered from the cache without any network.
   */
  authenticate(token: string): Promise<Principal>;
  /** Tokens held in the verified cache. */
  readonly cached: number;
}

const DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const FORBIDDEN_ALGORITHMS = /^(none|HS\d+)$/i;

function checkOptions(o: ResourceServerOptions): void {
  for (const [name, value] of [
    ['issuer', o.issuer],
    ['resource', o.resource],
  ] as const) {
    try {
      new URL(value);
    } catch {
      throw new ConfigError(
        `server.http.auth.${name}: expected an absolute URL, got ${JSON.stringify(value)}`,
      );
    }
  }
  for (const [name, value] of [
    ['issuer', o.issuer],
    ['jwksUri', o.jwksUri],
    ['introspection.endpoint', o.introspection?.endpoint],
  ] as const)
    if (value !== undefined && !value.startsWith('https:') && !insecureAllowed(value))
      throw new ConfigError(
        `server.http.auth.${name}: ${value} is not https; keys and introspection answers must come over TLS (plain http is accepted on loopback only)`,
      );
  for (const alg of o.algorithms ?? [])
    if (FORBIDDEN_ALGORITHMS.test(alg))
      throw new ConfigError(
        `server.http.auth.algorithms: ${alg} is not accepted (unsigned or shared-secret JWTs would let anyone who knows the key mint tokens); use RS256, PS256, ES256 or EdDSA`,
      );
}

/**
 * The OAuth 2.1 resource server of the MCP authorization spec: JWT access tokens checked against the
 * issuer's JWKS (signature, algorithm allow-list, `typ`, iss, aud = this resource, exp/nbf with a
 * small tolerance), opaque ones by introspection, both cached by token digest until they expire.
 *
 * @example
 * ```ts
 * import { createResourceServer } from 'conduit-mcp/auth';
 * const rs = createResourceServer({ issuer: 'https://idp.example.com', resource: 'https://mcp.example.com/mcp' });
 * const principal = await rs.authenticate(token); // throws InvalidTokenError / AuthServerUnavailableError
 * ```
 */
export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  checkOptions(options);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? noopLogger;
  const idp = new IdpClient({
    timeoutMs: options.timeoutMs ?? 5000,
    attempts: options.attempts ?? 2,
    clock,
    logger,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const metadata = new IssuerMetadata(options.issuer, idp);
  const keys = new JwksKeys({
    url: async () => {
      if (options.jwksUri) return options.jwksUri;
      const uri = (await metadata.get()).jwks_uri;
      if (uri && !uri.startsWith('https:') && !insecureAllowed(uri))
        throw new AuthServerUnavailableError(
          `The issuer advertises its JWKS at ${uri}, which is not https; set server.http.auth.jwksUri.`,
          5000,
        );
      if (!uri)
        throw new AuthServerUnavailableError(
          `The issuer ${options.issuer} advertises no jwks_uri; set server.http.auth.jwksUri.`,
          5000,
        );
      return uri;
    },
    idp,
    clock,
    maxAgeMs: options.jwksMaxAgeMs ?? 10 * 60_000,
    cooldownMs: options.jwksCooldownMs ?? 30_000,
  });
  const audience = options.audience?.length ? options.audience : [options.resource];
  const toleranceMs = options.clockToleranceMs ?? 30_000;
  const keep = options.claims ?? [];
  const cache = new TokenCache({
    maxEntries: options.cache?.maxEntries ?? 10_000,
    maxTtlMs: options.cache?.maxTtlMs ?? 10 * 60_000,
    clock,
  });
  const refused = new RefusedTokens({
    maxEntries: options.cache?.maxEntries ?? 10_000,
    ttlMs: options.cache?.refusedTtlMs ?? 30_000,
    clock,
  });
  const jwtCheck = {
    issuer: options.issuer,
    audience,
    algorithms: options.algorithms?.length ? options.algorithms : DEFAULT_ALGORITHMS,
    tokenType: options.tokenType,
    clockToleranceMs: toleranceMs,
    clock,
  };

  /** An introspection answer gets the checks a JWT gets from jose: issuer, audience, time. */
  const checkIntrospected = (claims: Record<string, unknown>): void => {
    if (claims.iss !== undefined && claims.iss !== options.issuer)
      throw new InvalidTokenError('issuer', 'The access token was issued by another authorization server.');
    const aud = claims.aud;
    const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!auds.some((a) => audience.includes(a as string)))
      throw new InvalidTokenError(
        'audience',
        'The access token was issued for another resource (its audience is not this server).',
      );
    const now = clock.now();
    if (typeof claims.exp === 'number' && claims.exp * 1000 + toleranceMs <= now)
      throw new InvalidTokenError('expired', 'The access token has expired; get a new one.');
    if (typeof claims.nbf === 'number' && claims.nbf * 1000 - toleranceMs > now)
      throw new InvalidTokenError('not_yet_valid', 'The access token is not valid yet (nbf).');
  };

  const introspection = options.introspection;
  const introspections = bulkhead({
    maxConcurrent: introspection?.maxConcurrent ?? 16,
    maxQueue: introspection?.maxQueue ?? 64,
  });
  // A flood is logged at most every 10 s, with how many tokens were refused since the last line.
  let busyRefused = 0;
  let busyLoggedAt = Number.NEGATIVE_INFINITY;
  const noteBusy = () => {
    busyRefused++;
    const now = clock.now();
    if (now - busyLoggedAt < 10_000) return;
    logger.warn(
      { event: 'auth.introspection_busy', refused: busyRefused },
      'too many access tokens to introspect at once: new ones are refused with 503 until the queue has room',
    );
    busyLoggedAt = now;
    busyRefused = 0;
  };
  const introspectBounded = (token: string): Promise<Record<string, unknown>> =>
    introspections
      .execute(() =>
        introspect(token, {
          endpoint: introspection!.endpoint,
          clientId: introspection!.clientId,
          clientSecret: introspection!.clientSecret,
          issuer: options.issuer,
          metadata,
          idp,
        }),
      )
      .catch((err: unknown) => {
        if (!(err instanceof BulkheadRejectedError)) throw err;
        noteBusy();
        throw new AuthServerUnavailableError(
          'Too many access tokens are being checked with the authorization server at once; retry shortly.',
          1000,
        );
      });

  const verify = async (token: string): Promise<Principal> => {
    if (looksLikeJwt(token)) {
      const claims = await verifyJwt(token, keys, jwtCheck);
      return principalFromClaims(claims, keep, options.issuer);
    }
    if (!options.introspection)
      throw new InvalidTokenError(
        'malformed',
        'The access token is not a JWT, and this server checks only JWTs.',
      );
    const claims = await introspectBounded(token);
    checkIntrospected(claims);
    return principalFromClaims(claims, keep, options.issuer);
  };

  const pending = new Map<string, Promise<Principal>>();
  const check = async (token: string, digest: string): Promise<Principal> => {
    let principal: Principal;
    try {
      principal = await verify(token);
    } catch (err) {
      refused.note(digest, err);
      throw err;
    }
    cache.set(digest, principal);
    logger.debug(
      { event: 'auth.token_verified', sub: principal.sub, client: principal.clientId },
      'access token verified',
    );
    return principal;
  };

  return {
    resource: options.resource,
    issuer: options.issuer,
    get cached() {
      return cache.size;
    },
    async authenticate(token) {
      const digest = tokenDigest(token);
      const hit = cache.get(digest);
      if (hit) return hit;
      const again = refused.get(digest);
      if (again) throw again;
      // Requests presenting one token at once share one check (one introspection, one JWKS lookup).
      let checking = pending.get(digest);
      if (!checking) {
        checking = check(token, digest).finally(() => pending.delete(digest));
        pending.set(digest, checking);
      }
      return checking;
    },
  };
}
