import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Writable } from 'node:stream';
import { AbortedError, createLogger, createRecordingLogger, ManualClock } from '../../src/core/index.js';
import {
  createHttpClient,
  type HttpClientOptions,
  type HttpMetricsEvent,
  HttpClientClosedError,
  HttpStatusError,
  InvalidJsonError,
  InvalidPathError,
  NetworkError,
  ResponseTooLargeError,
  ResponseValidationError,
  TimeoutError,
} from '../../src/http/index.js';
import { type Handler, httpTestHarness } from './harness.js';
import { sendJson } from './server.js';

const { serve } = httpTestHarness();

/** A test server and a client on it without retries or breaker, unless `options` turn them on. */
const setup = (handler: Handler, options: Partial<HttpClientOptions> = {}) =>
  serve(handler, { retry: false, breaker: false, ...options });

describe('requests', () => {
  it('a closed client rejects every request with HTTP_CLIENT_CLOSED and sends nothing', async () => {
    const { server, client } = await setup((_req, res) => sendJson(res, 200, {}));
    await client.close();
    const err = await client.get('/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpClientClosedError);
    expect((err as HttpClientClosedError).code).toBe('HTTP_CLIENT_CLOSED');
    expect(server.seen).toHaveLength(0);
  });

  it('merges default and per-request headers and query, per-request winning', async () => {
    const { server: s, client: c } = await serve(
      (_req, res, seen) => sendJson(res, 200, { url: seen.url }),
      { headers: { 'X-Team': 'default', 'X-Keep': 'kept' }, query: { region: 'eu', v: 1 } },
      '/api/v2/',
    );
    const res = await c.get('/users/{id}', {
      params: { id: 7 },
      headers: { 'x-team': 'mine' },
      query: { v: 2, tag: ['a', 'b c'], gone: undefined },
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ url: '/api/v2/users/7?region=eu&v=2&tag=a&tag=b%20c' });
    expect(s.seen[0]!.headers['x-team']).toBe('mine');
    expect(s.seen[0]!.headers['x-keep']).toBe('kept');
  });

  it('sends JSON bodies with a content type and returns typed, validated data', async () => {
    const { server, client } = await setup((_req, res, seen) =>
      sendJson(res, 201, { id: 'u1', name: JSON.parse(seen.body).name }),
    );
    const User = z.object({ id: z.string(), name: z.string() });
    const user = await client.postJson('/users', { json: { name: 'Ada' }, schema: User });
    expect(user).toEqual({ id: 'u1', name: 'Ada' });
    expect(server.seen[0]!.headers['content-type']).toBe('application/json');
    expect(server.seen[0]!.method).toBe('POST');
  });

  it('reports which fields failed the schema', async () => {
    const { client } = await setup((_req, res) => sendJson(res, 200, { id: 5, tags: ['ok', 3] }));
    const err = await client
      .getJson('/x', { schema: z.object({ id: z.string(), tags: z.array(z.string()) }) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseValidationError);
    const v = err as ResponseValidationError;
    expect(v.code).toBe('RESPONSE_VALIDATION');
    expect(v.issues.map((i) => i.path).sort()).toEqual(['id', 'tags.1']);
  });

  it('fails invalid JSON with InvalidJsonError', async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": 1,');
    });
    const err = await client.getJson('/x', { schema: z.object({}) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidJsonError);
    expect((err as InvalidJsonError).code).toBe('RESPONSE_INVALID_JSON');
  });

  it('turns 4xx into HttpStatusError with a body excerpt of at most 1 KiB', async () => {
    const { client } = await setup((_req, res) => sendJson(res, 404, { error: 'x'.repeat(5000) }));
    const err = (await client.get('/missing').catch((e: unknown) => e)) as HttpStatusError;
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err.code).toBe('HTTP_STATUS');
    expect(err.status).toBe(404);
    expect(err.method).toBe('GET');
    expect(err.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/missing$/);
    expect(Buffer.byteLength(err.bodyExcerpt)).toBeLessThanOrEqual(1024);
    expect(err.bodyExcerpt.startsWith('{"error":"xxx')).toBe(true);
  });

  it('cuts the excerpt on a character boundary and never leaves half a secret at the cut', async () => {
    const secret = 'Bearer SECRET-TOKEN-0123456789';
    // 1000 bytes of 2-byte characters, then the token straddling the 1 KiB mark.
    const body = `${'é'.repeat(500)}${secret}${'x'.repeat(100)}`;
    const { client } = await setup(
      (_req, res) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(body);
      },
      { headers: { authorization: secret } },
    );
    const err = (await client.get('/x').catch((e: unknown) => e)) as HttpStatusError;
    expect(Buffer.byteLength(err.bodyExcerpt)).toBeLessThanOrEqual(1024);
    expect(err.bodyExcerpt).not.toContain('\uFFFD');
    expect(err.bodyExcerpt).not.toContain('SECRET-TOK');
    expect(err.bodyExcerpt.startsWith('é'.repeat(500))).toBe(true);
  });

  it('aborts through the caller signal', async () => {
    const { server, client } = await setup(() => {
      // never answers
    });
    const ac = new AbortController();
    const p = client.get('/slow', { signal: ac.signal });
    await server.received(1);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortedError);
    const before = new AbortController();
    before.abort();
    await expect(client.get('/x', { signal: before.signal })).rejects.toBeInstanceOf(AbortedError);
  });

  it('aborts through the stop signal beside the caller signal, and leaves no listener on either', async () => {
    const { server, client } = await setup(
      () => {
        // never answers
      },
      { retry: { maxAttempts: 3, baseDelayMs: 1 } },
    );
    const caller = new AbortController();
    const stop = new AbortController();
    const p = client.get('/slow', { signal: caller.signal, stopSignal: stop.signal });
    await server.received(1);
    stop.abort();
    await expect(p).rejects.toBeInstanceOf(AbortedError);
    expect(server.seen).toHaveLength(1);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    await expect(client.get('/x', { stopSignal: stop.signal })).rejects.toBeInstanceOf(AbortedError);
  });

  it('calls the metrics hook once per call with the route template', async () => {
    const events: HttpMetricsEvent[] = [];
    const { client } = await setup((req, res) => sendJson(res, req.url === '/items/1' ? 200 : 500, {}), {
      onMetrics: (e) => events.push(e),
      name: 'items-api',
    });
    await client.get('/items/{id}', { params: { id: 1 } });
    await client.get('/items/{id}', { params: { id: 2 } }).catch(() => {});
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      upstream: 'items-api',
      method: 'GET',
      route: '/items/{id}',
      status: 200,
      attempts: 1,
    });
    expect(events[1]).toMatchObject({ route: '/items/{id}', status: 500, errorCode: 'HTTP_STATUS' });
    expect(typeof events[0]!.durationMs).toBe('number');
  });
});

describe('origin pinning', () => {
  it('never sends a request for an absolute URL, //host or .. path', async () => {
    const { server, client } = await setup((_req, res) => sendJson(res, 200, {}));
    for (const path of ['http://evil.example/', '//evil.example/x', '/a/../../etc/passwd', '/a/%2e%2e/b']) {
      await expect(client.get(path)).rejects.toBeInstanceOf(InvalidPathError);
    }
    expect(server.seen).toHaveLength(0);
  });

  it('keeps injected parameters inside one encoded segment on the wire', async () => {
    const { server, client } = await setup((_req, res) => sendJson(res, 200, {}));
    await client.get('/files/{name}', { params: { name: '../../admin?x=1#y' } });
    await client.get('/files/{name}', { params: { name: '//evil.example' } });
    expect(server.seen.map((s) => s.url)).toEqual([
      '/files/..%2F..%2Fadmin%3Fx%3D1%23y',
      '/files/%2F%2Fevil.example',
    ]);
    await expect(client.get('/files/{name}', { params: { name: '..' } })).rejects.toBeInstanceOf(
      InvalidPathError,
    );
    expect(server.seen).toHaveLength(2);
  });
});

describe('fault modes without retry', () => {
  it('times out in the headers phase when the server never sends headers', async () => {
    const { client } = await setup(() => {}, { timeouts: { headersMs: 150 } });
    const err = (await client.get('/hang').catch((e: unknown) => e)) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.code).toBe('TIMEOUT');
    expect(err.phase).toBe('headers');
    expect(err.message).toMatch(/headers phase/);
  });

  it('times out in the body phase when the server stalls mid-body', async () => {
    const { client } = await setup(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"partial":');
      },
      { timeouts: { bodyMs: 150 } },
    );
    const err = (await client.get('/stall').catch((e: unknown) => e)) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.phase).toBe('body');
  });

  it('fires the total deadline on the injected clock', async () => {
    const clock = new ManualClock(1_000);
    const { server, client } = await setup(() => {}, { clock, timeouts: { totalMs: 5_000 } });
    const p = client.get('/hang').catch((e: unknown) => e);
    await server.received(1);
    clock.advance(4_999);
    clock.advance(1);
    const err = (await p) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.phase).toBe('total');
    expect(clock.pending()).toBe(0);
  });

  it('lets one call shorten the deadline with timeoutMs', async () => {
    const clock = new ManualClock(0);
    const { server, client } = await setup(() => {}, { clock, timeouts: { totalMs: 60_000 } });
    const p = client.get('/hang', { timeoutMs: 1_000 }).catch((e: unknown) => e);
    await server.received(1);
    clock.advance(1_000);
    const err = (await p) as TimeoutError;
    expect(err.phase).toBe('total');
    expect(err.timeoutMs).toBe(1_000);
  });

  it('leaves no timer scheduled after a call completes', async () => {
    const clock = new ManualClock();
    const { client } = await setup((_req, res) => sendJson(res, 200, {}), { clock });
    await client.get('/ok');
    expect(clock.pending()).toBe(0);
  });

  it('wraps a connection reset in NetworkError', async () => {
    const { client } = await setup((req) => req.socket.destroy());
    const err = (await client.get('/reset').catch((e: unknown) => e)) as NetworkError;
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.code).toBe('NETWORK_ERROR');
    expect(err.cause).toBeDefined();
  });

  it("a NetworkError's cause chain names no secret a host name holds, however it is logged", async () => {
    const secret = 'tenant-S3cret-x';
    const client = createHttpClient({
      baseUrl: `http://${secret}.invalid`,
      secretValues: [secret],
      retry: false,
      breaker: false,
    });
    try {
      const err = (await client.get('/x').catch((e: unknown) => e)) as NetworkError;
      expect(err).toBeInstanceOf(NetworkError);
      expect(err.causeCode).toBe('ENOTFOUND');
      expect((err.cause as { code?: unknown }).code).toBe('ENOTFOUND');
      const lines: string[] = [];
      const destination = new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      });
      // pino's error serializer appends each cause's message (and stack) to the logged error.
      createLogger({ destination }).error({ err }, 'call failed');
      expect(lines.join('')).toContain('ENOTFOUND');
      expect(lines.join('').toLowerCase()).not.toContain(secret.toLowerCase());
    } finally {
      await client.close();
    }
  });

  it('rejects oversized bodies while streaming and keeps working afterwards', async () => {
    const big = 'y'.repeat(64 * 1024);
    const { client } = await setup(
      (req, res) => {
        if (req.url === '/declared') {
          res.writeHead(200, { 'content-length': String(big.length) });
          res.end(big);
        } else if (req.url === '/chunked') {
          res.writeHead(200);
          for (let i = 0; i < 8; i++) res.write(big.slice(0, 8 * 1024));
          res.end();
        } else sendJson(res, 200, { ok: true });
      },
      { maxResponseBytes: 16 * 1024 },
    );
    for (const path of ['/declared', '/chunked']) {
      const err = (await client.get(path).catch((e: unknown) => e)) as ResponseTooLargeError;
      expect(err).toBeInstanceOf(ResponseTooLargeError);
      expect(err.code).toBe('RESPONSE_TOO_LARGE');
      expect(err.limitBytes).toBe(16 * 1024);
    }
    // The aborted sockets were destroyed, not left half-read: the pool still serves requests.
    expect((await client.get('/ok')).json()).toEqual({ ok: true });
  });
});

describe('socket hygiene', () => {
  it('reads error bodies to the end (the socket is reused) and destroys oversized ones', async () => {
    const sockets = new Set<unknown>();
    const { client } = await setup(
      (req, res) => {
        sockets.add(req.socket);
        if (req.url === '/big') {
          res.writeHead(200);
          res.end('z'.repeat(8 * 1024));
        } else sendJson(res, 500, { error: 'e'.repeat(4000) });
      },
      { connections: 1, retry: false, breaker: false, maxResponseBytes: 4096 },
    );
    for (let i = 0; i < 10; i++) await client.get('/err').catch(() => {});
    // Ten error responses on one connection: each body was consumed, so keep-alive reused it.
    expect(sockets.size).toBe(1);
    for (let i = 0; i < 3; i++)
      await expect(client.get('/big')).rejects.toBeInstanceOf(ResponseTooLargeError);
    // Each oversized response killed its socket; with one connection allowed, later calls still run.
    await client.get('/err').catch(() => {});
    expect(sockets.size).toBe(4);
  });
});

describe('HEAD', () => {
  it('accepts a declared length larger than the limit, since no body follows', async () => {
    const { client } = await setup(
      (_req, res) => {
        res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
        res.end();
      },
      { maxResponseBytes: 1024 },
    );
    const res = await client.head('/big-file');
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(0);
  });
});

describe('redaction', () => {
  it('keeps Authorization, cookies, secret headers and secret query params out of logs and errors', async () => {
    const logger = createRecordingLogger();
    const secrets = [
      'Bearer tok-AAAA1111',
      'tok-AAAA1111',
      'sess=COOKIE2222',
      'HDR-3333',
      'QP-4444',
      'KEY-5555',
    ];
    const { server, client } = await setup(
      (_req, res, seen) =>
        // The upstream echoes what it received, secrets included, in an error body.
        sendJson(res, 401, { echo: seen.headers, url: seen.url }, { 'set-cookie': 'sid=COOKIE2222' }),
      {
        logger,
        headers: {
          Authorization: 'Bearer tok-AAAA1111',
          Cookie: 'sess=COOKIE2222',
          'X-Custom-Secret': 'HDR-3333',
        },
        secretHeaders: ['x-custom-secret'],
        secretQueryParams: ['signature_v2'],
        query: { api_key: 'KEY-5555' },
      },
    );
    const err = (await client
      .get('/me', { query: { signature_v2: 'QP-4444', page: 2 } })
      .catch((e: unknown) => e)) as HttpStatusError;
    // The request itself carried the real values.
    expect(server.seen[0]!.headers.authorization).toBe('Bearer tok-AAAA1111');
    expect(server.seen[0]!.url).toContain('signature_v2=QP-4444');
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err.url).toContain('signature_v2=[REDACTED]');
    expect(err.url).toContain('api_key=[REDACTED]');
    expect(err.url).toContain('page=2');
    const surfaces = [
      err.message,
      err.url,
      err.bodyExcerpt,
      JSON.stringify(err.headers),
      JSON.stringify(err),
      JSON.stringify(logger.records),
    ];
    for (const surface of surfaces) {
      for (const s of secrets) expect(surface).not.toContain(s);
    }
    expect(logger.records.some((r) => r.event === 'http.response' && r.status === 401)).toBe(true);
    expect(logger.records.some((r) => r.event === 'http.error' && r.code === 'HTTP_STATUS')).toBe(true);
  });
});
