import type { RedisDriver } from '../redis/index.js';
import type { IssuedToken } from './issued-token.js';
import type { TokenStore } from './token-store.js';

function encode(token: IssuedToken): string {
  return JSON.stringify({ v: token.value, e: token.expiresAt, r: token.refreshAt });
}

function decode(text: string | null): IssuedToken | undefined {
  if (text === null) return undefined;
  try {
    const o = JSON.parse(text) as { v?: unknown; e?: unknown; r?: unknown };
    if (typeof o.v !== 'string' || typeof o.e !== 'number' || typeof o.r !== 'number') return undefined;
    return { value: o.v, expiresAt: o.e, refreshAt: o.r };
  } catch {
    return undefined;
  }
}

/**
 * Tokens shared through Redis: `<key>` holds the token until it expires, `<key>:claim` names the
 * instance fetching a new one. `now` (the clock) sets how long an entry lives.
 */
export function redisTokenStore(driver: RedisDriver, now: () => number): TokenStore {
  return {
    async get(key) {
      return decode(await driver.get(key));
    },
    async put(key, token) {
      const ttl = token.expiresAt - now();
      if (ttl > 0) await driver.set(key, encode(token), ttl);
    },
    drop(key, token) {
      return driver.deleteIfEquals(key, encode(token));
    },
    claim(key, owner, ttlMs) {
      return driver.setIfAbsent(`${key}:claim`, owner, ttlMs);
    },
    release(key, owner) {
      return driver.deleteIfEquals(`${key}:claim`, owner);
    },
  };
}
