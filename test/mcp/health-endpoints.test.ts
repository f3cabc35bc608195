import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { ConfigValidationError, parseConfig } from '../../src/config/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { type TestConfigInput, testConfig } from '../helpers/gateway-config.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { assignmentsConfig } from './helpers/config.js';
import { serveCommand, writeConfig } from './helpers/spawn-gateway.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

interface Probe {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One probe as a kubelet sends it: a fresh connection, no token, `Host: <pod IP>:<port>`. */
function probe(
  base: string,
  path: string,
  options: { method?: string; host?: string; headers?: Record<string, string> } = {},
): Promise<Probe> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        headers: { ...(options.host ? { host: options.host } : {}), ...options.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const bodyOf = (p: Probe) =>
  JSON.parse(p.text) as Record<string, unknown> & { checks: Record<string, unknown> };
const baseOf = (running: RunningGateway) => new URL(running.url!).origin;
const KUBELET_HOST = '10.244.1.17:3000';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

describe('/healthz and /readyz on the HTTP listener', () => {
  let running: RunningGateway;
  const token = 'client-token-not-for-probes';
  beforeAll(async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { ...config.server, http: { authTokens: [token] } };
    running = await startGateway(testConfig(config), { transport: 'http' });
  });
  afterAll(async () => {
    await running?.close();
  });

  it('answers liveness without a token and under the pod IP as Host, while the MCP endpoint refuses that Host', async () => {
    const live = await probe(baseOf(running), '/healthz', { host: KUBELET_HOST });
    expect(live.status).toBe(200);
    expect(live.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(live.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(live.text)).toEqual({ status: 'ok' });
    const mcp = await probe(baseOf(running), '/mcp', { host: KUBELET_HOST, method: 'POST' });
    expect(mcp.status).toBe(403);
  });

  it('answers readiness with every check listed and nothing of the config in it', async () => {
    const ready = await probe(baseOf(running), '/readyz', { host: KUBELET_HOST });
    expect(ready.status).toBe(200);
    expect(bodyOf(ready)).toEqual({
      status: 'ready',
      checks: { startup: { ok: true, state: 'serving' }, config: { ok: true, state: 'loaded' } },
    });
    expect(ready.text).not.toContain(token);
    expect(ready.text).not.toContain(upstream.url);
  });

  it('answers HEAD with the status and headers of GET and no body', async () => {
    const get = await probe(baseOf(running), '/readyz');
    const head = await probe(baseOf(running), '/readyz', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
    const liveHead = await probe(baseOf(running), '/healthz', { method: 'HEAD' });
    expect(liveHead.status).toBe(200);
    expect(liveHead.text).toBe('');
  });

  it('refuses other methods with 405 and the allowed ones', async () => {
    const post = await probe(baseOf(running), '/readyz', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await probe(baseOf(running), '/healthz', { method: 'DELETE' })).status).toBe(405);
  });

  it('ignores a query string, as probes configured with one expect', async () => {
    expect((await probe(baseOf(running), '/readyz?verbose=1')).status).toBe(200);
  });
});

describe('/healthz and /readyz on the stdio side listener (spawned `conduit serve`)', () => {
  it('answers both probes on server.listener while MCP runs on stdin/stdout', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { ...config.server, listener: { host: '127.0.0.1', port: 0 } };
    const transport = new StdioClientTransport({ ...serveCommand(writeConfig(config)), stderr: 'pipe' });
    let stderr = '';
    const listening = new Promise<string>((resolve) => {
      transport.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*webhooks and metrics listening/.exec(stderr);
        if (m) resolve(m[1]!);
      });
    });
    const client = new Client({ name: 'stdio-health', version: '1.0.0' });
    await client.connect(transport);
    try {
      const side = await listening;
      const live = await probe(side, '/healthz', { host: KUBELET_HOST });
      expect(live.status).toBe(200);
      expect(JSON.parse(live.text)).toEqual({ status: 'ok' });
      const ready = await probe(side, '/readyz', { host: KUBELET_HOST });
      expect(ready.status).toBe(200);
      expect(bodyOf(ready).status).toBe('ready');
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});

describe('probes beside the OAuth resource server', () => {
  it('answers /healthz and /readyz without an access token while /mcp asks for one', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = {
      ...config.server,
      http: {
        auth: {
          issuer: 'http://127.0.0.1:9/issuer',
          resource: 'http://127.0.0.1/mcp',
          jwksUri: 'http://127.0.0.1:9/jwks',
        },
      },
    };
    const running = await startGateway(testConfig(config), { transport: 'http' });
    try {
      expect((await probe(baseOf(running), '/healthz', { host: KUBELET_HOST })).status).toBe(200);
      expect((await probe(baseOf(running), '/readyz', { host: KUBELET_HOST })).status).toBe(200);
      expect((await probe(baseOf(running), '/mcp', { method: 'POST' })).status).toBe(401);
    } finally {
      await running.close();
    }
  });
});

describe('server.health settings', () => {
  it('serves the probes on the configured paths, and nothing at the defaults', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { ...config.server, health: { livePath: '/live', readyPath: '/ready' } };
    const running = await startGateway(testConfig(config), { transport: 'http' });
    try {
      expect((await probe(baseOf(running), '/live')).status).toBe(200);
      expect((await probe(baseOf(running), '/ready')).status).toBe(200);
      expect((await probe(baseOf(running), '/healthz')).status).toBe(404);
    } finally {
      await running.close();
    }
  });

  it('serves no probes when disabled', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { ...config.server, health: { enabled: false } };
    const running = await startGateway(testConfig(config), { transport: 'http' });
    try {
      expect((await probe(baseOf(running), '/healthz')).status).toBe(404);
      expect((await probe(baseOf(running), '/readyz')).status).toBe(404);
    } finally {
      await running.close();
    }
  });

  it('refuses a probe path that is the MCP or the metrics endpoint', () => {
    const text = JSON.stringify({
      upstreams: {},
      tools: [],
      server: { health: { livePath: '/mcp', readyPath: '/metrics' } },
    });
    let problems: string[] = [];
    try {
      parseConfig(text, { format: 'json' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigValidationError);
      problems = (err as ConfigValidationError).problems.map((p) => `${p.path}: ${p.message}`);
    }
    expect(problems).toEqual([
      'server.health.livePath: /mcp is the MCP endpoint; pick another path',
      'server.health.readyPath: /metrics is the metrics endpoint; pick another path',
    ]);
  });
});

describe('readiness during shutdown', () => {
  it('turns not ready at once and keeps answering through server.health.drainDelay, liveness staying ok', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const config = assignmentsConfig(upstream.url);
    config.server = { ...config.server, health: { drainDelay: '5s' } };
    const running = await startGateway(testConfig(config), { transport: 'http', clock });
    const base = baseOf(running);
    expect((await probe(base, '/readyz')).status).toBe(200);
    let closed = false;
    const closing = running.close().then(() => {
      closed = true;
    });
    const draining = await probe(base, '/readyz');
    expect(draining.status).toBe(503);
    expect(bodyOf(draining)).toMatchObject({
      status: 'not_ready',
      failing: ['startup'],
      checks: { startup: { ok: false, state: 'draining' } },
    });
    expect((await probe(base, '/healthz')).status).toBe(200);
    expect(closed).toBe(false);
    clock.advance(5000);
    await closing;
    await expect(probe(base, '/healthz')).rejects.toThrow();
  });
});

/** Polls the probe until `accept` holds (bounded: the state change travels over Redis connections). */
async function probeUntil(base: string, accept: (p: Probe) => boolean): Promise<Probe> {
  return vi.waitFor(
    async () => {
      const p = await probe(base, '/readyz');
      if (!accept(p)) throw new Error(`not yet: ${p.status} ${p.text}`);
      return p;
    },
    { timeout: 15_000, interval: 25 },
  );
}

describe('readiness while Redis is down', () => {
  let redis: RedisHandle;
  let lenient: RunningGateway;
  let strict: RunningGateway;

  function redisConfig(requireRedis: boolean): TestConfigInput {
    const config = assignmentsConfig(upstream.url);
    config.server = { ...config.server, health: { requireRedis } };
    config.cache = { prefix: `health-${requireRedis}`, redis: { url: redis.url } };
    config.resources = { health: true };
    config.upstreams.assignments!.breaker = { shared: true };
    config.tools[0]!.cache = { ttl: 60_000 };
    return config;
  }

  beforeAll(async () => {
    redis = await startRedis();
    lenient = await startGateway(testConfig(redisConfig(false)), { transport: 'http' });
    strict = await startGateway(testConfig(redisConfig(true)), { transport: 'http' });
  });
  afterAll(async () => {
    await lenient?.close();
    await strict?.close();
    await redis?.stop();
  });

  it('reports each Redis-backed part; a Redis outage fails readiness only with requireRedis, and both return', async () => {
    const up = await probeUntil(baseOf(strict), (p) => p.status === 200);
    expect(bodyOf(up)).toEqual({
      status: 'ready',
      checks: {
        startup: { ok: true, state: 'serving' },
        config: { ok: true, state: 'loaded' },
        cache: { ok: true, state: 'connected' },
        changes: { ok: true, state: 'connected' },
        breakers: { ok: true, state: 'shared' },
      },
    });

    await redis.kill();
    const down = await probeUntil(
      baseOf(strict),
      (p) => p.status === 503 && (bodyOf(p).failing as string[]).length === 3,
    );
    expect(bodyOf(down)).toMatchObject({
      status: 'not_ready',
      failing: ['cache', 'changes', 'breakers'],
      checks: {
        startup: { ok: true, state: 'serving' },
        cache: { ok: false, state: 'down' },
        changes: { ok: false, state: 'down' },
        breakers: { ok: false, state: 'local' },
      },
    });
    expect(down.text).not.toContain(String(redis.port));
    for (const name of ['cache', 'changes', 'breakers'])
      expect((bodyOf(down).checks[name] as { reason?: string }).reason).toMatch(/^Redis unreachable: /);

    const degraded = await probeUntil(
      baseOf(lenient),
      (p) => p.status === 200 && (bodyOf(p).degraded as string[] | undefined)?.length === 3,
    );
    expect(bodyOf(degraded)).toMatchObject({
      status: 'degraded',
      degraded: ['cache', 'changes', 'breakers'],
    });
    expect((await probe(baseOf(strict), '/healthz')).status).toBe(200);

    await redis.restart();
    await probeUntil(baseOf(strict), (p) => p.status === 200 && bodyOf(p).status === 'ready');
    await probeUntil(baseOf(lenient), (p) => p.status === 200 && bodyOf(p).status === 'ready');
  });

  it('keeps reporting the shared breakers after a reload swaps in new upstream clients', async () => {
    const next = redisConfig(false);
    next.upstreams.second = { baseUrl: upstream.url, breaker: { shared: true } };
    next.tools.push({ ...next.tools[0]!, name: 'get_assignment_again', upstream: 'second' });
    const report = await lenient.gateway.reload(testConfig(next));
    expect(report.outcome).toBe('applied');
    const after = await probe(baseOf(lenient), '/readyz');
    expect(after.status).toBe(200);
    expect(bodyOf(after).checks.breakers).toEqual({ ok: true, state: 'shared' });
  });
});

describe('readiness of the quota counters and the webhook de-duplication store in Redis', () => {
  let redis: RedisHandle;
  let running: RunningGateway;

  beforeAll(async () => {
    redis = await startRedis();
    const config = assignmentsConfig(upstream.url);
    config.server = { ...config.server, health: { requireRedis: true } };
    config.cache = { prefix: 'health-guards', redis: { url: redis.url } };
    config.limits = [{ perMinute: 600 }];
    config.webhooks = {
      endpoints: [
        {
          path: '/webhooks/assignments',
          scheme: 'standard',
          secrets: [`whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`],
          events: { 'assignment.updated': { notify: ['assignments://{data.id}'] } },
        },
      ],
    };
    running = await startGateway(testConfig(config), { transport: 'http' });
  });
  afterAll(async () => {
    await running?.close();
    await redis?.stop();
  });

  it('names quotas and webhook_dedupe when their Redis is down, with no Redis address, and turns ready again', async () => {
    const up = await probeUntil(baseOf(running), (p) => p.status === 200);
    expect(bodyOf(up).checks).toMatchObject({
      quotas: { ok: true, state: 'connected' },
      webhook_dedupe: { ok: true, state: 'connected' },
    });

    await redis.kill();
    const down = await probeUntil(
      baseOf(running),
      (p) =>
        p.status === 503 &&
        ['quotas', 'webhook_dedupe'].every((n) => (bodyOf(p).failing as string[]).includes(n)),
    );
    expect(bodyOf(down).checks).toMatchObject({
      quotas: { ok: false, state: 'down' },
      webhook_dedupe: { ok: false, state: 'down' },
    });
    for (const name of ['quotas', 'webhook_dedupe'])
      expect((bodyOf(down).checks[name] as { reason?: string }).reason).toMatch(/^Redis unreachable: /);
    expect(down.text).not.toContain(String(redis.port));
    expect(down.text).not.toContain('redis://');

    await redis.restart();
    const back = await probeUntil(baseOf(running), (p) => p.status === 200 && bodyOf(p).status === 'ready');
    expect(bodyOf(back).checks).toMatchObject({
      quotas: { ok: true, state: 'connected' },
      webhook_dedupe: { ok: true, state: 'connected' },
    });
  });
});
