import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AssignmentsUpstream, startAssignmentsUpstream } from '../../src/demo/index.js';
import { createGateway, type RunningGateway, serveGatewayStdio, startGateway } from '../../src/mcp/index.js';
import { noopLogger } from '../../src/core/index.js';
import { parseConfig } from '../../src/config/index.js';
import { connectV2 } from '../mcp/helpers/clients.js';
import { type TestConfigInput, testConfig } from '../helpers/gateway-config.js';

const dir = mkdtempSync(join(tmpdir(), 'conduit-audit-'));
const UPSTREAM_SECRET = 'upstream-secret-token-42';
const READER = 'reader-token-0123456789';

let upstream: AssignmentsUpstream;
let gw: RunningGateway;
const file = join(dir, 'audit.jsonl');

function config(extra: Partial<TestConfigInput> = {}): TestConfigInput {
  return {
    server: { http: { authTokens: [{ token: READER, sub: 'rita', clientId: 'web', scopes: ['read'] }] } },
    upstreams: { a: { baseUrl: upstream.url, auth: { type: 'bearer', token: UPSTREAM_SECRET } } },
    tools: [
      {
        name: 'get_assignment',
        upstream: 'a',
        path: '/assignments/{id}',
        input: {
          type: 'object',
          properties: { id: { type: 'string' }, note: { type: 'string' }, api_key: { type: 'string' } },
          required: ['id'],
        },
        params: { note: 'query', api_key: 'query' },
        cache: { ttl: '1m' },
      },
      { name: 'list_assignments', upstream: 'a', path: '/assignments' },
    ],
    policy: { rules: [{ tools: ['get_*'], when: { scopes: ['read'] } }] },
    audit: { destination: 'file', path: file, arguments: { get_assignment: ['id', 'note', 'api_key'] } },
    ...extra,
  };
}

beforeAll(async () => {
  upstream = await startAssignmentsUpstream({ token: UPSTREAM_SECRET });
  gw = await startGateway(testConfig(config()), { transport: 'http' });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

const lines = () =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the audit stream', () => {
  it('writes one JSON line per call: who, what, outcome, cache source, duration; allow-listed arguments, redacted', async () => {
    const client = await connectV2(gw.url!, 'modern', { authorization: `Bearer ${READER}` });
    try {
      const args = { id: 'a1', note: `see ${UPSTREAM_SECRET}`, api_key: 'k-123456789' };
      await client.callTool({ name: 'get_assignment', arguments: args });
      await client.callTool({ name: 'get_assignment', arguments: args });
      await client.callTool({ name: 'get_assignment', arguments: { id: 'missing' } });
      await client.callTool({ name: 'list_assignments', arguments: {} });
    } finally {
      await client.close();
    }
    await gw.close();
    const [first, second, missing, refused] = lines();
    expect(first).toMatchObject({
      principal: { id: 'static:rita', sub: 'rita', client: 'web' },
      tool: 'get_assignment',
      upstream: 'a',
      outcome: 'ok',
      cache: 'upstream',
      arguments: { id: 'a1', note: 'see [REDACTED]', api_key: '[REDACTED]' },
    });
    expect(typeof first!.time).toBe('string');
    expect(first!.requestId).toBeDefined();
    expect(typeof first!.durationMs).toBe('number');
    expect(second).toMatchObject({ outcome: 'ok', cache: 'l1' });
    expect(missing).toMatchObject({ outcome: 'error', code: 'HTTP_STATUS', status: 404 });
    expect(refused).toMatchObject({ tool: 'list_assignments', outcome: 'refused', code: 'POLICY_DENIED' });
    expect(refused).not.toHaveProperty('arguments');
    expect(readFileSync(file, 'utf8')).not.toContain(UPSTREAM_SECRET);
    expect(readFileSync(file, 'utf8')).not.toContain(READER);
  });

  it('refuses stdout as the destination in stdio mode (stdout is the protocol there)', () => {
    const gateway = createGateway(testConfig(config({ audit: { destination: 'stdout' } })));
    try {
      expect(() => serveGatewayStdio(gateway, { logger: noopLogger })).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIG' }),
      );
    } finally {
      void gateway.close();
    }
  });

  it("redacts an upstream credential written into a reloaded config as it does the first config's", async () => {
    const reloadedFile = join(dir, 'reloaded.jsonl');
    const NEXT_SECRET = 'next-upstream-secret-77';
    const first = config({
      audit: { destination: 'file', path: reloadedFile, arguments: { get_assignment: ['note'] } },
    });
    const running = await startGateway(testConfig(first), { transport: 'http' });
    try {
      const next = {
        ...first,
        upstreams: { a: { baseUrl: upstream.url, auth: { type: 'bearer' as const, token: NEXT_SECRET } } },
      };
      expect((await running.gateway.reload(testConfig(next))).outcome).toBe('applied');
      const client = await connectV2(running.url!, 'modern', { authorization: `Bearer ${READER}` });
      try {
        await client.callTool({
          name: 'get_assignment',
          arguments: { id: 'a1', note: `see ${NEXT_SECRET}` },
        });
      } finally {
        await client.close();
      }
    } finally {
      await running.close();
    }
    const written = readFileSync(reloadedFile, 'utf8');
    expect(written).toContain('see [REDACTED]');
    expect(written).not.toContain(NEXT_SECRET);
  });

  it('names the upstream of a tool a reload added, and of a tool a reload moved to another upstream', async () => {
    const reloadedFile = join(dir, 'moved.jsonl');
    const first = config({ audit: { destination: 'file', path: reloadedFile, arguments: {} } });
    const running = await startGateway(testConfig(first), { transport: 'http' });
    try {
      const next = {
        ...first,
        upstreams: { ...first.upstreams, b: { baseUrl: upstream.url, auth: first.upstreams!.a!.auth } },
        tools: [
          { ...first.tools![0]!, upstream: 'b' },
          { name: 'list_again', upstream: 'a', path: '/assignments' },
        ],
        policy: { rules: [{ tools: ['*'], when: { scopes: ['read'] } }] },
      };
      expect((await running.gateway.reload(testConfig(next))).outcome).toBe('applied');
      const client = await connectV2(running.url!, 'modern', { authorization: `Bearer ${READER}` });
      try {
        await client.callTool({ name: 'get_assignment', arguments: { id: 'a1' } });
        await client.callTool({ name: 'list_again', arguments: {} });
      } finally {
        await client.close();
      }
    } finally {
      await running.close();
    }
    const written = readFileSync(reloadedFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(written.map((r) => [r.tool, r.upstream, r.outcome])).toEqual([
      ['get_assignment', 'b', 'ok'],
      ['list_again', 'a', 'ok'],
    ]);
  });
});

describe('the audit stream and an environment value that is also JSON text', () => {
  it('keeps each line JSON: an allow-listed argument equal to a secret number is "[REDACTED]"', async () => {
    const auditFile = join(dir, 'audit-json.jsonl');
    const yaml = `
upstreams:
  a:
    baseUrl: ${upstream.url}
    auth: { type: bearer, token: ${UPSTREAM_SECRET} }
    breaker: { failureThreshold: "\${THRESHOLD}" }
tools:
  - name: list_assignments
    upstream: a
    path: /assignments
    input: { type: object, properties: { limit: { type: integer }, note: { type: string } } }
    params: { limit: query, note: query }
audit: { destination: file, path: ${JSON.stringify(auditFile)}, arguments: { list_assignments: [limit, note] } }
`;
    const running = await startGateway(parseConfig(yaml, { env: { THRESHOLD: '1000' } }), {
      transport: 'http',
      port: 0,
    });
    const client = await connectV2(running.url!, 'modern');
    try {
      await client.callTool({ name: 'list_assignments', arguments: { limit: 1000, note: 'over 1000' } });
    } finally {
      await client.close();
      await running.close();
    }
    const written = readFileSync(auditFile, 'utf8').trim().split('\n');
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0]!)).toMatchObject({
      tool: 'list_assignments',
      arguments: { limit: '[REDACTED]', note: 'over [REDACTED]' },
    });
  });
});
