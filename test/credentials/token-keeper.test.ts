import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { type IssuedToken, issuedToken, TokenKeeper, type TokenStore } from '../../src/credentials/index.js';
import { deferred } from '../helpers/deferred.js';

/** A token endpoint the test answers by hand: each fetch waits on its own deferred. */
function scriptedEndpoint(clock: ManualClock) {
  const pending: ReturnType<typeof deferred<IssuedToken>>[] = [];
  let n = 0;
  return {
    pending,
    get calls() {
      return n;
    },
    fetch: () => {
      n++;
      const d = deferred<IssuedToken>();
      pending.push(d);
      return d.promise;
    },
    /** Answers the oldest open fetch with a token of `lifetimeS` seconds. */
    answer(value: string, lifetimeS = 300) {
      pending.shift()!.resolve(issuedToken(value, lifetimeS, clock.now(), 60_000));
    },
    fail(err: Error) {
      pending.shift()!.reject(err);
    },
  };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('TokenKeeper', () => {
  it('fetches once however many calls wait for the first token', async () => {
    const clock = new ManualClock(1_000_000);
    const idp = scriptedEndpoint(clock);
    const keeper = new TokenKeeper({ fetch: idp.fetch, clock });
    const waiting = Array.from({ length: 50 }, () => keeper.get());
    await flush();
    expect(idp.calls).toBe(1);
    idp.answer('t1');
    const tokens = await Promise.all(waiting);
    expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['t1']));
    expect(idp.calls).toBe(1);
  });

  it('serves the held token without a fetch while it is fresh', async () => {
    const clock = new ManualClock(1_000_000);
    const idp = scriptedEndpoint(clock);
    const keeper = new TokenKeeper({ fetch: idp.fetch, clock });
    const first = keeper.get();
    await flush();
    idp.answer('t1', 300);
    await first;
    clock.advance(239_000); // refresh is due at 240 s (300 s - 60 s ahead)
    expect((await keeper.get()).value).toBe('t1');
    expect(idp.calls).toBe(1);
  });

  it('refreshes ahead of expiry with one request while the old token keeps serving', async () => {
    const clock = new ManualClock(1_000_000);
    const idp = scriptedEndpoint(clock);
    const keeper = new TokenKeeper({ fetch: idp.fetch, clock });
    const first = keeper.get();
    await flush();
    idp.answer('t1', 300);
    await first;
    clock.advance(250_000); // due, not expired
    const during = await Promise.all(Array.from({ length: 20 }, () => keeper.get()));
    expect(during.every((t) => t.value === 't1')).toBe(true);
    await flush();
    expect(idp.calls).toBe(2);
    idp.answer('t2', 300);
    await flush();
    expect((await keeper.get()).value).toBe('t2');
    expect(idp.calls).toBe(2);
  });

  it('keeps serving a still-valid token while the identity provider fails, and retries later', async () => {
    const clock = new ManualClock(1_000_000);
    const idp = scriptedEndpoint(clock);
    const keeper = new TokenKeeper({ fetch: idp.fetch, clock, retryRefreshMs: 1_000 });
    const first = keeper.get();
    await flush();
    idp.answer('t1', 300);
    await first;
    clock.advance(250_000);
    expect((await keeper.get()).value).toBe('t1');
    await flush();
    idp.fail(new Error('idp down'));
    await flush();
    // Within the retry pause: no new request, the old token serves.
    expect((await keeper.get()).value).toBe('t1');
    expect(idp.calls).toBe(2);
    clock.advance(1_000);
    expect((await keeper.get()).value).toBe('t1');
    await flush();
    expect(idp.calls).toBe(3);
    idp.answer('t2');
    await flush();
    expect((await keeper.get()).value).toBe('t2');
  });

  it('once the token expired, every waiting call shares one fetch and its failure', async () => {
    const clock = new ManualClock(1_000_000);
    const idp = scriptedEndpoint(clock);
    const keeper = new TokenKeeper({ fetch: idp.fetch, clock });
    const first = keeper.get();
    await flush();
    idp.answer('t1', 100);
    await first;
    clock.advance(100_000);
    const waiting = Array.from({ length: 10 }, () => keeper.get());
    await flush();
    expect(idp.calls).toBe(2);
    idp.fail(new Error('idp down'));
    const results = await Promise.allSettled(waiting);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(idp.calls).toBe(2);
  });

  it('drops a token the upstream refused and fetches once for all calls refused with it', async () => {
    const clock = new ManualClock(1_000_000);
    const idp = scriptedEndpoint(clock);
    const keeper = new TokenKeeper({ fetch: idp.fetch, clock });
    const first = keeper.get();
    await flush();
    idp.answer('t1');
    const t1 = await first;
    for (let i = 0; i < 5; i++) keeper.rejected(t1);
    const again = Array.from({ length: 5 }, () => keeper.get());
    await flush();
    expect(idp.calls).toBe(2);
    idp.answer('t2');
    expect((await Promise.all(again)).map((t) => t.value)).toEqual(['t2', 't2', 't2', 't2', 't2']);
    // A late refusal of the old token does not throw away the new one.
    keeper.rejected(t1);
    expect((await keeper.get()).value).toBe('t2');
    expect(idp.calls).toBe(2);
  });

  it('does not keep a token that was issued already expired', async () => {
    const clock = new ManualClock(1_000_000);
    const idp = scriptedEndpoint(clock);
    const keeper = new TokenKeeper({ fetch: idp.fetch, clock });
    const first = keeper.get();
    await flush();
    idp.answer('dead', 0);
    expect((await first).value).toBe('dead');
    const next = keeper.get();
    await flush();
    expect(idp.calls).toBe(2);
    idp.answer('t2');
    expect((await next).value).toBe('t2');
  });

  it("a caller's abort rejects that caller only; the shared fetch goes on for the others", async () => {
    const clock = new ManualClock(1_000_000);
    const idp = scriptedEndpoint(clock);
    const keeper = new TokenKeeper({ fetch: idp.fetch, clock });
    const controller = new AbortController();
    const aborted = keeper.get(controller.signal);
    const other = keeper.get();
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    idp.answer('t1');
    expect((await other).value).toBe('t1');
    expect(idp.calls).toBe(1);
  });

  it('adopts a token another instance stored instead of fetching', async () => {
    const clock = new ManualClock(1_000_000);
    const idp = scriptedEndpoint(clock);
    const stored = issuedToken('theirs', 300, clock.now(), 60_000);
    const store: TokenStore = {
      get: async () => stored,
      put: async () => {},
      drop: async () => {},
      claim: async () => true,
      release: async () => {},
    };
    const keeper = new TokenKeeper({ fetch: idp.fetch, clock, store, storeKey: 'k' });
    expect((await keeper.get()).value).toBe('theirs');
    expect(idp.calls).toBe(0);
  });

  it('fetches itself when the shared store fails', async () => {
    const clock = new ManualClock(1_000_000);
    const idp = scriptedEndpoint(clock);
    const down = async () => {
      throw new Error('redis down');
    };
    const store: TokenStore = { get: down, put: down, drop: down, claim: down, release: down };
    const keeper = new TokenKeeper({ fetch: idp.fetch, clock, store, storeKey: 'k' });
    const got = keeper.get();
    await flush();
    expect(idp.calls).toBe(1);
    idp.answer('mine');
    expect((await got).value).toBe('mine');
  });
});
