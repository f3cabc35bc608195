import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { testConfig } from '../helpers/gateway-config.js';
import { assignmentsConfig } from './helpers/config.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

const APP = 'https://app.example.com';
const TOKEN = 'cors-test-token';
const BASE = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'cors', version: '1' } },
};
/** What the SDK's browser transport sends besides the CORS-safelisted headers. */
const CLIENT_HEADERS = [
  'content-type',
  'accept',
  'authorization',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'last-event-id',
  'traceparent',
  'tracestate',
];
const EXPOSED = ['mcp-session-id', 'mcp-protocol-version', 'www-authenticate', 'retry-after'];

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Answer> {
  const res = await fetch(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A browser's preflight for a POST carrying `headers`. */
const preflight = (url: string, origin: string, headers = CLIENT_HEADERS) =>
  send(url, 'OPTIONS', {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': headers.join(','),
  });

const listOf = (value: string | null) => (value ?? '').split(',').map((s) => s.trim().toLowerCase());
const corsNames = (headers: Headers) => [...headers.keys()].filter((n) => n.startsWith('access-control-'));

/**
 * An SDK v2 client sending `Origin` as a page on `origin` would; resolves to the
 * `access-control-allow-origin` of every answer it got, once it listed the tools and called one.
 */
async function pageClient(url: string, origin: string, era: 'legacy' | 'modern'): Promise<(string | null)[]> {
  const granted: (string | null)[] = [];
  const recording: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    granted.push(res.headers.get('access-control-allow-origin'));
    return res;
  };
  const client = new Client(
    { name: 'page', version: '1' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  const headers = { origin, authorization: `Bearer ${TOKEN}` };
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers }, fetch: recording }),
  );
  try {
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    const r = await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
    expect(r.isError).toBeFalsy();
  } finally {
    await client.close();
  }
  return granted;
}

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

describe('CORS on the MCP endpoint (allowed origins, static tokens)', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = {
      http: { allowedOrigins: [APP], authTokens: [TOKEN], maxSessionsPerPrincipal: 1 },
    };
    gw = await startGateway(testConfig(config), { transport: 'http' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers a preflight from an allowed origin 204 with that origin, without asking for a token', async () => {
    const r = await preflight(gw.url!, APP);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listOf(r.headers.get('vary'))).toContain('origin');
    expect(r.headers.get('access-control-allow-methods')).toBe('GET, POST, DELETE');
    expect(listOf(r.headers.get('access-control-allow-headers'))).toEqual(
      expect.arrayContaining(CLIENT_HEADERS),
    );
    expect(Number(r.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(Number(r.headers.get('access-control-max-age'))).toBeLessThanOrEqual(7200);
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers a preflight from a loopback page alike (loopback origins are always allowed)', async () => {
    const r = await preflight(gw.url!, 'http://localhost:6274');
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('http://localhost:6274');
  });

  it('refuses a preflight from a disallowed origin with 403, the setting to change, and no CORS headers', async () => {
    const r = await preflight(gw.url!, 'https://evil.example.com');
    expect(r.status).toBe(403);
    expect(r.text).toContain('allowedOrigins');
    expect(corsNames(r.headers)).toEqual([]);
  });

  it('refuses a POST from a disallowed origin with 403 and no CORS headers', async () => {
    const r = await send(
      gw.url!,
      'POST',
      { ...BASE, origin: 'https://evil.example.com', authorization: `Bearer ${TOKEN}` },
      INIT,
    );
    expect(r.status).toBe(403);
    expect(corsNames(r.headers)).toEqual([]);
  });

  it('lets the page read the session id of an answer from an allowed origin, and its later 404 and 429', async () => {
    const auth = { ...BASE, origin: APP, authorization: `Bearer ${TOKEN}` };
    const init = await send(gw.url!, 'POST', auth, INIT);
    expect(init.status).toBe(200);
    expect(init.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listOf(init.headers.get('vary'))).toContain('origin');
    expect(listOf(init.headers.get('access-control-expose-headers'))).toEqual(
      expect.arrayContaining(EXPOSED),
    );
    expect(init.headers.get('mcp-session-id')).toEqual(expect.any(String));

    const session = {
      ...auth,
      'mcp-session-id': init.headers.get('mcp-session-id')!,
      'mcp-protocol-version': '2025-06-18',
    };
    const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
    expect((await send(gw.url!, 'POST', session, initialized)).status).toBe(202);
    // A tool's answer leaves in one write with headers of its own: the grant must survive it.
    const call = {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'get_assignment', arguments: { id: '1' } },
    };
    const called = await send(gw.url!, 'POST', session, call);
    expect(called.status).toBe(200);
    expect(called.text).toContain('"id":2');
    expect(called.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listOf(called.headers.get('access-control-expose-headers'))).toEqual(
      expect.arrayContaining(EXPOSED),
    );

    const over = await send(gw.url!, 'POST', auth, INIT);
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('5');
    expect(over.headers.get('access-control-allow-origin')).toBe(APP);

    const gone = await send(gw.url!, 'POST', { ...auth, 'mcp-session-id': 'no-such-session' }, INIT);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listOf(gone.headers.get('access-control-expose-headers'))).toEqual(
      expect.arrayContaining(EXPOSED),
    );

    const ended = await send(gw.url!, 'DELETE', {
      origin: APP,
      authorization: `Bearer ${TOKEN}`,
      'mcp-session-id': init.headers.get('mcp-session-id')!,
      'mcp-protocol-version': '2025-06-18',
    });
    expect(ended.status).toBe(200);
    expect(ended.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('lets the page read the 401 challenge of a request without a token', async () => {
    const r = await send(gw.url!, 'POST', { ...BASE, origin: APP }, INIT);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(r.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listOf(r.headers.get('access-control-expose-headers'))).toContain('www-authenticate');
  });

  it('adds no CORS headers for a client that sends no Origin, and still answers its OPTIONS 405', async () => {
    const r = await send(gw.url!, 'POST', { ...BASE, authorization: 'Bearer wrong' }, INIT);
    expect(r.status).toBe(401);
    expect(corsNames(r.headers)).toEqual([]);
    const options = await send(gw.url!, 'OPTIONS', { authorization: `Bearer ${TOKEN}` });
    expect(options.status).toBe(405);
    expect(options.headers.get('allow')).toBe('GET, POST, DELETE');
    expect(corsNames(options.headers)).toEqual([]);
  });
});

describe('CORS across eras and serving modes', () => {
  it.each([
    ['2026-07-28', 'modern', false],
    ['a stateless 2025 listener', 'legacy', true],
  ] as const)('marks every answer readable by the page for %s', async (_name, era, stateless) => {
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { allowedOrigins: [APP], authTokens: [TOKEN], stateless } };
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    try {
      const granted = await pageClient(gw.url!, APP, era);
      expect(granted.length).toBeGreaterThan(1);
      expect(new Set(granted)).toEqual(new Set([APP]));
    } finally {
      await gw.close();
    }
  });
});

describe('CORS with allowedOrigins ["*"]', () => {
  const start = async (authTokens: string[]) => {
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { allowedOrigins: ['*'], authTokens } };
    return startGateway(testConfig(config), { transport: 'http' });
  };

  it('names the calling origin, never "*", when the endpoint takes tokens', async () => {
    const gw = await start([TOKEN]);
    try {
      const pre = await preflight(gw.url!, 'https://any.example.org');
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('https://any.example.org');
      const r = await send(gw.url!, 'POST', { ...BASE, origin: 'https://any.example.org' }, INIT);
      expect(r.status).toBe(401);
      expect(r.headers.get('access-control-allow-origin')).toBe('https://any.example.org');
    } finally {
      await gw.close();
    }
  });

  it('never grants the opaque "null" origin (sandboxed frames, file: pages) nor echoes a malformed one', async () => {
    const gw = await start([TOKEN]);
    try {
      for (const origin of ['null', 'not an origin', 'https://app.example.com/path']) {
        const pre = await preflight(gw.url!, origin);
        expect(pre.status).toBe(403);
        expect(corsNames(pre.headers)).toEqual([]);
      }
      const r = await send(
        gw.url!,
        'POST',
        { ...BASE, origin: 'null', authorization: `Bearer ${TOKEN}` },
        INIT,
      );
      expect(r.status).toBe(200);
      expect(corsNames(r.headers)).toEqual([]);
    } finally {
      await gw.close();
    }
  });

  it('grants other sites nothing when the endpoint takes no token (any page could drive its tools)', async () => {
    const gw = await start([]);
    try {
      const pre = await preflight(gw.url!, 'https://any.example.org');
      expect(pre.status).toBe(403);
      expect(pre.text).toContain('allowedOrigins');
      expect(pre.text).toContain('authTokens');
      expect(corsNames(pre.headers)).toEqual([]);
      const r = await send(gw.url!, 'POST', { ...BASE, origin: 'https://any.example.org' }, INIT);
      expect(r.status).toBe(200);
      expect(corsNames(r.headers)).toEqual([]);
      const local = await preflight(gw.url!, 'http://127.0.0.1:5173');
      expect(local.status).toBe(204);
      expect(local.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    } finally {
      await gw.close();
    }
  });
});
