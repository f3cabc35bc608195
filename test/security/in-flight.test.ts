import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { deferred } from '../helpers/deferred.js';
import { testConfig } from '../helpers/gateway-config.js';
import { connectV1, connectV2, textOf } from '../mcp/helpers/clients.js';

// One client floods a tool whose endpoint hangs; another client calls a different tool of the same
// upstream. The flood must not take every connection of the upstream's pool (64) from the other tool.

const FLOOD = 100;

let hung: ServerResponse[] = [];
let arrivals = 0;
let enough = deferred();
let server: ReturnType<typeof createServer>;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/hang/')) {
      hung.push(res);
      if (++arrivals === 32) enough.resolve();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ fast: true, url: req.url }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('calls in flight to one upstream are queued per tool', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    hung = [];
    arrivals = 0;
    enough = deferred();
    const input = {
      type: 'object' as const,
      properties: { id: { type: 'string' } },
      required: ['id'],
    };
    gw = await startGateway(
      testConfig({
        upstreams: { api: { baseUrl: base, timeouts: { total: 60_000 } } },
        tools: [
          { name: 'hanging', upstream: 'api', method: 'GET', path: '/hang/{id}', input },
          // The innocent tool's own budget: time spent queued behind the flood counts against it.
          { name: 'quick', upstream: 'api', method: 'GET', path: '/fast/{id}', input, timeout: 5_000 },
        ],
      }),
      { transport: 'http' },
    );
  });
  afterAll(async () => {
    for (const res of hung) res.destroy();
    await gw?.close();
  });

  it(`${FLOOD} calls to a hanging endpoint leave another tool of the same upstream served (v2 flood, v1 caller)`, async () => {
    const flooder = await connectV2(gw.url!, 'legacy');
    const flood = Array.from({ length: FLOOD }, (_, i) =>
      flooder
        .callTool({ name: 'hanging', arguments: { id: String(i) } }, { timeout: 120_000 })
        .catch((err: unknown) => err),
    );
    await enough.promise;
    const caller = await connectV1(gw.url!);
    try {
      const r = await caller.callTool({ name: 'quick', arguments: { id: '7' } });
      expect(r.isError).toBeFalsy();
      expect(textOf(r)).toContain('/fast/7');
      // The flooding tool holds at most its share (half of the 64 slots), not the whole pool.
      expect(arrivals).toBeLessThanOrEqual(32);
    } finally {
      await caller.close();
      for (const res of hung.splice(0)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"released":true}');
      }
      for (const res of hung.splice(0)) res.end('{}');
      await flooder.close();
      await Promise.allSettled(flood);
    }
  });
});
