import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { assignmentsConfig } from './helpers/config.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { testConfig } from '../helpers/gateway-config.js';

// A tools/call answer on a 2025-era session leaves its SSE headers with the first event (http-server.ts,
// deferHeaderFlush). On a long call without a progress token the first event is the SSE keep-alive
// comment: this proves the client then sees the stream start before the answer, and gets the answer.

let upstream: Upstream;
let gateway: RunningGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway(testConfig(assignmentsConfig(upstream.url)), {
    transport: 'http',
    sseKeepAliveMs: 40,
  });
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function legacySession(url: string): Promise<Record<string, string>> {
  const init = await fetch(url, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
  expect(init.status).toBe(200);
  await init.text();
  const sessionId = init.headers.get('mcp-session-id');
  expect(sessionId).toBeTruthy();
  const headers = { ...HEADERS, 'mcp-session-id': sessionId!, 'mcp-protocol-version': '2025-06-18' };
  const initialized = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  expect(initialized.status).toBe(202);
  return headers;
}

describe('a long tools/call on a 2025-era HTTP session, without a progress token', () => {
  it('starts its SSE stream with a keep-alive comment while the upstream hangs, then delivers the answer', async () => {
    const headers = await legacySession(gateway.url!);
    upstream.setFault({ kind: 'hang' });
    const arrived = upstream.nextRequest();
    const res = await fetch(gateway.url!, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'get_assignment', arguments: { id: '1' } },
      }),
    });
    // fetch resolved: the headers left although the upstream has not answered yet.
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const first = decoder.decode((await reader.read()).value);
    expect(first).toMatch(/^: keepalive\n\n/);
    await arrived;
    upstream.release({ id: '1', title: 'after a long wait' });
    let rest = first;
    while (!rest.includes('"result"')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      rest += decoder.decode(chunk.value);
    }
    const event = rest.split('\n').find((l) => l.startsWith('data: ') && l.includes('"result"'));
    const message = JSON.parse(event!.slice('data: '.length)) as {
      id: number;
      result: { structuredContent?: unknown };
    };
    expect(message.id).toBe(2);
    expect(message.result.structuredContent).toEqual({ id: '1', title: 'after a long wait' });
    await reader.cancel();
  });
});
