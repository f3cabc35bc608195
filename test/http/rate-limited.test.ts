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

  it('still counts 429s against the breaker (the attempts are plain HttpStatusErrors)', async () => {
    const { client } = await setup('0', {
      retry: false,
      breaker: { model: { kind: 'consecutive', threshold: 2 } },
    });
    for (let i = 0; i < 2; i++) await client.get('/a').catch(() => {});
    expect(client.breaker?.state).toBe('open');
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
