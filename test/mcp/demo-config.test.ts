import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { type AssignmentsUpstream, startAssignmentsUpstream } from '../../src/demo/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV2, textOf } from './helpers/clients.js';

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
  _meta?: Record<string, unknown>;
}

const configFile = join(resolve(import.meta.dirname, '../..'), 'examples/conduit.yaml');

describe('examples/conduit.yaml in front of the bundled demo upstream', () => {
  let upstream: AssignmentsUpstream;
  let gateway: RunningGateway;
  let client: Awaited<ReturnType<typeof connectV2>>;
  const call = (name: string, args: Record<string, unknown>) =>
    client.callTool({ name, arguments: args }) as Promise<Result>;

  beforeAll(async () => {
    upstream = await startAssignmentsUpstream({ token: 'demo-token' });
    const config = await loadConfig(configFile, { env: { ASSIGNMENTS_API_URL: upstream.url } });
    gateway = await startGateway(config, { transport: 'http', port: 0 });
    client = await connectV2(gateway.url!, 'legacy');
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.setFault(undefined));

  it('answers with structured output validated against the output schema, then from the cache', async () => {
    upstream.resetStats();
    const miss = await call('get_assignment', { id: 'a1' });
    expect(miss.isError).toBeFalsy();
    expect(miss.structuredContent).toMatchObject({ id: 'a1', userId: 'u1' });
    const hit = await call('get_assignment', { id: 'a1' });
    expect(hit._meta?.['conduit/cache']).toMatchObject({ source: 'cache', layer: 'l1' });
    expect(upstream.stats().byRoute['GET /assignments/{id}']).toBe(1);
  });

  it('an update through PATCH invalidates the tagged entry', async () => {
    await call('get_assignment', { id: 'a2' });
    const updated = await call('update_assignment', { id: 'a2', title: 'Renamed by the test' });
    expect(updated.isError).toBeFalsy();
    const after = await call('get_assignment', { id: 'a2' });
    expect(after._meta?.['conduit/cache']).toMatchObject({ source: 'upstream' });
    expect(after.structuredContent).toMatchObject({ title: 'Renamed by the test' });
  });

  // Each failure test gets a fresh gateway: failures from one must not open the breaker for the next.
  const withFreshGateway = async (fn: (c: typeof call) => Promise<void>) => {
    const config = await loadConfig(configFile, { env: { ASSIGNMENTS_API_URL: upstream.url } });
    const gw = await startGateway(config, { transport: 'http', port: 0 });
    const c = await connectV2(gw.url!, 'modern');
    try {
      await fn((name, args) => c.callTool({ name, arguments: args }) as Promise<Result>);
    } finally {
      await c.close();
      await gw.close();
    }
  };

  it('reports a rate-limited upstream with the delay it asked for', async () => {
    upstream.setFault({ kind: 'rate-limit', retryAfterSeconds: 30 });
    const r = await call('get_assignment', { id: 'a3' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/HTTP 429/);
    expect(textOf(r)).toMatch(/is rate limiting the gateway: .* retry after 30 s\./);
    expect(r._meta?.['conduit/error']).toMatchObject({
      code: 'UPSTREAM_RATE_LIMITED',
      status: 429,
      retryAfterMs: 30_000,
    });
  });

  it('reports a reset connection as unreachable', () =>
    withFreshGateway(async (call) => {
      upstream.setFault({ kind: 'reset' });
      const r = await call('get_assignment', { id: 'a4' });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/Could not reach upstream "assignments"/);
    }));

  it('after repeated failures the breaker opens and calls fail fast with when to retry', () =>
    withFreshGateway(async (call) => {
      await call('get_assignment', { id: 'a11' });
      upstream.setFault({ kind: 'error', status: 503 });
      let last: Result | undefined;
      for (let i = 5; i < 11 && !textOf(last ?? { content: [] }).includes('circuit breaker is open'); i++) {
        last = await call('get_assignment', { id: `a${i}` });
        expect(last.isError).toBe(true);
      }
      expect(textOf(last!)).toMatch(
        /circuit breaker is open, so the call was not attempted\. Retry after \d/,
      );
      expect(last!._meta?.['conduit/error']).toMatchObject({ code: 'CIRCUIT_OPEN' });
      const seen = upstream.stats().requests;
      const fast = await call('get_assignment', { id: 'a12' });
      expect(textOf(fast)).toContain('circuit breaker is open');
      expect(upstream.stats().requests).toBe(seen);
      // A cached answer is still served while the breaker is open.
      const cached = await call('get_assignment', { id: 'a11' });
      expect(cached.isError).toBeFalsy();
      expect(cached._meta?.['conduit/cache']).toMatchObject({ source: 'cache' });
    }));
});
