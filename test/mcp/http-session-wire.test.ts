import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChangeFeed,
  createMemoryChangeFeed,
  type RunningGateway,
  startGateway,
} from '../../src/mcp/index.js';
import { testConfig } from '../helpers/gateway-config.js';
import { resourcesConfig } from './resources-helpers.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

const BASE = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

let upstream: Upstream;
let running: RunningGateway;
let changes: ChangeFeed;

beforeAll(async () => {
  upstream = await startUpstream();
  changes = createMemoryChangeFeed();
  running = await startGateway(testConfig(resourcesConfig(upstream.url)), { transport: 'http', changes });
});

afterAll(async () => {
  await running?.close();
  await upstream?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function send(method: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const res = await fetch(running.url!, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The JSON-RPC messages of an SSE answer, in order. */
function events(text: string): { id?: unknown; result?: unknown; error?: { code: number } }[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)));
}

const rpc = (id: number, method: string, params: unknown = {}) => ({ jsonrpc: '2.0', id, method, params });
const initialize = (id: number) =>
  rpc(id, 'initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'wire', version: '1' },
  });

/** A 2025-06-18 session opened on the wire: the headers its later requests carry. */
async function openSession(): Promise<Record<string, string>> {
  const init = await send('POST', BASE, initialize(0));
  expect(init.status).toBe(200);
  expect(init.headers.get('content-type')).toBe('text/event-stream');
  const session = init.headers.get('mcp-session-id')!;
  expect(session).toEqual(expect.any(String));
  expect(events(init.text)[0]).toMatchObject({ id: 0, result: { protocolVersion: '2025-06-18' } });
  const headers = { ...BASE, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
  const initialized = await send('POST', headers, { jsonrpc: '2.0', method: 'notifications/initialized' });
  expect(initialized.status).toBe(202);
  expect(initialized.text).toBe('');
  return headers;
}

describe('2025-era sessions on the wire', () => {
  it('answers a request as one SSE event naming the session, and a batch of two on one stream', async () => {
    const headers = await openSession();
    const one = await send('POST', headers, rpc(1, 'tools/list'));
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toBe('text/event-stream');
    expect(one.headers.get('mcp-session-id')).toBe(headers['mcp-session-id']);
    expect(events(one.text)).toEqual([expect.objectContaining({ id: 1, result: expect.any(Object) })]);

    const batch = await send('POST', headers, [rpc(2, 'ping'), rpc(3, 'resources/list')]);
    expect(batch.status).toBe(200);
    const answered = events(batch.text);
    expect(answered.map((m) => m.id).sort()).toEqual([2, 3]);
    expect(answered.every((m) => m.result !== undefined)).toBe(true);
  });

  it('answers a tools/call in one write whose headers are exactly the SSE ones, its own session id and its own length', async () => {
    const [a, b] = [await openSession(), await openSession()];
    expect(a['mcp-session-id']).not.toBe(b['mcp-session-id']);
    // Answers of different lengths, alternating sessions: each names its session and declares its length.
    const calls = [
      [a, '1'],
      [b, '2'],
      [a, '2'],
      [b, '1'],
    ] as const;
    for (const [i, [headers, id]] of calls.entries()) {
      const r = await send(
        'POST',
        headers,
        rpc(10 + i, 'tools/call', { name: 'get_assignment', arguments: { id } }),
      );
      expect(r.status).toBe(200);
      const names = [...r.headers.keys()].filter((n) => n !== 'date' && n !== 'keep-alive').sort();
      expect(names).toEqual([
        'cache-control',
        'connection',
        'content-length',
        'content-type',
        'mcp-session-id',
        'x-accel-buffering',
      ]);
      expect(r.headers.get('content-type')).toBe('text/event-stream');
      expect(r.headers.get('cache-control')).toBe('no-cache, no-transform');
      expect(r.headers.get('x-accel-buffering')).toBe('no');
      expect(r.headers.get('mcp-session-id')).toBe(headers['mcp-session-id']);
      expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(r.text)));
      const [answer] = events(r.text) as { id: number; result: { structuredContent?: { id?: string } } }[];
      expect(answer).toMatchObject({ id: 10 + i, result: { structuredContent: { id } } });
    }
  });

  it('refuses what the session cannot serve, with the status saying why, and serves on afterwards', async () => {
    const headers = await openSession();
    const noSse = await send('POST', { ...headers, accept: 'application/json' }, rpc(1, 'ping'));
    expect(noSse.status).toBe(406);
    const wrongType = await send('POST', { ...headers, 'content-type': 'text/plain' }, rpc(1, 'ping'));
    expect(wrongType.status).toBe(415);
    const version = await send('POST', { ...headers, 'mcp-protocol-version': '1999-01-01' }, rpc(1, 'ping'));
    expect(version.status).toBe(400);
    const again = await send('POST', headers, initialize(1));
    expect(again.status).toBe(400);
    expect(JSON.parse(again.text).error.code).toBe(-32600);
    const put = await send('PUT', headers, rpc(1, 'ping'));
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST, DELETE');
    const notJsonRpc = await send('POST', headers, { jsonrpc: '2.0', id: 1.5, method: 'ping', extra: true });
    expect(notJsonRpc.status).toBe(400);

    const ping = await send('POST', headers, rpc(9, 'ping'));
    expect(events(ping.text)).toEqual([expect.objectContaining({ id: 9, result: {} })]);
  });

  it('has one standalone GET stream at a time: a second is 409 while the first is open', async () => {
    const headers = await openSession();
    const first = new AbortController();
    const stream = await fetch(running.url!, { method: 'GET', headers, signal: first.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const second = await send('GET', headers);
    expect(second.status).toBe(409);
    first.abort();
    await stream.body?.cancel().catch(() => {});
  });

  it('DELETE ends the session: 200, then its id is unknown (404)', async () => {
    const headers = await openSession();
    expect((await send('DELETE', headers)).status).toBe(200);
    expect((await send('POST', headers, rpc(1, 'ping'))).status).toBe(404);
  });

  it("delivers a subscribed resource's change on the session's GET stream", async () => {
    const headers = await openSession();
    const stop = new AbortController();
    // fetch resolves on the headers, which the server sends once the stream is registered.
    const stream = await fetch(running.url!, { method: 'GET', headers, signal: stop.signal });
    expect(stream.status).toBe(200);
    try {
      const sub = await send('POST', headers, rpc(1, 'resources/subscribe', { uri: 'assignments://3' }));
      expect(events(sub.text)).toEqual([expect.objectContaining({ id: 1, result: {} })]);
      await changes.publish({
        uri: 'assignments://3',
        event: 'assignment.updated',
        source: 'test',
        at: Date.now(),
      });
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let seen = '';
      while (!seen.includes('notifications/resources/updated')) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      const update = events(seen).find((m) => (m as { method?: string }).method !== undefined) as {
        method: string;
        params: { uri: string };
      };
      expect(update).toMatchObject({
        method: 'notifications/resources/updated',
        params: { uri: 'assignments://3' },
      });
    } finally {
      stop.abort();
    }
  });
});

describe('methods the MCP endpoint never serves', () => {
  it.each(['PUT', 'PATCH', 'OPTIONS'])(
    '%s without a session is answered 405 with the methods it serves, not "send initialize first"',
    async (method) => {
      const answer = await send(method, BASE, method === 'OPTIONS' ? undefined : rpc(1, 'ping'));
      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe('GET, POST, DELETE');
      expect(JSON.parse(answer.text).error.message).toMatch(/serves POST, GET and DELETE/);
    },
  );

  it('over a stateless listener alike', async () => {
    const config = resourcesConfig(upstream.url);
    config.server = { ...config.server, http: { stateless: true } };
    const stateless = await startGateway(testConfig(config), { transport: 'http' });
    try {
      const res = await fetch(stateless.url!, { method: 'PATCH', headers: BASE, body: '{}' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, POST, DELETE');
      await res.text();
    } finally {
      await stateless.close();
    }
  });
});
