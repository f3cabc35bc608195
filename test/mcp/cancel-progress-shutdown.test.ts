import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2, textOf } from './helpers/clients.js';
import { assignmentsConfig } from './helpers/config.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { testConfig } from '../helpers/gateway-config.js';

type CallOptions = {
  signal?: AbortSignal;
  onprogress?: (p: { progress: number; message?: string }) => void;
  resetTimeoutOnProgress?: boolean;
};
type AnyClient = {
  callTool(
    params: { name: string; arguments?: Record<string, unknown> },
    schema?: undefined,
    options?: CallOptions,
  ): Promise<unknown>;
  close(): Promise<void>;
};

let upstream: Upstream;
let gateway: RunningGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway(testConfig(assignmentsConfig(upstream.url)), {
    transport: 'http',
    progressIntervalMs: 30,
  });
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});
beforeEach(() => upstream.setFault({ kind: 'none' }));

// v2's callTool takes (params, options); v1's takes (params, resultSchema, options).
const clients: [string, () => Promise<{ client: AnyClient; call: (a: CallOptions) => Promise<unknown> }>][] =
  [
    [
      'v2 client, 2025 handshake',
      async () => {
        const c = await connectV2(gateway.url!, 'legacy');
        return {
          client: c as unknown as AnyClient,
          call: (o) => c.callTool({ name: 'get_assignment', arguments: { id: '1' } }, o),
        };
      },
    ],
    [
      'v2 client, 2026-07-28',
      async () => {
        const c = await connectV2(gateway.url!, 'modern');
        return {
          client: c as unknown as AnyClient,
          call: (o) => c.callTool({ name: 'get_assignment', arguments: { id: '1' } }, o),
        };
      },
    ],
    [
      'v1 client',
      async () => {
        const c = await connectV1(gateway.url!);
        return {
          client: c as unknown as AnyClient,
          call: (o) => c.callTool({ name: 'get_assignment', arguments: { id: '1' } }, undefined, o),
        };
      },
    ],
  ];

describe.each(clients)('with the %s', (_label, connect) => {
  it('cancelling the call closes the upstream request', async () => {
    const { client, call } = await connect();
    try {
      upstream.setFault({ kind: 'hang' });
      const arrived = upstream.nextRequest();
      const closed = upstream.nextClose();
      const controller = new AbortController();
      const pending = call({ signal: controller.signal });
      await arrived;
      controller.abort();
      await expect(pending).rejects.toThrow();
      await closed; // the upstream saw its socket close: the gateway aborted the request
    } finally {
      await client.close();
    }
  });

  it('sends progress while the upstream is slow, when the client asked for it', async () => {
    const { client, call } = await connect();
    try {
      upstream.setFault({ kind: 'hang' });
      const progress: { progress: number; message?: string }[] = [];
      const pending = call({
        onprogress: (p) => {
          progress.push(p);
          if (progress.length === 2) upstream.release({ id: '1', title: 'late but here' });
        },
        resetTimeoutOnProgress: true,
      });
      const result = (await pending) as { isError?: boolean; structuredContent?: unknown };
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ id: '1', title: 'late but here' });
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress[1]!.progress).toBeGreaterThan(progress[0]!.progress);
      expect(progress[0]!.message).toMatch(/get_assignment .*still waiting/);
    } finally {
      await client.close();
    }
  });
});

describe('graceful shutdown over HTTP', () => {
  it('lets in-flight calls finish, refuses new ones, then closes', async () => {
    const up = await startUpstream();
    const gw = await startGateway(testConfig(assignmentsConfig(up.url)), { transport: 'http' });
    const legacy = await connectV2(gw.url!, 'legacy');
    const modern = await connectV2(gw.url!, 'modern');
    up.setFault({ kind: 'hang' });
    const seen = [up.nextRequest(), up.nextRequest()];
    const first = legacy.callTool({ name: 'get_assignment', arguments: { id: '1' } });
    const second = modern.callTool({ name: 'get_assignment', arguments: { id: '2' } });
    await Promise.all(seen);
    let closed = false;
    const closing = gw.close().then(() => {
      closed = true;
    });
    // No new connections are accepted while draining; the running calls are not cut.
    await expect(connectV2(gw.url!, 'legacy')).rejects.toThrow();
    expect(closed).toBe(false);
    up.release({ id: 'done', title: 'finished during shutdown' });
    const [a, b] = await Promise.all([first, second]);
    expect(a.isError).toBeFalsy();
    expect(a.structuredContent).toEqual({ id: 'done', title: 'finished during shutdown' });
    expect(b.isError).toBeFalsy();
    await closing;
    expect(closed).toBe(true);
    await expect(fetch(gw.url!, { method: 'POST' })).rejects.toThrow();
    await Promise.allSettled([legacy.close(), modern.close()]);
    await up.close();
  });

  it('gives up on calls that outlive the shutdown deadline', async () => {
    const up = await startUpstream();
    const config = assignmentsConfig(up.url);
    config.server = { shutdownTimeout: 100 };
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    const client = await connectV2(gw.url!, 'legacy');
    up.setFault({ kind: 'hang' });
    const arrived = up.nextRequest();
    const stuck = client
      .callTool({ name: 'get_assignment', arguments: { id: '1' } })
      .catch((e: unknown) => e);
    await arrived;
    const closedSocket = up.nextClose();
    await gw.close();
    await closedSocket; // the upstream request was aborted at the deadline
    const outcome = await stuck;
    expect(outcome).not.toBeInstanceOf(Error);
    expect(textOf(outcome)).toMatch(
      /stopped: the gateway shut down before this call finished \(deadline 100 ms\)/,
    );
    await client.close().catch(() => {});
    await up.close();
  });
});

describe('a client that goes away mid-call', () => {
  // Upstream timeouts far beyond the test's own: only the gateway noticing the closed request can end
  // the upstream request in time.
  let up: Upstream;
  let gw: RunningGateway;
  beforeAll(async () => {
    up = await startUpstream();
    const config = assignmentsConfig(up.url);
    config.upstreams.assignments!.timeouts = { total: 600_000, headers: 600_000, body: 600_000 };
    gw = await startGateway(testConfig(config), { transport: 'http' });
  });
  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });

  const dropping: [string, () => Promise<{ close(): Promise<void>; call(): Promise<unknown> }>][] = [
    [
      'v1 client (2025 session)',
      async () => {
        const c = await connectV1(gw.url!);
        return {
          close: () => c.close(),
          call: () => c.callTool({ name: 'get_assignment', arguments: { id: '1' } }),
        };
      },
    ],
    [
      'v2 client, 2025 handshake',
      async () => {
        const c = await connectV2(gw.url!, 'legacy');
        return {
          close: () => c.close(),
          call: () => c.callTool({ name: 'get_assignment', arguments: { id: '1' } }),
        };
      },
    ],
    [
      'v2 client, 2026-07-28',
      async () => {
        const c = await connectV2(gw.url!, 'modern');
        return {
          close: () => c.close(),
          call: () => c.callTool({ name: 'get_assignment', arguments: { id: '1' } }),
        };
      },
    ],
  ];

  it.each(dropping)('the %s closing its POST aborts the upstream request', async (_label, connect) => {
    const client = await connect();
    up.setFault({ kind: 'hang' });
    const arrived = up.nextRequest();
    const closed = up.nextClose();
    const pending = client.call().catch((e: unknown) => e);
    await arrived;
    // close() aborts the client's HTTP requests (the POST's stream among them) without sending
    // notifications/cancelled: the gateway sees only the connection going away.
    await client.close();
    await closed; // the upstream saw its socket close
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('a 2025 client of a stateless gateway that goes away mid-call', () => {
  it('closing its POST aborts the upstream request', async () => {
    const up = await startUpstream();
    const config = assignmentsConfig(up.url);
    config.upstreams.assignments!.timeouts = { total: 600_000, headers: 600_000, body: 600_000 };
    config.server = { http: { stateless: true } };
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    try {
      const client = await connectV1(gw.url!);
      up.setFault({ kind: 'hang' });
      const arrived = up.nextRequest();
      const closed = up.nextClose();
      const pending = client
        .callTool({ name: 'get_assignment', arguments: { id: '1' } })
        .catch((e: unknown) => e);
      await arrived;
      await client.close();
      await closed;
      expect(await pending).toBeInstanceOf(Error);
    } finally {
      await gw.close();
      await up.close();
    }
  });
});
