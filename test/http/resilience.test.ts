import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AbortedError, createRecordingLogger, ManualClock } from '../../src/core/index.js';
import {
  BulkheadRejectedError,
  CircuitOpenError,
  type HttpMetricsEvent,
  HttpStatusError,
  RateLimitedError,
  RequestValidationError,
  TimeoutError,
} from '../../src/http/index.js';
import { type Handler, httpTestHarness } from './harness.js';
import { sendJson } from './server.js';

const { serve } = httpTestHarness();

/** A handler that answers from a script, one entry per request, repeating the last. */
function script(...steps: ((res: Parameters<Handler>[1], req: Parameters<Handler>[0]) => void)[]) {
  let i = 0;
  return (req: Parameters<Handler>[0], res: Parameters<Handler>[1]) => {
    const step = steps[Math.min(i++, steps.length - 1)]!;
    step(res, req);
  };
}

const ok = (res: Parameters<Handler>[1]) => sendJson(res, 200, { ok: true });
const status =
  (code: number, headers: Record<string, string> = {}) =>
  (res: Parameters<Handler>[1]) =>
    sendJson(res, code, { error: code }, headers);

/** Resolves with the delay of the next retry the client schedules. */
function retryProbe() {
  const delays: { delayMs: number; fromRetryAfter: boolean }[] = [];
  let wake: (() => void) | undefined;
  return {
    delays,
    onRetry: (e: { delayMs: number; fromRetryAfter: boolean }) => {
      delays.push({ delayMs: e.delayMs, fromRetryAfter: e.fromRetryAfter });
      wake?.();
    },
    next: () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      }),
  };
}

describe('retry', () => {
  it('retries a 500 and returns the 200 that follows', async () => {
    const logger = createRecordingLogger();
    const metrics: HttpMetricsEvent[] = [];
    const { server, client } = await serve(script(status(500), ok), {
      retry: { baseDelayMs: 0 },
      logger,
      onMetrics: (m) => metrics.push(m),
    });
    const res = await client.get('/flaky');
    expect(res.json()).toEqual({ ok: true });
    expect(res.attempts).toBe(2);
    expect(server.seen).toHaveLength(2);
    expect(metrics).toEqual([expect.objectContaining({ status: 200, attempts: 2, route: '/flaky' })]);
    const retry = logger.records.find((r) => r.event === 'http.retry');
    expect(retry).toMatchObject({ attempt: 2, reason: 'HTTP_STATUS', status: 500, route: '/flaky' });
    expect(
      logger.records.filter((r) => r.event === 'http.response').map((r) => [r.status, r.attempt]),
    ).toEqual([
      [500, 1],
      [200, 2],
    ]);
  });

  it('retries a connection reset on GET', async () => {
    const { server, client } = await serve(
      script((_res, req) => req.socket.destroy(), ok),
      {
        retry: { baseDelayMs: 0 },
      },
    );
    expect((await client.get('/reset')).status).toBe(200);
    expect(server.seen).toHaveLength(2);
  });

  it.each([400, 401, 403, 404, 409, 422])('never retries a %i', async (code) => {
    const { server, client } = await serve(script(status(code), ok), { retry: { baseDelayMs: 0 } });
    const err = (await client.get('/x').catch((e: unknown) => e)) as HttpStatusError;
    expect(err.status).toBe(code);
    expect(server.seen).toHaveLength(1);
  });

  it('honours Retry-After in seconds on 429', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
    const probe = retryProbe();
    const { server, client } = await serve(script(status(429, { 'retry-after': '7' }), ok), {
      clock,
      timeouts: { totalMs: 0 },
      retry: { onRetry: probe.onRetry },
    });
    const retried = probe.next();
    const p = client.get('/limited');
    await retried;
    expect(probe.delays).toEqual([{ delayMs: 7000, fromRetryAfter: true }]);
    await clock.advanceAsync(6999);
    expect(server.seen).toHaveLength(1);
    await clock.advanceAsync(1);
    expect((await p).status).toBe(200);
    expect(server.seen).toHaveLength(2);
  });

  it('honours Retry-After as an HTTP-date on 429', async () => {
    const start = Date.parse('2026-03-01T12:00:00Z');
    const clock = new ManualClock(start);
    const probe = retryProbe();
    const { client } = await serve(
      script(status(429, { 'retry-after': new Date(start + 5000).toUTCString() }), ok),
      { clock, timeouts: { totalMs: 0 }, retry: { onRetry: probe.onRetry } },
    );
    const retried = probe.next();
    const p = client.get('/limited');
    await retried;
    expect(probe.delays).toEqual([{ delayMs: 5000, fromRetryAfter: true }]);
    await clock.advanceAsync(5000);
    expect((await p).status).toBe(200);
  });

  it('falls back to backoff when a 503 carries a malformed Retry-After', async () => {
    const clock = new ManualClock(0);
    const probe = retryProbe();
    const { client } = await serve(script(status(503, { 'retry-after': 'soon-ish' }), ok), {
      clock,
      timeouts: { totalMs: 0 },
      retry: { onRetry: probe.onRetry, baseDelayMs: 250, jitter: 'none' },
    });
    const retried = probe.next();
    const p = client.get('/busy');
    await retried;
    expect(probe.delays).toEqual([{ delayMs: 250, fromRetryAfter: false }]);
    await clock.advanceAsync(250);
    expect((await p).status).toBe(200);
  });

  it('fails at once with the 503 when its Retry-After outlasts the total deadline', async () => {
    const clock = new ManualClock(0);
    const probe = retryProbe();
    const { server, client } = await serve(script(status(503, { 'retry-after': '60' }), ok), {
      clock,
      timeouts: { totalMs: 5000 },
      retry: { onRetry: probe.onRetry },
    });
    const err = (await client.get('/down').catch((e: unknown) => e)) as HttpStatusError;
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err.status).toBe(503);
    expect(err.retryAfterMs).toBe(60_000);
    expect(probe.delays).toEqual([]);
    expect(server.seen).toHaveLength(1);
    expect(clock.now()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('never retries before a Retry-After longer than maxDelayMs: fails at once with the 429', async () => {
    const clock = new ManualClock(0);
    const probe = retryProbe();
    const { server, client } = await serve(script(status(429, { 'retry-after': '120' }), ok), {
      clock,
      timeouts: { totalMs: 0 },
      retry: { onRetry: probe.onRetry, maxDelayMs: 30_000 },
    });
    const err = (await client.get('/limited').catch((e: unknown) => e)) as HttpStatusError;
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err.status).toBe(429);
    expect(err.retryAfterMs).toBe(120_000);
    expect(probe.delays).toEqual([]);
    expect(server.seen).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it('does not retry a POST without an Idempotency-Key', async () => {
    const { server, client } = await serve(script(status(503), ok), { retry: { baseDelayMs: 0 } });
    const err = (await client
      .post('/orders', { json: { sku: 1 } })
      .catch((e: unknown) => e)) as HttpStatusError;
    expect(err.status).toBe(503);
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]!.headers['idempotency-key']).toBeUndefined();
  });

  it('retries a POST with an Idempotency-Key, sending the same key each time', async () => {
    const { server, client } = await serve(script(status(503), status(502), ok), {
      retry: { baseDelayMs: 0 },
    });
    const res = await client.post('/orders', { json: { sku: 1 }, idempotencyKey: true });
    expect(res.attempts).toBe(3);
    const keys = server.seen.map((s) => s.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    // A second call gets a fresh key.
    await client.post('/orders', { json: { sku: 2 }, idempotencyKey: true });
    expect(server.seen[3]!.headers['idempotency-key']).not.toBe(keys[0]);
  });

  it('adds keys to every POST/PATCH with autoIdempotencyKey, and keeps a caller-supplied key', async () => {
    const { server, client } = await serve(script(status(500), ok), {
      retry: { baseDelayMs: 0 },
      autoIdempotencyKey: true,
    });
    await client.patch('/orders/1', { json: { qty: 2 } });
    expect(server.seen).toHaveLength(2);
    expect(server.seen[0]!.headers['idempotency-key']).toBe(server.seen[1]!.headers['idempotency-key']);
    await client.post('/orders', { json: {}, idempotencyKey: 'order-42' });
    expect(server.seen[2]!.headers['idempotency-key']).toBe('order-42');
  });
});

describe('cancellation during waits', () => {
  it('rejects at once when the caller aborts during a retry backoff', async () => {
    const clock = new ManualClock(0);
    const probe = retryProbe();
    const { server, client } = await serve(script(status(503)), {
      clock,
      retry: { onRetry: probe.onRetry, baseDelayMs: 60_000, jitter: 'none' },
    });
    const ac = new AbortController();
    const retried = probe.next();
    const p = client.get('/down', { signal: ac.signal }).catch((e: unknown) => e);
    await retried;
    ac.abort();
    expect(await p).toBeInstanceOf(AbortedError);
    expect(server.seen).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it('takes a call out of the bulkhead queue when its caller aborts, before any request of it', async () => {
    const clock = new ManualClock(0);
    const { server, client } = await serve(() => {}, {
      clock,
      timeouts: { totalMs: 60_000 },
      bulkhead: { maxConcurrent: 1, maxQueue: 1 },
    });
    const running = client.get('/hang').catch((e: unknown) => e);
    await server.received(1);
    const ac = new AbortController();
    const queued = client.get('/hang', { signal: ac.signal }).catch((e: unknown) => e);
    ac.abort();
    expect(await queued).toBeInstanceOf(AbortedError);
    expect(server.seen).toHaveLength(1);
    await clock.advanceAsync(60_000);
    expect(await running).toBeInstanceOf(TimeoutError);
    expect(clock.pending()).toBe(0);
  });

  it('applies the total deadline to calls waiting in the bulkhead queue', async () => {
    const clock = new ManualClock(0);
    const { server, client } = await serve(() => {}, {
      clock,
      timeouts: { totalMs: 1000 },
      bulkhead: { maxConcurrent: 1, maxQueue: 1 },
    });
    const running = client.get('/hang').catch((e: unknown) => e);
    await server.received(1);
    const queued = client.get('/hang').catch((e: unknown) => e);
    await clock.advanceAsync(1000);
    for (const err of [await running, await queued]) {
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as TimeoutError).phase).toBe('total');
    }
    expect(server.seen).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });
});

describe('circuit breaker', () => {
  it('opens across concurrent requests, fails fast with a retry time, and recovers', async () => {
    const clock = new ManualClock(1_000_000);
    let healthy = false;
    const { server, client } = await serve((_req, res) => (healthy ? ok(res) : status(500)(res)), {
      clock,
      retry: false,
      timeouts: { totalMs: 0 },
      breaker: { model: { kind: 'consecutive', threshold: 3 }, recoveryMs: 10_000 },
    });
    const first = await Promise.allSettled([
      client.get('/a'),
      client.get('/b/{id}', { params: { id: 1 } }),
      client.get('/c'),
    ]);
    expect(first.every((r) => r.status === 'rejected' && r.reason instanceof HttpStatusError)).toBe(true);
    expect(client.breakerSnapshot?.state).toBe('open');
    // The deprecated old names read the same copies.
    expect(client.breaker).toEqual(client.breakerSnapshot);
    expect(client.breakers).toEqual(client.breakerSnapshots);

    const open = (await client.get('/a').catch((e: unknown) => e)) as CircuitOpenError;
    expect(open).toBeInstanceOf(CircuitOpenError);
    expect(open.code).toBe('CIRCUIT_OPEN');
    expect(open.retryAfterMs).toBe(10_000);
    expect(open.retryAt).toBe(1_010_000);
    expect(server.seen).toHaveLength(3);

    healthy = true;
    clock.advance(10_000);
    expect((await client.get('/a')).status).toBe(200);
    expect(client.breakerSnapshot?.state).toBe('closed');
    expect(server.seen).toHaveLength(4);
  });

  it('does not count 4xx other than 408/429 as failures', async () => {
    const { client } = await serve(script(status(404)), {
      retry: false,
      breaker: { model: { kind: 'consecutive', threshold: 2 } },
    });
    for (let i = 0; i < 5; i++) await client.get('/missing').catch(() => {});
    expect(client.breakerSnapshot?.state).toBe('closed');
  });

  it('does not count a 429 as a failure (the upstream is up and rate limiting)', async () => {
    const { server, client } = await serve(script(status(429)), {
      retry: false,
      breaker: { model: { kind: 'consecutive', threshold: 2 } },
    });
    for (let i = 0; i < 3; i++) await client.get('/limited').catch(() => {});
    expect(server.seen).toHaveLength(3);
    expect(client.breakerSnapshot?.state).toBe('closed');
  });

  it('a request undici refuses to send (a header with a line break) is the caller’s error: not retried, not counted', async () => {
    const { server, client } = await serve(script(ok), {
      retry: { maxAttempts: 3, baseDelayMs: 0 },
      breaker: { model: { kind: 'consecutive', threshold: 2 } },
    });
    for (let i = 0; i < 4; i++) {
      const err = await client
        .get('/a', { headers: { 'x-note': 'a\r\nx-injected: 1' } })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestValidationError);
    }
    expect(server.seen).toHaveLength(0);
    expect(client.breakerSnapshot?.state).toBe('closed');
    expect((await client.get('/a')).status).toBe(200);
  });

  it('stops retrying once the breaker opens', async () => {
    const { server, client } = await serve(script(status(503)), {
      retry: { maxAttempts: 5, baseDelayMs: 0 },
      breaker: { model: { kind: 'consecutive', threshold: 2 } },
    });
    const err = await client.get('/down').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(server.seen).toHaveLength(2);
  });
});

describe('bulkhead and rate limit', () => {
  it('rejects calls beyond the bulkhead', async () => {
    let release: (() => void) | undefined;
    const { server, client } = await serve(
      (_req, res) => {
        release = () => ok(res);
      },
      { bulkhead: { maxConcurrent: 1, maxQueue: 0 } },
    );
    const first = client.get('/slow');
    await server.received(1);
    await expect(client.get('/slow')).rejects.toBeInstanceOf(BulkheadRejectedError);
    release!();
    expect((await first).status).toBe(200);
  });

  it('keeps under the client-side rate limit', async () => {
    const clock = new ManualClock(0);
    const { server, client } = await serve(script(ok), {
      clock,
      rateLimit: { ratePerSec: 2, burst: 1, maxWaitMs: 100 },
    });
    await client.get('/a');
    const err = (await client.get('/a').catch((e: unknown) => e)) as RateLimitedError;
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryAfterMs).toBe(500);
    expect(server.seen).toHaveLength(1);
    clock.advance(500);
    await client.get('/a');
    expect(server.seen).toHaveLength(2);
  });
});

describe('a success whose body is not the JSON the call expected', () => {
  const garbage = (res: Parameters<Handler>[1]) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('<html>502 from a proxy, sent as 200</html>');
  };
  const breaker = { model: { kind: 'consecutive' as const, threshold: 2 } };

  it('fails with RESPONSE_INVALID_JSON and counts against the breaker, which then opens', async () => {
    const { server, client } = await serve(script(garbage), { retry: false, breaker });
    const schema = z.unknown();
    for (let i = 0; i < 2; i++)
      await expect(client.getJson('/items', { schema })).rejects.toMatchObject({
        code: 'RESPONSE_INVALID_JSON',
      });
    expect(client.breakerSnapshot?.state).toBe('open');
    await expect(client.getJson('/items', { schema })).rejects.toBeInstanceOf(CircuitOpenError);
    expect(server.seen).toHaveLength(2);
  });

  it("with expectJson: 'if-declared' only a body declared as JSON is held to it", async () => {
    const { client } = await serve(
      script((res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('not json, and says so');
      }, garbage),
      { retry: false, breaker },
    );
    const text = await client.get('/a', { expectJson: 'if-declared' });
    expect(text.text()).toBe('not json, and says so');
    await expect(client.get('/a', { expectJson: 'if-declared' })).rejects.toMatchObject({
      code: 'RESPONSE_INVALID_JSON',
    });
    expect(client.breakerSnapshot?.failures).toBe(1);
  });

  it('a valid body is parsed once and kept for res.json()', async () => {
    const { client } = await serve(script(ok), { retry: false, breaker });
    const res = await client.get('/a', { expectJson: true });
    expect(res.parsedJson).toBe(true);
    expect(res.json()).toEqual({ ok: true });
  });

  it('with breaker.countInvalidJson: false the breaker never sees it (the call still fails when read as JSON)', async () => {
    const { client } = await serve(script(garbage), {
      retry: false,
      breaker: { ...breaker, countInvalidJson: false },
    });
    const schema = z.unknown();
    for (let i = 0; i < 3; i++)
      await expect(client.getJson('/items', { schema })).rejects.toMatchObject({
        code: 'RESPONSE_INVALID_JSON',
      });
    expect(client.breakerSnapshot?.state).toBe('closed');
  });
});
