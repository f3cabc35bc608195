import { type Clock, LruMap } from '../core/index.js';
import { InvalidTokenError, type TokenRejection } from './errors.js';

/**
 * Why a token can be refused again without asking: the answer would not change. A token not valid
 * yet may become valid, and an unknown key may be published next (the JWKS cooldown bounds those).
 */
const FINAL: ReadonlySet<TokenRejection> = new Set<TokenRejection>([
  'malformed',
  'signature',
  'algorithm',
  'expired',
  'issuer',
  'audience',
  'type',
  'inactive',
  'no_subject',
]);

interface Refusal {
  readonly reason: TokenRejection;
  readonly message: string;
  readonly until: number;
}

/**
 * Tokens refused lately, by digest, for `ttlMs`: a client repeating a revoked or unknown token is
 * refused from memory, not by another introspection or signature check each time. At most
 * `maxEntries` (least recently used go first), so a flood of distinct garbage costs bounded memory.
 */
export class RefusedTokens {
  private readonly entries: LruMap<string, Refusal>;

  constructor(private readonly options: { maxEntries: number; ttlMs: number; clock: Clock }) {
    this.entries = new LruMap(options.maxEntries);
  }

  /** The refusal of `digest`, made anew, while it is remembered. */
  get(digest: string): InvalidTokenError | undefined {
    const r = this.entries.get(digest);
    if (!r) return undefined;
    if (r.until <= this.options.clock.now()) {
      this.entries.delete(digest);
      return undefined;
    }
    return new InvalidTokenError(r.reason, r.message);
  }

  /** Remembers `err` when it is a final refusal of the token; anything else is asked again. */
  note(digest: string, err: unknown): void {
    if (this.options.ttlMs <= 0 || !(err instanceof InvalidTokenError) || !FINAL.has(err.reason)) return;
    const until = this.options.clock.now() + this.options.ttlMs;
    this.entries.set(digest, { reason: err.reason, message: err.message, until });
  }
}
