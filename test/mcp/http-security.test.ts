import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2, textOf } from './helpers/clients.js';
import { assignmentsConfig } from './helpers/config.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { testConfig } from '../helpers/gateway-config.js';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** A raw POST, so tests control Host, Origin and Authorization exactly. */
function rawPost(
  url: string,
  headers: Record<string, string>,
  body: string = JSON.stringify(INIT),
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': String(Buffer.byteLength(body)),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

describe('DNS rebinding protection (on by default)', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway(testConfig(assignmentsConfig(upstream.url)), { transport: 'http' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('binds 127.0.0.1 unless told otherwise', () => {
    expect(new URL(gw.url!).hostname).toBe('127.0.0.1');
  });

  it('rejects a foreign Host header with 403', async () => {
    const r = await rawPost(gw.url!, { host: 'evil.example.com' });
    expect(r.status).toBe(403);
    expect(r.body).toContain('Host header');
    expect(r.body).toContain('allowedHosts');
  });

  it('rejects a foreign Origin with 403 and accepts a loopback one', async () => {
    const bad = await rawPost(gw.url!, { origin: 'http://evil.example.com' });
    expect(bad.status).toBe(403);
    expect(bad.body).toContain('Origin');
    const good = await rawPost(gw.url!, { origin: 'http://localhost:5173' });
    expect(good.status).toBe(200);
  });

  it('answers 404 off the endpoint path and 413 over the body limit', async () => {
    const u = new URL(gw.url!);
    const off = await rawPost(`${u.origin}/other`, {});
    expect(off.status).toBe(404);
    const big = await rawPost(gw.url!, {}, JSON.stringify({ ...INIT, pad: 'x'.repeat(1024 * 1024 + 10) }));
    expect(big.status).toBe(413);
  });
});

describe('bodies that are not JSON', () => {
  it('answers a parse error and logs the refusal with the size only, never the text', async () => {
    const logger = createRecordingLogger();
    const gw = await startGateway(testConfig(assignmentsConfig(upstream.url)), { transport: 'http', logger });
    try {
      const sent = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"token":"sk-not-for-logs"';
      const r = await rawPost(gw.url!, {}, sent);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ id: null, error: { code: -32700 } });
      const refused = logger.records.filter((rec) => rec.msg?.includes('not valid JSON'));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ level: 'info', bytes: Buffer.byteLength(sent) });
      expect(JSON.stringify(logger.records)).not.toContain('sk-not-for-logs');
    } finally {
      await gw.close();
    }
  });
});

describe('configured hosts, origins and body limit', () => {
  it('accepts only the configured names', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = {
      http: {
        allowedHosts: ['mcp.internal'],
        allowedOrigins: ['https://app.example.com'],
        maxBodyBytes: 2048,
      },
    };
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    try {
      const port = new URL(gw.url!).port;
      expect((await rawPost(gw.url!, { host: `mcp.internal:${port}` })).status).toBe(200);
      expect((await rawPost(gw.url!, { host: `other.internal:${port}` })).status).toBe(403);
      expect((await rawPost(gw.url!, { host: `127.0.0.1:${port}` })).status).toBe(200);
      expect(
        (await rawPost(gw.url!, { host: `mcp.internal:${port}`, origin: 'https://app.example.com' })).status,
      ).toBe(200);
      expect(
        (await rawPost(gw.url!, { host: `mcp.internal:${port}`, origin: 'https://evil.example.com' })).status,
      ).toBe(403);
      const big = await rawPost(
        gw.url!,
        { host: `mcp.internal:${port}` },
        JSON.stringify({ ...INIT, pad: 'x'.repeat(3000) }),
      );
      expect(big.status).toBe(413);
    } finally {
      await gw.close();
    }
  });
});

describe('bearer tokens', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { authTokens: ['first-token-abc', 'second-token-xyz'] } };
    gw = await startGateway(testConfig(config), { transport: 'http' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('refuses requests without a token or with a wrong one, with a Bearer challenge', async () => {
    const none = await rawPost(gw.url!, {});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.body).not.toContain('first-token-abc');
    const wrong = await rawPost(gw.url!, { authorization: 'Bearer first-token-abd' });
    expect(wrong.status).toBe(401);
    const prefix = await rawPost(gw.url!, { authorization: 'Bearer first-token-ab' });
    expect(prefix.status).toBe(401);
    const basic = await rawPost(gw.url!, { authorization: 'Basic Zmlyc3QtdG9rZW4tYWJj' });
    expect(basic.status).toBe(401);
  });

  it('serves clients that send any configured token', async () => {
    const v2 = await connectV2(gw.url!, 'legacy', { authorization: 'Bearer second-token-xyz' });
    const r = await v2.callTool({ name: 'get_assignment', arguments: { id: '1' } });
    expect(r.isError).toBeFalsy();
    await v2.close();
    const modern = await connectV2(gw.url!, 'modern', { authorization: 'Bearer first-token-abc' });
    expect((await modern.listTools()).tools.length).toBeGreaterThan(0);
    await modern.close();
    const v1 = await connectV1(gw.url!, { authorization: 'Bearer first-token-abc' });
    expect(textOf(await v1.callTool({ name: 'get_assignment', arguments: { id: '2' } }))).toContain(
      'Ship it',
    );
    await v1.close();
  });

  it('makes a client without a token fail to connect', async () => {
    await expect(connectV2(gw.url!, 'legacy')).rejects.toThrow();
  });
});

describe('stateless mode behind a load balancer', () => {
  it('serves every era when consecutive requests land on different instances', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { stateless: true } };
    const a = await startGateway(testConfig(config), { transport: 'http' });
    const b = await startGateway(testConfig(config), { transport: 'http' });
    try {
      const targets = [new URL(a.url!), new URL(b.url!)];
      const hits = [0, 0];
      let turn = 0;
      // A round-robin "load balancer" in front of the two instances.
      const balanced: typeof fetch = (input, init) => {
        const i = turn++ % 2;
        hits[i]!++;
        const url = new URL(input instanceof Request ? input.url : String(input));
        url.host = targets[i]!.host;
        return fetch(url, init);
      };
      const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
      for (const negotiation of [undefined, { mode: { pin: '2026-07-28' as const } }]) {
        const client = new Client(
          { name: 'lb', version: '1' },
          negotiation ? { versionNegotiation: negotiation } : {},
        );
        await client.connect(new StreamableHTTPClientTransport(new URL(a.url!), { fetch: balanced }));
        for (const id of ['1', '2', '1', '2']) {
          const r = await client.callTool({ name: 'get_assignment', arguments: { id } });
          expect(r.isError).toBeFalsy();
          expect((r.structuredContent as { id: string }).id).toBe(id);
        }
        await client.close();
      }
      expect(hits[0]).toBeGreaterThan(2);
      expect(hits[1]).toBeGreaterThan(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('idle sessions', () => {
  it('closes a 2025-era session unused for sessionIdleMs; the client gets 404 and must initialize again', async () => {
    const clock = new ManualClock(Date.now());
    const gw = await startGateway(testConfig(assignmentsConfig(upstream.url)), {
      transport: 'http',
      clock,
      sessionIdleMs: 60_000,
    });
    try {
      const init = await rawPost(gw.url!, {});
      expect(init.status).toBe(200);
      const sessionId = String(init.headers['mcp-session-id']);
      const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
      await clock.advanceAsync(50_000);
      expect((await rawPost(gw.url!, headers, list)).status).toBe(200); // used: stays open
      await clock.advanceAsync(50_000);
      expect((await rawPost(gw.url!, headers, list)).status).toBe(200);
      await clock.advanceAsync(120_000);
      const gone = await rawPost(gw.url!, headers, list);
      expect(gone.status).toBe(404);
      expect(gone.body).toContain('Session not found');
    } finally {
      await gw.close();
    }
  });
});
