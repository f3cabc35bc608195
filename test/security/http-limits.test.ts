import { once } from 'node:events';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2 } from '../mcp/helpers/clients.js';
import { assignmentsConfig } from '../mcp/helpers/config.js';
import { resourcesConfig } from '../mcp/resources-helpers.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { testConfig } from '../helpers/gateway-config.js';
import { countedFeed, INIT_2025, openSession, rawRequest, sessionHeaders } from './helpers.js';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

/**
 * Uploads `bytes` with a Content-Length (or chunked) in 16 KiB writes, as a sender that does not wait
 * for an early answer does. Resolves with the status it read, or with the error that came first
 * (a reset while uploading means the answer was lost).
 */
function upload(url: string, bytes: number, chunked = false): Promise<number | string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    let answered = false;
    const req = request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(chunked ? {} : { 'content-length': String(bytes) }),
      },
    });
    req.on('response', (res) => {
      answered = true;
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!answered) resolve(err.code ?? err.message);
    });
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n)))
          return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** The same upload with undici (what `fetch` runs on): the body is a stream of 16 KiB chunks. */
async function uploadUndici(url: string, bytes: number): Promise<number | string> {
  const chunk = Buffer.alloc(16 * 1024, 0x20);
  async function* body() {
    for (let left = bytes; left > 0; left -= chunk.length)
      yield chunk.subarray(0, Math.min(left, chunk.length));
  }
  try {
    const r = await undiciRequest(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'content-length': String(bytes),
      },
      body: Readable.from(body()),
    });
    await r.body.text();
    return r.statusCode;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/**
 * A sender still uploading when the receiver answers, made deterministic: it sends the headers and
 * the first 64 KiB, waits until the answer has arrived, then sends the rest of the body (as a sender
 * that does not watch for early answers does) and only then takes the answer. A reset while
 * uploading (EPIPE, ECONNRESET) is what such a sender reports instead of the answer.
 */
async function uploadPastTheAnswer(url: string, bytes: number): Promise<number | string> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  let text = '';
  let error: string | undefined;
  const answered = new Promise<void>((resolve) =>
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) resolve();
    }),
  );
  socket.on('error', (err: NodeJS.ErrnoException) => {
    error ??= err.code ?? err.message;
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await once(socket, 'connect');
  socket.write(
    `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${bytes}\r\nConnection: close\r\n\r\n`,
  );
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  socket.write(chunk);
  await Promise.race([answered, closed]);
  for (let left = bytes - chunk.length; left > 0 && error === undefined; left -= chunk.length) {
    if (!socket.write(chunk.subarray(0, Math.min(left, chunk.length))))
      await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
  }
  if (error === undefined && !socket.destroyed) socket.end();
  await closed;
  if (error !== undefined) return error;
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
  return status ? Number(status) : 'no answer';
}

describe('an oversized upload is answered 413 and the sender reads it', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { maxBodyBytes: 2048 } };
    config.webhooks = {
      endpoints: [
        {
          path: '/webhooks/in',
          scheme: 'github',
          secrets: ['webhook-secret-0123456789'],
          maxBodyBytes: 2048,
          events: {},
        },
      ],
    };
    gw = await startGateway(testConfig(config), { transport: 'http' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('40 concurrent Content-Length uploads over the MCP limit: every sender sees the 413', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => upload(gw.url!, 3 * 1024 * 1024)));
    expect(results).toEqual(Array(40).fill(413));
  });

  it('40 senders still uploading 1 MiB when the MCP listener answers 413: every one reads it', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, () => uploadPastTheAnswer(gw.url!, 1024 * 1024)),
    );
    expect(results).toEqual(Array(40).fill(413));
  });

  it('40 senders still uploading 1 MiB when a webhook endpoint answers 413: every one reads it', async () => {
    const url = gw.url!.replace(/\/mcp$/, '/webhooks/in');
    const results = await Promise.all(
      Array.from({ length: 40 }, () => uploadPastTheAnswer(url, 1024 * 1024)),
    );
    expect(results).toEqual(Array(40).fill(413));
  });

  it('40 concurrent undici uploads over the MCP limit: every sender sees the 413', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => uploadUndici(gw.url!, 1024 * 1024)));
    expect(results).toEqual(Array(40).fill(413));
  });

  it('40 concurrent undici uploads over a webhook endpoint limit: every sender sees the 413', async () => {
    const url = gw.url!.replace(/\/mcp$/, '/webhooks/in');
    const results = await Promise.all(Array.from({ length: 40 }, () => uploadUndici(url, 1024 * 1024)));
    expect(results).toEqual(Array(40).fill(413));
  });

  it('chunked uploads over the MCP limit: every sender sees the 413', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => upload(gw.url!, 3 * 1024 * 1024, true)),
    );
    expect(results).toEqual(Array(10).fill(413));
  });

  it('40 concurrent uploads over a webhook endpoint limit: every sender sees the 413', async () => {
    const url = gw.url!.replace(/\/mcp$/, '/webhooks/in');
    const results = await Promise.all(Array.from({ length: 40 }, () => upload(url, 3 * 1024 * 1024)));
    expect(results).toEqual(Array(40).fill(413));
  });

  it('the listener keeps serving MCP clients afterwards (v1 and v2)', async () => {
    const v2 = await connectV2(gw.url!, 'legacy');
    expect((await v2.listTools()).tools.length).toBeGreaterThan(0);
    await v2.close();
    const v1 = await connectV1(gw.url!);
    expect((await v1.listTools()).tools.length).toBeGreaterThan(0);
    await v1.close();
  });
});

describe('JSON-RPC batches are capped (server.http.maxBatchSize)', () => {
  const calls = (n: number) =>
    JSON.stringify(
      Array.from({ length: n }, (_, i) => ({
        jsonrpc: '2.0',
        id: 100 + i,
        method: 'tools/call',
        params: { name: 'get_assignment', arguments: { id: '2' } },
      })),
    );

  it('a batch of 100 tools/call is refused whole by default: no upstream call is made', async () => {
    const gw = await startGateway(testConfig(assignmentsConfig(upstream.url)), { transport: 'http' });
    try {
      const id = await openSession(gw.url!);
      const before = upstream.count('/assignments/2');
      const r = await rawRequest('POST', gw.url!, sessionHeaders(id), calls(100));
      expect(r.status).toBe(400);
      expect(r.body).toContain('maxBatchSize');
      expect(upstream.count('/assignments/2')).toBe(before);
    } finally {
      await gw.close();
    }
  });

  it('the limit is configurable, on stateless serving too', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { maxBatchSize: 2, stateless: true } };
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    try {
      const before = upstream.count('/assignments/2');
      const r = await rawRequest('POST', gw.url!, { 'mcp-protocol-version': '2025-06-18' }, calls(3));
      expect(r.status).toBe(400);
      expect(r.body).toContain('the limit is 2');
      expect(upstream.count('/assignments/2')).toBe(before);
    } finally {
      await gw.close();
    }
  });
});

describe('bodies nested deeper than 1000 levels are refused', () => {
  /** A tools/call whose arguments hold `[[[…]]]`, `depth` arrays deep (the body is 3 levels more). */
  const deepCall = (id: number, depth: number, secret = 'x') =>
    `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"q":"${secret}","tags":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;

  let gw: RunningGateway;
  const logger = createRecordingLogger();
  beforeAll(async () => {
    gw = await startGateway(testConfig(assignmentsConfig(upstream.url)), { transport: 'http', logger });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('with 400 and Invalid Request (-32600) for the id, saying the limit and what to do; logged at info without the body; nothing reaches the upstream', async () => {
    const id = await openSession(gw.url!);
    const before = upstream.seen.length;
    for (const depth of [1001, 5_000, 100_000]) {
      const r = await rawRequest('POST', gw.url!, sessionHeaders(id), deepCall(7, depth, 'sk-not-for-logs'));
      expect(r.status, `depth ${depth}: ${r.body.slice(0, 200)}`).toBe(400);
      expect(JSON.parse(r.body)).toEqual({
        jsonrpc: '2.0',
        id: 7,
        error: {
          code: -32600,
          message: 'Invalid Request: the request is nested deeper than 1000 levels; flatten the arguments.',
        },
      });
    }
    // Before any session too (the era is not known yet), and in a batch (no one id to answer).
    const noSession = await rawRequest('POST', gw.url!, {}, deepCall(8, 5_000));
    expect(noSession.status).toBe(400);
    expect(JSON.parse(noSession.body)).toMatchObject({ id: 8, error: { code: -32600 } });
    const batch = await rawRequest('POST', gw.url!, sessionHeaders(id), `[${deepCall(9, 5_000)}]`);
    expect(batch.status).toBe(400);
    expect(JSON.parse(batch.body)).toMatchObject({ id: null, error: { code: -32600 } });
    // The shortest text nested 1001 levels (the walk is skipped only for shorter ones).
    const shortest = await rawRequest(
      'POST',
      gw.url!,
      sessionHeaders(id),
      `${'['.repeat(1001)}${']'.repeat(1001)}`,
    );
    expect(JSON.parse(shortest.body)).toMatchObject({
      id: null,
      error: { code: -32600, message: /1000 levels/ },
    });
    expect(upstream.seen.length).toBe(before);
    const refused = logger.records.filter((rec) => rec.msg?.includes('nested deeper'));
    expect(refused).toHaveLength(6);
    expect(refused[0]).toMatchObject({ level: 'info', maxDepth: 1000 });
    expect(JSON.stringify(logger.records)).not.toContain('sk-not-for-logs');
  });

  it('at 1000 levels the body is served (the tool then refuses arguments that deep), and clients keep being served', async () => {
    const id = await openSession(gw.url!);
    // 997 levels of arguments: the body is 1000 deep.
    const r = await rawRequest('POST', gw.url!, sessionHeaders(id), deepCall(10, 997));
    expect(r.status, r.body.slice(0, 200)).toBe(200);
    expect(r.body).toContain('ARGUMENTS_TOO_DEEP');
    const v2 = await connectV2(gw.url!, 'modern');
    const v1 = await connectV1(gw.url!);
    try {
      const ok = await v2.callTool({ name: 'echo', arguments: { tags: ['a'] } });
      expect(ok.isError).toBeFalsy();
      expect((await v1.listTools()).tools.length).toBeGreaterThan(0);
      // An SDK client sending such a body is told why (1200: deep enough, and JSON.stringify still copes).
      let tags: unknown = [];
      for (let i = 0; i < 1200; i++) tags = [tags];
      for (const client of [v2, v1])
        await expect(client.callTool({ name: 'echo', arguments: { tags } })).rejects.toThrow(
          /nested deeper than 1000 levels; flatten the arguments/,
        );
      expect((await v2.callTool({ name: 'echo', arguments: { tags: ['b'] } })).isError).toBeFalsy();
    } finally {
      await v1.close();
      await v2.close();
    }
  });

  it('on stateless serving too', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { stateless: true } };
    const stateless = await startGateway(testConfig(config), { transport: 'http' });
    try {
      const r = await rawRequest(
        'POST',
        stateless.url!,
        { 'mcp-protocol-version': '2025-06-18' },
        deepCall(11, 5_000),
      );
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ id: 11, error: { code: -32600 } });
    } finally {
      await stateless.close();
    }
  });
});

describe('sessions are capped (server.http.maxSessions) and their idle timeout is configurable', () => {
  it('initialize past the cap is answered 503; closing a session makes room again', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { maxSessions: 3 } };
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    try {
      const ids = [await openSession(gw.url!), await openSession(gw.url!), await openSession(gw.url!)];
      const refused = await rawRequest('POST', gw.url!, {}, JSON.stringify(INIT_2025));
      expect(refused.status).toBe(503);
      expect(refused.body).toContain('maxSessions');
      await expect(connectV1(gw.url!)).rejects.toThrow();
      expect((await rawRequest('DELETE', gw.url!, sessionHeaders(ids[0]!))).status).toBe(200);
      const v2 = await connectV2(gw.url!, 'legacy');
      expect((await v2.listTools()).tools.length).toBeGreaterThan(0);
      await v2.close();
    } finally {
      await gw.close();
    }
  });

  it('one caller cannot take every session: past maxSessionsPerPrincipal it gets 429, others still get theirs', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = {
      http: { maxSessions: 10, maxSessionsPerPrincipal: 2, authTokens: ['token-of-a', 'token-of-b'] },
    };
    const clock = new ManualClock(Date.now());
    const gw = await startGateway(testConfig(config), { transport: 'http', clock });
    const as = (t: string) => ({ authorization: `Bearer ${t}` });
    const initA = () => rawRequest('POST', gw.url!, as('token-of-a'), JSON.stringify(INIT_2025));
    try {
      const first = await openSession(gw.url!, as('token-of-a'));
      await openSession(gw.url!, as('token-of-a'));
      const refused = await initA();
      expect(refused.status).toBe(429);
      expect(refused.body).toContain('maxSessionsPerPrincipal');
      expect(refused.body).not.toContain('token-of-a');
      // Another caller is not held back by the first one's sessions.
      await openSession(gw.url!, as('token-of-b'));
      await openSession(gw.url!, as('token-of-b'));
      // A session closed (DELETE), or gone idle, gives the caller its place back.
      const closed = await rawRequest('DELETE', gw.url!, { ...as('token-of-a'), ...sessionHeaders(first) });
      expect(closed.status).toBe(200);
      await openSession(gw.url!, as('token-of-a'));
      expect((await initA()).status).toBe(429);
      await clock.advanceAsync(31 * 60_000);
      await openSession(gw.url!, as('token-of-a'));
      await openSession(gw.url!, as('token-of-a'));
      expect((await initA()).status).toBe(429);
    } finally {
      await gw.close();
    }
  });

  it('an initialize refused for its media types leaves no server behind listening to the change feed', async () => {
    const feed = countedFeed();
    const gw = await startGateway(testConfig(resourcesConfig(upstream.url)), {
      transport: 'http',
      changes: feed,
    });
    try {
      const init = JSON.stringify(INIT_2025);
      expect((await rawRequest('POST', gw.url!, { accept: 'application/json' }, init)).status).toBe(406);
      expect((await rawRequest('POST', gw.url!, { 'content-type': 'text/plain' }, init)).status).toBe(415);
      expect(feed.listeners()).toBe(0);
      // A session that was made holds one until it is closed.
      const id = await openSession(gw.url!);
      expect(feed.listeners()).toBe(1);
      expect((await rawRequest('DELETE', gw.url!, sessionHeaders(id))).status).toBe(200);
      expect(feed.listeners()).toBe(0);
    } finally {
      await gw.close();
    }
  });

  it('server.http.sessionIdleTimeout closes an unused session', async () => {
    const clock = new ManualClock(Date.now());
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { sessionIdleTimeout: 10_000 } };
    const gw = await startGateway(testConfig(config), { transport: 'http', clock });
    try {
      const id = await openSession(gw.url!);
      const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      expect((await rawRequest('POST', gw.url!, sessionHeaders(id), list)).status).toBe(200);
      await clock.advanceAsync(25_000);
      expect((await rawRequest('POST', gw.url!, sessionHeaders(id), list)).status).toBe(404);
    } finally {
      await gw.close();
    }
  });
});

/** A raw TCP peer: what it has read, and a promise of the server closing the connection. */
async function peer(url: string): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    text += d;
  });
  socket.on('error', () => {});
  const closed = once(socket, 'close').then(() => {});
  await once(socket, 'connect');
  return { socket, received: () => text, closed };
}

describe('slow and numerous peers are bounded (headersTimeout, requestTimeout, maxConnections)', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { headersTimeout: 200, requestTimeout: 400, maxConnections: 4 } };
    config.webhooks = {
      endpoints: [
        { path: '/webhooks/in', scheme: 'github', secrets: ['webhook-secret-0123456789'], events: {} },
      ],
    };
    gw = await startGateway(testConfig(config), { transport: 'http' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('a peer that never finishes its headers is answered 408 and closed', async () => {
    const p = await peer(gw.url!);
    p.socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n`);
    await p.closed;
    expect(p.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it.each(['/mcp', '/webhooks/in'])(
    'a peer that never finishes its body on %s is answered 408 and closed',
    async (path) => {
      const p = await peer(gw.url!);
      p.socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":`,
      );
      await p.closed;
      expect(p.received()).toMatch(/^HTTP\/1\.1 408/);
    },
  );

  it.each(['/mcp', '/webhooks/in'])(
    'a peer that sends a chunked body and never its last chunk on %s is answered 408 and closed',
    async (path) => {
      const p = await peer(gw.url!);
      p.socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n`,
      );
      // More chunks as it goes, each one well inside the timeout: the whole request is bounded.
      const more = setInterval(() => p.socket.write('1\r\n \r\n'), 50);
      try {
        await p.closed;
      } finally {
        clearInterval(more);
      }
      expect(p.received()).toMatch(/^HTTP\/1\.1 408/);
    },
  );

  it('connections past maxConnections are dropped on accept', async () => {
    const held: Awaited<ReturnType<typeof peer>>[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const p = await peer(gw.url!);
        // A whole request on a kept-alive connection: once answered, the server holds the connection.
        p.socket.write('GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        await once(p.socket, 'data');
        held.push(p);
      }
      const extra = await peer(gw.url!);
      extra.socket.write('GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await extra.closed;
      expect(extra.received()).toBe('');
    } finally {
      for (const p of held) p.socket.destroy();
    }
  });
});
