import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, noopLogger } from '../../src/core/index.js';
import { ANONYMOUS, limitedCaller } from '../../src/mcp/transport/principal.js';
import { SessionRegistry } from '../../src/mcp/transport/session-registry.js';
import { SessionTransport } from '../../src/mcp/transport/session-transport.js';
import {
  createGateway,
  type Gateway,
  type HttpGatewayServer,
  type HttpServeOptions,
  serveHttp,
} from '../../src/mcp/index.js';
import { connectV1, connectV2 } from '../mcp/helpers/clients.js';
import { resourcesConfig } from '../mcp/resources-helpers.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { testConfig } from '../helpers/gateway-config.js';
import { countedFeed, INIT_2025 } from './helpers.js';

// Clients that vanish mid-exchange, on purpose or not: what a session held must be given back when
// the session can no longer be used, not when the idle sweep comes by 30 minutes later.

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

/** A gateway on the resources config, served on a listener of its own with `options`. */
async function serve(
  options: Omit<HttpServeOptions, 'logger'>,
): Promise<{ gateway: Gateway; http: HttpGatewayServer; feed: ReturnType<typeof countedFeed> }> {
  const feed = countedFeed();
  const gateway = createGateway(testConfig(resourcesConfig(upstream.url)), { changes: feed });
  const http = await serveHttp(gateway, { ...options, logger: noopLogger });
  return { gateway, http, feed };
}

/** Resolves once the server has closed the response of the next request that carries `mark`. */
function responseClosed(http: HttpGatewayServer, mark: string): Promise<void> {
  return new Promise((resolve) => {
    const onRequest = (req: IncomingMessage, res: { once(e: 'close', f: () => void): void }) => {
      if (req.headers['x-test-mark'] !== mark) return;
      http.server.off('request', onRequest);
      res.once('close', resolve);
    };
    http.server.on('request', onRequest);
  });
}

/** A raw TCP connection that has sent the head of an initialize POST (the body follows on `send`). */
async function initializeHead(url: string, headers: Record<string, string>) {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  socket.on('error', () => {});
  socket.setEncoding('utf8');
  let seen = '';
  socket.on('data', (d: string) => {
    seen += d;
  });
  await once(socket, 'connect');
  const body = JSON.stringify(INIT_2025);
  const head = {
    host: u.host,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'content-length': String(Buffer.byteLength(body)),
    expect: '100-continue',
    ...headers,
  };
  const lines = Object.entries(head).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.write(`POST ${u.pathname} HTTP/1.1\r\n${lines.join('')}\r\n`);
  /** Resolves once what the server wrote includes `text`. */
  const received = async (text: string): Promise<string> => {
    while (!seen.includes(text)) await once(socket, 'data');
    return seen;
  };
  return { socket, received, send: () => socket.write(body) };
}

/**
 * A hostile initialize: the request in full, then a TCP reset before the answer can be read. The
 * headers go first with `Expect: 100-continue`, so the server has taken the request up when the
 * body and the reset arrive together; the server reads the body, and its answer meets the reset.
 */
async function resetInitialize(url: string, headers: Record<string, string>): Promise<void> {
  const peer = await initializeHead(url, headers);
  await peer.received('100 Continue');
  peer.send();
  peer.socket.resetAndDestroy();
}

describe('an initialize whose answer never reached its client holds no session', () => {
  it("a reset before the answer frees the caller's and the listener's places at once (v2 and v1 clients get theirs)", async () => {
    const tokens = { a: 'token-of-a-0123456789', b: 'token-of-b-0123456789' };
    const { gateway, http, feed } = await serve({
      authTokens: [tokens.a, tokens.b],
      maxSessions: 2,
      maxSessionsPerPrincipal: 1,
    });
    const as = (t: string) => ({ authorization: `Bearer ${t}` });
    try {
      for (const [i, token] of [tokens.a, tokens.b].entries()) {
        const closed = responseClosed(http, `hostile-${i}`);
        await resetInitialize(http.url, { ...as(token), 'x-test-mark': `hostile-${i}` });
        await closed;
      }
      // Nothing of them stays: no server on the feed, no place taken from either caller or the listener.
      expect(feed.listeners()).toBe(0);
      const a = await connectV2(http.url, 'legacy', as(tokens.a));
      const b = await connectV1(http.url, as(tokens.b));
      expect((await a.listTools()).tools.length).toBeGreaterThan(0);
      expect((await b.listTools()).tools.length).toBeGreaterThan(0);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await http.close(1000);
      await gateway.close();
    }
  });

  it('a client that read its answer and then closed the connection keeps its session', async () => {
    const { gateway, http, feed } = await serve({ maxSessions: 1 });
    try {
      const closed = responseClosed(http, 'polite');
      const peer = await initializeHead(http.url, { 'x-test-mark': 'polite' });
      await peer.received('100 Continue');
      peer.send();
      const answer = await peer.received('protocolVersion');
      peer.socket.destroy();
      await closed;
      const id = /mcp-session-id: ([^\r]+)/.exec(answer)?.[1];
      expect(id).toEqual(expect.any(String));
      expect(feed.listeners()).toBe(1);
      const initialized = await fetch(http.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': id!,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      });
      expect(initialized.status).toBe(202);
    } finally {
      await http.close(1000);
      await gateway.close();
    }
  });
});

describe('a client that sends initialize and closes its side of the connection (FIN)', () => {
  // A Streamable HTTP session outlives its connection (each request may come on a new one), so a
  // FIN does not end it; what bounds a caller opening many this way is the caps and the idle sweep.
  it('keeps its session, counted in its caps (429 past them) until it idles out', async () => {
    const clock = new ManualClock(Date.now());
    const tokens = { a: 'token-of-a-0123456789', b: 'token-of-b-0123456789' };
    const { gateway, http, feed } = await serve({
      authTokens: [tokens.a, tokens.b],
      maxSessionsPerPrincipal: 2,
      sessionIdleMs: 10_000,
      clock,
    });
    const as = (t: string) => ({ authorization: `Bearer ${t}` });
    const initA = () =>
      fetch(http.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...as(tokens.a),
        },
        body: JSON.stringify(INIT_2025),
      });
    try {
      for (const i of [0, 1]) {
        const closed = responseClosed(http, `fin-${i}`);
        const peer = await initializeHead(http.url, { ...as(tokens.a), 'x-test-mark': `fin-${i}` });
        await peer.received('100 Continue');
        peer.send();
        peer.socket.end();
        await closed;
      }
      expect(feed.listeners()).toBe(2);
      const refused = await initA();
      expect(refused.status).toBe(429);
      expect(await refused.text()).toContain('maxSessionsPerPrincipal');
      const b = await connectV2(http.url, 'legacy', as(tokens.b));
      await b.close();
      await clock.advanceAsync(25_000);
      expect(feed.listeners()).toBe(0);
      const again = await initA();
      expect(again.status).toBe(200);
      await again.text();
    } finally {
      await http.close(1000);
      await gateway.close();
    }
  });
});

/** Opens a 2025 session with fetch: the headers its later requests carry. */
async function fetchSession(url: string): Promise<Record<string, string>> {
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await fetch(url, { method: 'POST', headers: base, body: JSON.stringify(INIT_2025) });
  await init.text();
  const id = init.headers.get('mcp-session-id')!;
  const headers = { ...base, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' };
  const done = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  expect(done.status).toBe(202);
  return headers;
}

/** Reads a stream to its end; resolves with what it carried. */
async function readToEnd(body: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) text += chunk;
  return text;
}

describe('a session that ends lets go of its streams', () => {
  it("DELETE ends the session's GET stream (the client reads its end) and takes its server off the feed", async () => {
    const { gateway, http, feed } = await serve({});
    try {
      const headers = await fetchSession(http.url);
      const stream = await fetch(http.url, { method: 'GET', headers });
      expect(stream.status).toBe(200);
      const ended = readToEnd(stream.body!);
      expect((await fetch(http.url, { method: 'DELETE', headers })).status).toBe(200);
      await ended;
      expect(feed.listeners()).toBe(0);
      expect((await fetch(http.url, { method: 'GET', headers })).status).toBe(404);
    } finally {
      await http.close(1000);
      await gateway.close();
    }
  });
});

describe('a session whose client listens on its GET stream is in use', () => {
  it('outlives the idle timeout while the stream is open, and idles out once the stream closed', async () => {
    const clock = new ManualClock(Date.now());
    const { gateway, http } = await serve({ sessionIdleMs: 10_000, clock });
    const ping = (headers: Record<string, string>) =>
      fetch(http.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }),
      }).then(async (r) => {
        await r.text();
        return r.status;
      });
    try {
      const headers = await fetchSession(http.url);
      const listening = new AbortController();
      const streamClosed = responseClosed(http, 'listen');
      const stream = await fetch(http.url, {
        method: 'GET',
        headers: { ...headers, 'x-test-mark': 'listen' },
        signal: listening.signal,
      });
      expect(stream.status).toBe(200);
      // Only the stream for three idle timeouts: a client that only listens for notifications.
      await clock.advanceAsync(30_000);
      expect(await ping(headers)).toBe(200);
      listening.abort();
      await streamClosed;
      await clock.advanceAsync(30_000);
      expect(await ping(headers)).toBe(404);
    } finally {
      await http.close(1000);
      await gateway.close();
    }
  });
});

describe('a session that opens while its listener closes', () => {
  it('is closed as it is added: an initialize that was past the closing check when closeAll ran leaves nothing open', async () => {
    const registry = new SessionRegistry({
      idleMs: 60_000,
      maxSessions: 10,
      maxPerPrincipal: 10,
      clock: new ManualClock(0),
      logger: noopLogger,
    });
    const transport = new SessionTransport({ sessionIdGenerator: () => 'late' });
    const closed = new Promise<void>((resolve) => {
      transport.onclose = resolve;
    });
    const cap = limitedCaller(ANONYMOUS);
    expect(registry.tryInitialize(cap)).toBe('ok');
    await registry.closeAll();
    registry.add('late', transport, ANONYMOUS, cap);
    registry.settleInitialize(cap);
    expect(registry.size).toBe(0);
    expect(registry.has('late')).toBe(false);
    await closed;
  });
});
