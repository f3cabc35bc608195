import type { IssuedToken } from './issued-token.js';

/**
 * Where instances share the tokens they fetched, so N gateway instances ask the identity provider
 * once, not N times. The Redis one is {@link redisTokenStore}; without one, each instance keeps its own.
 */
export interface TokenStore {
  get(key: string): Promise<IssuedToken | undefined>;
  /** Stores `token` until its expiry. */
  put(key: string, token: IssuedToken): Promise<void>;
  /** Removes `token` under `key` when it is still the one stored (an upstream refused it). */
  drop(key: string, token: IssuedToken): Promise<void>;
  /** Takes the right to fetch `key` for `ttlMs`; false when another instance holds it. */
  claim(key: string, owner: string, ttlMs: number): Promise<boolean>;
  release(key: string, owner: string): Promise<void>;
}
