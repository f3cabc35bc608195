import type { JSONWebKeySet } from 'jose';
import type { Clock } from '../core/index.js';
import { AuthServerUnavailableError, InvalidTokenError } from './errors.js';
import { jose } from './identity-packages.js';
import type { IdpClient } from './idp-client.js';

/**
 * The `getKey` of jose's `jwtVerify`, by shape: the declarations name no optional package.
 */
export type JwtKeyLookup = (
  header: { alg?: string; kid?: string },
  token: { payload: unknown; signature: unknown },
) => Promise<object>;

export interface JwksOptions {
  /** Where the keys are (resolved lazily: discovery may supply it). */
  url: () => Promise<string>;
  idp: IdpClient;
  clock: Clock;
  /** Refetch the set when older than this, even if every kid is known (rotation ahead of time). */
  maxAgeMs: number;
  /** An unknown `kid` refetches the set at most once per this interval, so garbage cannot hammer it. */
  cooldownMs: number;
}

function isJwks(value: unknown): value is JSONWebKeySet {
  return typeof value === 'object' && value !== null && Array.isArray((value as { keys?: unknown }).keys);
}

/**
 * The issuer's signing keys: fetched on first use, refetched when stale or when a token names a key
 * the set lacks (the issuer rotated), at most once per cooldown counted from the last attempt, failed
 * or not (tokens with made-up key ids cannot make it ask more often). A failed refetch keeps the keys
 * held, so an outage of the issuer does not stop tokens signed with known keys.
 */
export class JwksKeys {
  private local: ReturnType<typeof import('jose').createLocalJWKSet> | undefined;
  private readonly jose = jose();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  /** When the last fetch began: the cooldown counts from it, so failed refetches are bounded too. */
  private attemptedAt = Number.NEGATIVE_INFINITY;
  /** Why the last fetch failed, until one succeeds. */
  private failure: unknown;
  private inflight: Promise<void> | undefined;

  constructor(private readonly options: JwksOptions) {}

  /** The `getKey` of `jwtVerify`. */
  readonly getKey: JwtKeyLookup = async (header, token) => {
    const { clock, maxAgeMs, cooldownMs } = this.options;
    const cooling = () => clock.now() - this.attemptedAt < cooldownMs;
    if (!this.local) await this.refresh();
    else if (clock.now() - this.fetchedAt > maxAgeMs && !cooling())
      await this.refresh().catch(() => undefined);
    try {
      return await this.local!(header as never, token as never);
    } catch (err) {
      if (!(err instanceof this.jose.errors.JWKSNoMatchingKey)) throw err;
      if (cooling()) {
        // The set could not be fetched lately: the key may be published, so the token may be fine.
        if (this.failure)
          throw new AuthServerUnavailableError(
            "The issuer's keys could not be fetched lately; retry shortly.",
            Math.max(1000, this.attemptedAt + cooldownMs - clock.now()),
          );
        throw new InvalidTokenError(
          'unknown_key',
          'The access token is signed with a key the issuer does not publish.',
        );
      }
      await this.refresh();
      try {
        return await this.local!(header as never, token as never);
      } catch (again) {
        if (again instanceof this.jose.errors.JWKSNoMatchingKey)
          throw new InvalidTokenError(
            'unknown_key',
            'The access token is signed with a key the issuer does not publish.',
          );
        throw again;
      }
    }
  };

  private refresh(): Promise<void> {
    if (this.inflight) return this.inflight;
    this.attemptedAt = this.options.clock.now();
    this.inflight = this.fetchKeys()
      .then(
        () => {
          this.failure = undefined;
        },
        (err: unknown) => {
          this.failure = err;
          throw err;
        },
      )
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    const url = await this.options.url();
    const body = await this.options.idp.json(url);
    if (!isJwks(body)) throw new AuthServerUnavailableError(`The JWKS at ${url} has no "keys" array.`, 5000);
    this.local = this.jose.createLocalJWKSet(body);
    this.fetchedAt = this.options.clock.now();
  }
}
