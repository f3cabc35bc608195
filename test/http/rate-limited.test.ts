import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import {
  type HttpClientOptions,
  type HttpMetricsEvent,
  HttpStatusError,
  RateLimitedError,
  UpstreamRateLimitedError,
} from '../../src/http/index.js';
import { finalError } from '../../src/http/retry-rules.js';
import { RateLimitExceededError } from '../../src/resilience/index.js';
import { httpTestHarness } from './harness.js';
import { sendJson } from './server.js';

const { serve } = httpTestHarness();

/** An upstream that answers every request 429 with `Retry-After: <retryAfter>`, and a client on it. */
const setup = (retryAfter: string | undefined, options: Partial<HttpClientOptions> = {}) =>
  serve(
    (_req, res) =>
      sendJson(
        res,
        429,
        { error: 'slow down' },
        retryAfter !== undefined ? { 'retry-after': retryAfter } : {},
      ),
    options,
  );

describe('an upstream 429 that outlasts the retries', () => {
  it('ends as UPSTREAM_RATE_LIMITED (still an HttpStatusError 429 with its Retry-After), after every attempt', async () => {
    const metrics: HttpMetricsEvent[] = [];
    const { server, client } = await setup('0', {
      retry: { maxAttempts: 3, baseDelayMs: 0 },
      breaker: false,
      onMetrics: (e) => metrics.push(e),
    });
    const err = (await client.get('/items/1').catch((e: unknown) => e)) as UpstreamRateLimitedError;
    expect(server.seen).toHaveLength(3);
    expect(err).toBeInstanceOf(UpstreamRateLimitedError);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(err.status).toBe(429);
    expect(err.retryAfterMs).toBe(0);
    expect(err.bodyExcerpt).toContain('slow down');
    expect(err.message).toMatch(/GET .*\/items\/1 was rate limited by the upstream \(429/);
    expect(err.toJSON()).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', status: 429, method: 'GET' });
    // The upstream metrics keep the status (the label they use), with the final code.
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({ status: 429, errorCode: 'UPSTREAM_RATE_LIMITED', attempts: 3 });
  });

  it('ends as UPSTREAM_RATE_LIMITED when a Retry-After longer than maxDelayMs stops the retries at once', async () => {
    const clock = new ManualClock(0);
    const { server, client } = await setup('120', {
      clock,
      timeouts: { totalMs: 0 },
      retry: { maxDelayMs: 30_000 },
    });
    const err = (await client.get('/limited').catch((e: unknown) => e)) as UpstreamRateLimitedError;
    expect(server.seen).toHaveLength(1);
    expect(err.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(err.retryAfterMs).toBe(120_000);
    expect(err.message).toContain('retry after 120000 ms');
  });

  it('ends as UPSTREAM_RATE_LIMITED for a call that may not be retried (POST without Idempotency-Key)', async () => {
    const { server, client } = await setup(undefined, { retry: { baseDelayMs: 0 } });
    const err = (await client
      .post('/orders', { json: { a: 1 } })
      .catch((e: unknown) => e)) as HttpStatusError;
    expect(server.seen).toHaveLength(1);
    expect(err.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.message).toContain('retry later');
  });

  it('never opens the breaker on 429s, however many: the upstream is up, it asks to slow down', async () => {
    const { server, client } = await setup('0', {
      retry: false,
      breaker: { model: { kind: 'consecutive', threshold: 2 } },
    });
    for (let i = 0; i < 5; i++) await client.get('/a').catch(() => {});
    expect(server.seen).toHaveLength(5);
    expect(client.breakerSnapshot?.state).toBe('closed');
    // Neutral, not a success either: the 429s are not counted as calls of the window.
    expect(client.breakerSnapshot?.calls).toBe(0);
  });
});

describe("an upstream 429's Retry-After holds the calls to that upstream", () => {
  /** 429 with `Retry-After: 30` while `limited`, else 200. */
  const limitedUpstream = async (options: Partial<HttpClientOptions> = {}) => {
    const state = { limited: true };
    const clock = new ManualClock(1_000_000);
    const metrics: HttpMetricsEvent[] = [];
    const { server, client } = await serve(
      (_req, res) =>
        state.limited
          ? sendJson(res, 429, { error: 'slow down' }, { 'retry-after': '30' })
          : sendJson(res, 200, { ok: true }),
      {
        clock,
        timeouts: { totalMs: 0 },
        retry: { maxDelayMs: 1000 },
        breaker: { model: { kind: 'consecutive', threshold: 1 } },
        onMetrics: (e) => metrics.push(e),
        ...options,
      },
    );
    return { state, clock, metrics, server, client };
  };

  it('answers UPSTREAM_RATE_LIMITED with what is left of the Retry-After, sends nothing, and never opens the breaker', async () => {
    const { state, clock, metrics, server, client } = await limitedUpstream();
    const first = (await client
      .get('/items/{id}', { params: { id: '1' } })
      .catch((e: unknown) => e)) as UpstreamRateLimitedError;
    expect(server.seen).toHaveLength(1);
    expect(first).toMatchObject({
      code: 'UPSTREAM_RATE_LIMITED',
      status: 429,
      retryAfterMs: 30_000,
      held: false,
    });

    clock.advance(10_000);
    const held = (await client.get('/other').catch((e: unknown) => e)) as UpstreamRateLimitedError;
    expect(server.seen).toHaveLength(1); // not sent
    expect(held).toBeInstanceOf(UpstreamRateLimitedError);
    expect(held).toMatchObject({
      code: 'UPSTREAM_RATE_LIMITED',
      status: 429,
      retryAfterMs: 20_000,
      held: true,
    });
    expect(held.message).toMatch(
      /GET .*\/other was not sent: the upstream is rate limiting .*retry after 20000 ms/,
    );
    expect(client.breakerSnapshot?.state).toBe('closed');
    // The held call reached no upstream: its metrics event says so (0 attempts).
    expect(metrics.map((m) => [m.errorCode, m.attempts])).toEqual([
      ['UPSTREAM_RATE_LIMITED', 1],
      ['UPSTREAM_RATE_LIMITED', 0],
    ]);

    state.limited = false;
    clock.advance(20_000); // the announced time
    const res = await client.get('/other');
    expect(res.status).toBe(200);
    expect(server.seen).toHaveLength(2);
  });

  it('caps the hold at retryAfterHold.maxMs, and sends every call with retryAfterHold: false', async () => {
    const capped = await limitedUpstream({ retryAfterHold: { maxMs: 5_000 } });
    await capped.client.get('/a').catch(() => {});
    capped.clock.advance(4_000);
    expect(await capped.client.get('/a').catch((e: unknown) => e)).toMatchObject({
      held: true,
      retryAfterMs: 1_000,
    });
    capped.state.limited = false;
    capped.clock.advance(1_000);
    expect((await capped.client.get('/a')).status).toBe(200);

    const off = await limitedUpstream({ retryAfterHold: false });
    await off.client.get('/a').catch(() => {});
    const again = await off.client.get('/a').catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', held: false });
    expect(off.server.seen).toHaveLength(2);
  });
});

describe('finalError', () => {
  it('maps the upstream 429 to UPSTREAM_RATE_LIMITED and the client-side limit to RATE_LIMITED, and leaves everything else alone', () => {
    const e429 = new HttpStatusError({
      status: 429,
      method: 'GET',
      url: 'u',
      bodyExcerpt: '',
      retryAfterMs: 5,
    });
    const mapped = finalError(e429, 'api') as UpstreamRateLimitedError;
    expect(mapped).toBeInstanceOf(UpstreamRateLimitedError);
    expect(mapped.retryAfterMs).toBe(5);
    // Idempotent: an already mapped error is returned as is.
    expect(finalError(mapped, 'api')).toBe(mapped);
    const local = finalError(new RateLimitExceededError(250, 100), 'api') as RateLimitedError;
    expect(local).toBeInstanceOf(RateLimitedError);
    expect(local.retryAfterMs).toBe(250);
    expect([mapped.code, local.code]).toEqual(['UPSTREAM_RATE_LIMITED', 'RATE_LIMITED']);
    const e503 = new HttpStatusError({ status: 503, method: 'GET', url: 'u', bodyExcerpt: '' });
    expect(finalError(e503, 'api')).toBe(e503);
    const other = new Error('x');
    expect(finalError(other, 'api')).toBe(other);
  });
});
