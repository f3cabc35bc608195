import type { Context } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import {
  AbortedError,
  type Clock,
  errorForLog,
  type Logger,
  noopLogger,
  systemClock,
} from '../core/index.js';
import { fresh, type IssuedToken, usable } from './issued-token.js';
import type { TokenStore } from './token-store.js';

export interface TokenKeeperOptions {
  /** Asks the identity provider for a new token. Called by one caller at a time, never concurrently. */
  /** `trace`: the context of the call that needs the token (the fetch's spans' parent). */
  fetch: (trace?: Context) => Promise<IssuedToken>;
  clock?: Clock;
  logger?: Logger;
  /** Shares tokens with other instances (Redis); `storeKey` names this token there. */
  store?: TokenStore | undefined;
  storeKey?: string;
  /**
   * How long an instance waits for another one's fetch (it holds the claim that long at most) before
   * it fetches itself. Default 15 000 ms: past the token endpoint's own timeout.
   */
  claimMs?: number;
  /** How often a waiting instance looks for the other one's token. Default 50 ms. */
  pollMs?: number;
  /** After a failed background refresh, the next one is tried this much later. Default 1 000 ms. */
  retryRefreshMs?: number;
}

const KEEP_ALIVE = { keepAlive: true } as const;

/**
 * One upstream token, fetched once however many calls need it at the same moment (single-flight),
 * replaced in the background once it is due while it keeps serving (so an identity provider outage
 * costs nothing until the token really expires), dropped when the upstream refuses it, and shared
 * with other instances through a {@link TokenStore}.
 *
 * @example
 * ```ts
 * const keeper = new TokenKeeper({ fetch: () => endpoint.clientCredentials() });
 * const token = await keeper.get();
 * // … the upstream answered 401:
 * keeper.rejected(token);
 * ```
 */
export class TokenKeeper {
  private token: IssuedToken | undefined;
  private flight: Promise<IssuedToken> | undefined;
  private nextRefreshTry = 0;
  private rejectedValue: string | undefined;
  private closed = false;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly claimMs: number;
  private readonly pollMs: number;
  private readonly retryRefreshMs: number;

  constructor(private readonly options: TokenKeeperOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? noopLogger;
    this.claimMs = options.claimMs ?? 15_000;
    this.pollMs = options.pollMs ?? 50;
    this.retryRefreshMs = options.retryRefreshMs ?? 1_000;
  }

  /** The token to send now: the held one while it is fresh; a shared fetch when none is usable. */
  get(signal?: AbortSignal, trace?: Context): Promise<IssuedToken> {
    const now = this.clock.now();
    const held = this.token;
    if (fresh(held, now)) return Promise.resolve(held);
    if (usable(held, now)) {
      this.refreshInBackground(now, trace);
      return Promise.resolve(held);
    }
    return abortable(this.shared('missing', trace), signal);
  }

  /** The upstream refused `token` (401): it is not sent again, here or (through the store) elsewhere. */
  rejected(token: IssuedToken): void {
    this.rejectedValue = token.value;
    if (this.token?.value === token.value) this.token = undefined;
    const { store, storeKey } = this.options;
    if (store && storeKey !== undefined)
      store.drop(storeKey, token).catch((err: unknown) => this.storeFailed('drop', err));
  }

  /** Forgets the held token; a fetch under way still settles for its waiters. */
  close(): void {
    this.closed = true;
    this.token = undefined;
  }

  private refreshInBackground(now: number, trace: Context | undefined): void {
    if (this.flight !== undefined || now < this.nextRefreshTry) return;
    this.shared('refresh', trace).catch((err: unknown) => {
      this.nextRefreshTry = this.clock.now() + this.retryRefreshMs;
      this.logger.warn(
        { event: 'credentials.refresh_failed', err: errorForLog(err) },
        'token refresh failed; the current token keeps serving until it expires',
      );
    });
  }

  /** The one fetch in flight, started when there is none. */
  /** `trace`: the context of the call that starts it (the fetch's spans are its children). */
  private shared(reason: 'missing' | 'refresh', trace: Context | undefined): Promise<IssuedToken> {
    this.flight ??= this.obtain(reason, trace)
      .then((token) => {
        if (!this.closed) this.token = token;
        return token;
      })
      .finally(() => {
        this.flight = undefined;
      });
    return this.flight;
  }

  private async obtain(reason: 'missing' | 'refresh', trace: Context | undefined): Promise<IssuedToken> {
    const { store, storeKey } = this.options;
    if (!store || storeKey === undefined) return this.options.fetch(trace);
    const stored = await this.read(store, storeKey);
    if (this.acceptable(stored, reason)) return stored!;
    const owner = randomUUID();
    // A store that does not answer must not stop calls: fetch as if alone.
    const claimed = await store
      .claim(storeKey, owner, this.claimMs)
      .catch((err: unknown) => this.storeFailed('claim', err, true));
    if (claimed) {
      try {
        // The instance that held the claim before may have stored its token just now.
        const theirs = await this.read(store, storeKey);
        if (this.acceptable(theirs, reason)) return theirs!;
        const token = await this.options.fetch(trace);
        await store.put(storeKey, token).catch((err: unknown) => this.storeFailed('put', err));
        return token;
      } finally {
        store.release(storeKey, owner).catch((err: unknown) => this.storeFailed('release', err));
      }
    }
    const deadline = this.clock.now() + this.claimMs;
    while (this.clock.now() < deadline) {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.pollMs, KEEP_ALIVE));
      const theirs = await this.read(store, storeKey);
      if (this.acceptable(theirs, 'refresh')) return theirs!;
    }
    // The instance holding the claim gave up or died: fetch ourselves.
    return this.options.fetch(trace);
  }

  private acceptable(token: IssuedToken | undefined, reason: 'missing' | 'refresh'): boolean {
    if (token === undefined || token.value === this.rejectedValue) return false;
    const now = this.clock.now();
    return reason === 'missing' ? usable(token, now) : fresh(token, now);
  }

  private read(store: TokenStore, key: string): Promise<IssuedToken | undefined> {
    return store.get(key).catch((err: unknown) => {
      this.storeFailed('get', err);
      return undefined;
    });
  }

  private storeFailed<T>(op: string, err: unknown, value?: T): T {
    this.logger.warn(
      { event: 'credentials.store_failed', op, err: errorForLog(err) },
      'shared token store failed; this instance fetches its own token',
    );
    return value as T;
  }
}

/** `promise`, or an `AbortedError` as soon as `signal` aborts (the shared fetch itself goes on). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted)
    return Promise.reject(new AbortedError('the call was aborted while waiting for a token'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError('the call was aborted while waiting for a token'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
