import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { testConfig } from '../helpers/gateway-config.js';
import { connectV1, connectV2 } from '../mcp/helpers/clients.js';
import { assignmentsConfig } from '../mcp/helpers/config.js';

/**
 * An upstream that answers 500 to one id (a client's hostile or broken input) and serves every other
 * request; it counts what it saw per path.
 */
async function poisonedUpstream() {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    seen.push(`${req.method} ${url}`);
    res.setHeader('content-type', 'application/json');
    if (url.startsWith('/assignments/poison')) {
      res.statusCode = 500;
      return res.end(JSON.stringify({ error: 'this id breaks the upstream' }));
    }
    const id = /^\/assignments\/([^/?]+)/.exec(url)?.[1];
    if (id) return res.end(JSON.stringify({ id, title: `assignment ${id}` }));
    res.end(JSON.stringify({ echoed: url }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

type Meta = { code?: string } | undefined;
const codeOf = (r: { isError?: boolean; _meta?: Record<string, unknown> }) =>
  r.isError ? ((r._meta?.['conduit/error'] as Meta)?.code ?? 'ERROR') : 'ok';

describe('one client cannot open the breaker for everyone', () => {
  let upstream: Awaited<ReturnType<typeof poisonedUpstream>>;
  let gw: RunningGateway;
  beforeAll(async () => {
    upstream = await poisonedUpstream();
    // The defaults: no breaker settings, retries on (3 attempts of each bad call reach the upstream).
    const config = assignmentsConfig(upstream.url);
    config.upstreams.assignments!.retry = { maxAttempts: 3, baseDelay: 1, maxDelay: 1, jitter: 'none' };
    gw = await startGateway(testConfig(config), { transport: 'http' });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it("a client's few failing calls leave the same tool served for other clients and inputs", async () => {
    const attacker = await connectV2(gw.url!, 'modern');
    const victim = await connectV1(gw.url!);
    try {
      // What once opened the upstream's breaker (threshold 5): two bad calls, six upstream requests.
      for (let i = 0; i < 2; i++)
        expect(codeOf(await attacker.callTool({ name: 'get_assignment', arguments: { id: 'poison' } }))).toBe(
          'HTTP_STATUS',
        );
      expect(upstream.seen.filter((s) => s.includes('poison'))).toHaveLength(6);
      const served = await victim.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      expect(codeOf(served as never)).toBe('ok');
      expect(codeOf(await attacker.callTool({ name: 'get_assignment', arguments: { id: '2' } }))).toBe('ok');
    } finally {
      await Promise.allSettled([attacker.close(), victim.close()]);
    }
  });

  it("a client hammering one route opens that route only: the upstream's other tools stay served", async () => {
    const attacker = await connectV2(gw.url!, 'legacy');
    const victim = await connectV2(gw.url!, 'modern');
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 10; i++)
        outcomes.push(
          codeOf(await attacker.callTool({ name: 'get_assignment', arguments: { id: 'poison' } })),
        );
      // The route's own breaker did its job: it opened and spared the upstream.
      expect(outcomes).toContain('CIRCUIT_OPEN');
      expect(codeOf(await victim.callTool({ name: 'get_assignment', arguments: { id: '1' } }))).toBe(
        'CIRCUIT_OPEN',
      );
      // Every other route of the same upstream is untouched.
      const before = upstream.seen.length;
      expect(codeOf(await victim.callTool({ name: 'echo', arguments: { q: 'still here' } }))).toBe('ok');
      expect(
        codeOf(
          await victim.callTool({ name: 'update_assignment', arguments: { id: '1', title: 'renamed' } }),
        ),
      ).toBe('ok');
      expect(upstream.seen.length).toBe(before + 2);
    } finally {
      await Promise.allSettled([attacker.close(), victim.close()]);
    }
  });
});

describe('breaker.scope: upstream keeps one breaker for the whole upstream', () => {
  it('a failing route opens it for every tool of that upstream', async () => {
    const upstream = await poisonedUpstream();
    const config = assignmentsConfig(upstream.url);
    config.upstreams.assignments!.retry = { maxAttempts: 1 };
    config.upstreams.assignments!.breaker = { failureThreshold: 3, scope: 'upstream' };
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    const client = await connectV2(gw.url!, 'modern');
    try {
      for (let i = 0; i < 3; i++)
        await client.callTool({ name: 'get_assignment', arguments: { id: 'poison' } });
      expect(codeOf(await client.callTool({ name: 'echo', arguments: { q: 'x' } }))).toBe('CIRCUIT_OPEN');
    } finally {
      await client.close();
      await gw.close();
      await upstream.close();
    }
  });
});

describe('an argument that cannot be sent as a header', () => {
  let upstream: Awaited<ReturnType<typeof poisonedUpstream>>;
  let gw: RunningGateway;
  beforeAll(async () => {
    upstream = await poisonedUpstream();
    gw = await startGateway(testConfig(assignmentsConfig(upstream.url)), { transport: 'http' });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('is refused as an invalid argument before any request, and never counts against the breaker', async () => {
    const attacker = await connectV2(gw.url!, 'modern');
    const victim = await connectV1(gw.url!);
    try {
      // A line break would start a header of its own (an injection); NUL and U+2028 are no header text.
      const hostile = ['a\r\nx-injected: 1', 'a\nb', 'a\u0000b', 'a\u2028b', 'a\u007fb'];
      const results = [];
      for (let round = 0; round < 3; round++)
        for (const value of hostile)
          results.push(await attacker.callTool({ name: 'echo', arguments: { 'x-trace': value } }));
      expect(results.map((r) => codeOf(r as never))).toEqual(
        Array(hostile.length * 3).fill('REQUEST_VALIDATION'),
      );
      const text = (results[0] as { content: { text: string }[] }).content[0]!.text;
      expect(text).toContain('x-trace');
      expect(text).toMatch(/header/);
      expect(upstream.seen).toEqual([]);

      const served = await victim.callTool({ name: 'echo', arguments: { 'x-trace': 'trace-ok é\t1' } });
      expect(codeOf(served as never)).toBe('ok');
      expect(upstream.seen).toEqual(['GET /echo']);
    } finally {
      await attacker.close();
      await victim.close();
    }
  });
});
