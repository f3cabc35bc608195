import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Policy, PolicyDeniedError } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/index.js';
import { bearerPrincipal, noopLogger, OPERATOR } from '../../src/core/index.js';
import { type AssignmentsUpstream, startAssignmentsUpstream } from '../../src/demo/index.js';
import { createGateway, type RunningGateway, serveGatewayStdio, startGateway } from '../../src/mcp/index.js';
import { sdkRequestHandlers } from '../../src/mcp/tools/list-filter.js';
import { connectV1, connectV2, textOf } from '../mcp/helpers/clients.js';
import { UpdateInbox } from '../mcp/resources-helpers.js';
import { type TestConfigInput, testConfig } from '../helpers/gateway-config.js';

const TOKENS = {
  reader: 'reader-token-0123456789',
  admin: 'admin-token-0123456789',
  mallory: 'mallory-token-012345',
};

let upstream: AssignmentsUpstream;
beforeAll(async () => {
  upstream = await startAssignmentsUpstream({ token: 'tok' });
});
afterAll(async () => {
  await upstream?.close();
});

const policy = {
  default: 'deny' as const,
  rules: [
    { tools: ['get_*', 'list_*'], when: { scopes: ['assignments.read'] } },
    { tools: ['*'], when: { groups: ['admin'] } },
    { effect: 'deny' as const, tools: ['delete_*'], when: { subjects: ['mallory'] } },
  ],
};

function policyConfig(extra: Partial<TestConfigInput> = {}): TestConfigInput {
  return {
    server: {
      http: {
        authTokens: [
          { token: TOKENS.reader, sub: 'rita', scopes: ['assignments.read'] },
          { token: TOKENS.admin, sub: 'ada', claims: { groups: ['admin'] } },
          {
            token: TOKENS.mallory,
            sub: 'mallory',
            scopes: ['assignments.read'],
            claims: { groups: ['admin'] },
          },
        ],
      },
    },
    upstreams: { a: { baseUrl: upstream.url, auth: { type: 'bearer', token: 'tok' } } },
    tools: [
      {
        name: 'get_assignment',
        upstream: 'a',
        path: '/assignments/{id}',
        input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
      { name: 'list_assignments', upstream: 'a', path: '/assignments' },
      {
        name: 'delete_assignment',
        upstream: 'a',
        method: 'DELETE',
        path: '/assignments/{id}',
        input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
    ],
    policy,
    ...extra,
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const codeOf = (r: { _meta?: unknown }) =>
  (r._meta as Record<string, { code?: string }> | undefined)?.['conduit/error']?.code;

describe('the policy class', () => {
  const p = new Policy({ ...policy, rules: policy.rules.map((r) => ({ effect: 'allow', ...r })) });
  const reader = bearerPrincipal(0, { sub: 'rita', scopes: ['assignments.read'] });

  it('allows by scope, denies what no rule allows, and names the scope a denied call needs', () => {
    expect(p.tool(reader, 'get_assignment')).toEqual({ allowed: true });
    expect(p.tool(reader, 'delete_assignment')).toEqual({ allowed: false, neededScopes: [] });
    expect(p.tool(bearerPrincipal(1, { sub: 'x' }), 'get_assignment')).toEqual({
      allowed: false,
      neededScopes: ['assignments.read'],
    });
  });

  it('a refusal for a missing scope says where this caller gets it', () => {
    const need = ['assignments.read'];
    const text = (who: Parameters<typeof bearerPrincipal>[1] & { kind?: 'oauth' | 'operator' }) => {
      const principal = { ...bearerPrincipal(1, who), ...(who.kind ? { kind: who.kind } : {}) };
      return new PolicyDeniedError('tool', 'get_assignment', principal, need).message;
    };
    // A static token's scopes are the config's: an operator adds the scope to its entry.
    expect(text({ sub: 'x' })).toContain(
      'It needs the scope assignments.read: an operator can add it to the scopes of its server.http.authTokens entry.',
    );
    expect(text({ sub: 'ops', kind: 'operator' })).toContain(
      'It needs the scope assignments.read: an operator can add it to server.operator.scopes.',
    );
    expect(text({ sub: 'u1', kind: 'oauth' })).toContain(
      'It needs the scope assignments.read: get a token with it.',
    );
  });

  it('lets a matching deny win over an allow', () => {
    const mallory = bearerPrincipal(2, { sub: 'mallory', claims: { groups: ['admin'] } });
    expect(p.tool(mallory, 'get_assignment').allowed).toBe(true);
    expect(p.tool(mallory, 'delete_assignment').allowed).toBe(false);
  });

  it('never limits the unrestricted operator', () => {
    expect(p.tool(OPERATOR, 'delete_assignment').allowed).toBe(true);
  });

  it('under default allow, keeps a tool an allow rule names to the callers it admits', () => {
    const open = new Policy({
      default: 'allow',
      rules: [{ effect: 'allow', tools: ['admin_*'], when: { groups: ['admin'] } }],
    });
    expect(open.tool(reader, 'get_assignment').allowed).toBe(true);
    expect(open.tool(reader, 'admin_reset').allowed).toBe(false);
  });

  it('knows which tools and resources every caller may reach (what shared caches may be offered)', () => {
    const rules = new Policy({
      default: 'allow',
      rules: [
        { effect: 'allow', tools: ['admin_*'], when: { groups: ['admin'] } },
        { effect: 'allow', tools: ['public_*'] },
        { effect: 'deny', tools: ['public_secret'], when: { subjects: ['mallory'] } },
        { effect: 'allow', resources: ['audit'], when: { scopes: ['audit.read'] } },
      ],
    });
    expect(rules.openToAll('tools', 'get_assignment')).toBe(true); // no rule: default allow
    expect(rules.openToAll('tools', 'public_list')).toBe(true); // an allow rule for everyone
    expect(rules.openToAll('tools', 'admin_reset')).toBe(false); // kept to admins
    expect(rules.openToAll('tools', 'public_secret')).toBe(false); // a deny may hold for someone
    expect(rules.openToAll('resources', 'audit', 'get_assignment')).toBe(false); // narrowed by its rule
    expect(rules.openToAll('resources', 'items', 'get_assignment')).toBe(true); // its open tool decides
    expect(rules.openToAll('resources', 'items', 'admin_reset')).toBe(false); // its tool is kept to admins
    expect(new Policy({ default: 'deny', rules: [] }).openToAll('tools', 'get_assignment')).toBe(false);
  });
});

describe('the SDK seam the list filters stand on', () => {
  // The policy filters the SDK's own tools/list and resources listings by wrapping the handlers
  // McpServer stores (no public seam in @modelcontextprotocol/server 2.4). A new SDK that moves them
  // must fail here, by name, not quietly list everything.
  it('McpServer keeps its list handlers in server._requestHandlers, and the gateway filters them', async () => {
    const gateway = createGateway(testConfig(policyConfig({ resources: { templates: [] } })));
    try {
      const server = gateway.createServer();
      const handlers = sdkRequestHandlers(server);
      expect(handlers, 'McpServer.server._requestHandlers is no longer a Map').toBeInstanceOf(Map);
      for (const method of ['tools/list', 'resources/list', 'resources/templates/list'])
        expect(handlers?.has(method), `no stored ${method} handler`).toBe(true);
    } finally {
      await gateway.close();
    }
  });
});

describe('policy over HTTP: you cannot see what you cannot call', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway(testConfig(policyConfig()), { transport: 'http' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it.each([
    ['v2, 2026-07-28', (t: string) => connectV2(gw.url!, 'modern', bearer(t))],
    ['v2, 2025 session', (t: string) => connectV2(gw.url!, 'legacy', bearer(t))],
    ['v1, 2025 session', (t: string) => connectV1(gw.url!, bearer(t))],
  ])('lists each caller only the tools it may call (%s)', async (_era, connect) => {
    const reader = await connect(TOKENS.reader);
    const admin = await connect(TOKENS.admin);
    const mallory = await connect(TOKENS.mallory);
    try {
      const names = async (c: typeof reader) => (await c.listTools()).tools.map((t) => t.name).sort();
      expect(await names(reader)).toEqual(['get_assignment', 'list_assignments']);
      expect(await names(admin)).toEqual(['delete_assignment', 'get_assignment', 'list_assignments']);
      expect(await names(mallory)).toEqual(['get_assignment', 'list_assignments']);
    } finally {
      await Promise.all([reader.close(), admin.close(), mallory.close()]);
    }
  });

  it('refuses a call the policy does not allow with POLICY_DENIED, before the upstream is reached', async () => {
    const reader = await connectV2(gw.url!, 'modern', bearer(TOKENS.reader));
    try {
      upstream.resetStats();
      const r = await reader.callTool({ name: 'delete_assignment', arguments: { id: 'a1' } });
      expect(r.isError).toBe(true);
      expect(codeOf(r)).toBe('POLICY_DENIED');
      expect(textOf(r)).toContain('rita');
      expect(upstream.stats().byRoute['DELETE /assignments/{id}'] ?? 0).toBe(0);
      const ok = await reader.callTool({ name: 'get_assignment', arguments: { id: 'a1' } });
      expect(ok.isError).toBeFalsy();
    } finally {
      await reader.close();
    }
  });
});

describe('policy on stdio', () => {
  async function toolsAndCall(config: TestConfigInput) {
    const gateway = createGateway(testConfig(config));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    serveGatewayStdio(gateway, { logger: noopLogger, transport: serverSide });
    const client = new Client({ name: 'stdio', version: '1.0.0' });
    await client.connect(clientSide);
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name).sort();
      const del = await client.callTool({ name: 'delete_assignment', arguments: { id: 'nope' } });
      return { tools, del };
    } finally {
      await client.close();
      await gateway.close();
    }
  }

  it('the operator is unrestricted', async () => {
    const { tools, del } = await toolsAndCall(policyConfig());
    expect(tools).toEqual(['delete_assignment', 'get_assignment', 'list_assignments']);
    expect(codeOf(del)).not.toBe('POLICY_DENIED');
  });

  it('a fixed server.operator principal is held to the policy like any caller', async () => {
    const { tools, del } = await toolsAndCall(
      policyConfig({ server: { operator: { sub: 'ci', scopes: ['assignments.read'] } } }),
    );
    expect(tools).toEqual(['get_assignment', 'list_assignments']);
    expect(codeOf(del)).toBe('POLICY_DENIED');
  });
});

describe('policy in OpenAPI compact mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const SPEC = new URL('../../examples/openapi/assignments.openapi.yaml', import.meta.url).pathname;

  it('search lists only the operations the caller may invoke, and invoke refuses the rest', async () => {
    const file = join(dir, 'conduit.yaml');
    const write = (policyYaml: string) =>
      writeFileSync(
        file,
        `server:\n  http:\n    authTokens:\n      - { token: ${TOKENS.reader}, sub: rita, scopes: [assignments.read] }\nupstreams:\n  assignments:\n    baseUrl: ${upstream.url}\n    auth: { type: bearer, token: tok }\n    openapi:\n      document: ${SPEC}\n      mode: compact\n${policyYaml}`,
      );
    write('');
    const plain = await loadConfig(file, { env: {} });
    const ops = plain.openapiSets!.assignments!.catalog.operations;
    const getTool = ops.find((o) => o.operationId === 'getAssignment')!.tool.name;
    write(
      `policy:\n  rules:\n    - tools: [assignments_search_operations, assignments_invoke_operation, ${getTool}]\n      when: { scopes: [assignments.read] }\n`,
    );
    const gw = await startGateway(await loadConfig(file, { env: {} }), { transport: 'http', port: 0 });
    const client = await connectV2(gw.url!, 'modern', bearer(TOKENS.reader));
    try {
      const found = await client.callTool({
        name: 'assignments_search_operations',
        arguments: { query: '' },
      });
      const ids = (found.structuredContent as { operations: { operationId: string }[] }).operations.map(
        (o) => o.operationId,
      );
      expect(ids).toEqual(['getAssignment']);
      const other = ops.find((o) => o.operationId !== 'getAssignment')!;
      const refused = await client.callTool({
        name: 'assignments_invoke_operation',
        arguments: { operationId: other.operationId, arguments: {} },
      });
      expect(codeOf(refused)).toBe('POLICY_DENIED');
      const ok = await client.callTool({
        name: 'assignments_invoke_operation',
        arguments: { operationId: 'getAssignment', arguments: { id: 'a1' } },
      });
      expect(ok.isError, textOf(ok)).toBeFalsy();
    } finally {
      await client.close();
      await gw.close();
    }
  });
});

describe('policy over resources: a caller sees and reads only what it may read', () => {
  let gw: RunningGateway;
  let stateless: RunningGateway;
  const resourcePolicyConfig = (statelessHttp: boolean) => {
    const base = policyConfig();
    return testConfig({
      ...base,
      server: { http: { ...base.server!.http!, stateless: statelessHttp } },
      resources: {
        templates: [
          { uriTemplate: 'assignments://{id}', name: 'assignment', tool: 'get_assignment' },
          { uriTemplate: 'audit-assignments://{id}', name: 'assignment_audit', tool: 'get_assignment' },
        ],
      },
      policy: {
        ...policy,
        rules: [
          ...policy.rules,
          { resources: ['assignment_audit', 'health'], when: { groups: ['admin'] } },
          { tools: ['recent_changes'], when: { scopes: ['assignments.read'] } },
        ],
      },
    });
  };
  beforeAll(async () => {
    [gw, stateless] = await Promise.all([
      startGateway(resourcePolicyConfig(false), { transport: 'http' }),
      startGateway(resourcePolicyConfig(true), { transport: 'http' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([gw?.close(), stateless?.close()]);
  });

  const deniedCode = (err: unknown) => (err as { data?: { code?: string } }).data?.code;

  it.each([
    ['v2, 2026-07-28', (t: string) => connectV2(gw.url!, 'modern', bearer(t))],
    ['v2, 2025 session', (t: string) => connectV2(gw.url!, 'legacy', bearer(t))],
    ['v1, 2025 session', (t: string) => connectV1(gw.url!, bearer(t))],
  ])(
    'lists templates and resources per caller, and refuses reads of the rest (%s)',
    async (_era, connect) => {
      const reader = await connect(TOKENS.reader);
      const admin = await connect(TOKENS.admin);
      try {
        const templates = async (c: typeof reader) =>
          (await c.listResourceTemplates()).resourceTemplates.map((t) => t.name).sort();
        const resources = async (c: typeof reader) => (await c.listResources()).resources.map((r) => r.name);
        expect(await templates(reader)).toEqual(['assignment']);
        expect(await resources(reader)).toEqual([]);
        expect(await templates(admin)).toEqual(['assignment', 'assignment_audit']);
        expect(await resources(admin)).toEqual(['health']);

        upstream.resetStats();
        const refused = await reader.readResource({ uri: 'audit-assignments://a1' }).catch((e: unknown) => e);
        expect(deniedCode(refused)).toBe('POLICY_DENIED');
        expect((refused as Error).message).toContain('assignment_audit');
        expect(upstream.stats().byRoute['GET /assignments/{id}'] ?? 0).toBe(0);
        expect(
          deniedCode(await reader.readResource({ uri: 'conduit://health' }).catch((e: unknown) => e)),
        ).toBe('POLICY_DENIED');
        const ok = await reader.readResource({ uri: 'assignments://a1' });
        expect(ok.contents[0]?.uri).toBe('assignments://a1');
        expect((await admin.readResource({ uri: 'audit-assignments://a1' })).contents).toHaveLength(1);
      } finally {
        await Promise.all([reader.close(), admin.close()]);
      }
    },
  );

  it('refuses a subscription to a resource the caller may not read (2025 session)', async () => {
    const reader = await connectV2(gw.url!, 'legacy', bearer(TOKENS.reader));
    try {
      const refused = await reader
        .subscribeResource({ uri: 'audit-assignments://a1' })
        .catch((e: unknown) => e);
      expect(deniedCode(refused)).toBe('POLICY_DENIED');
      await expect(reader.subscribeResource({ uri: 'assignments://a1' })).resolves.toBeDefined();
    } finally {
      await reader.close();
    }
  });

  it.each([
    ['sessions for 2025', () => gw],
    ['stateless', () => stateless],
  ])(
    'tells a 2026-07-28 listen stream over HTTP only of changes to URIs its caller may read (%s)',
    async (_mode, running) => {
      const target = running();
      const reader = await connectV2(target.url!, 'modern', bearer(TOKENS.reader));
      const admin = await connectV2(target.url!, 'modern', bearer(TOKENS.admin));
      const heard = { reader: new UpdateInbox(), admin: new UpdateInbox() };
      reader.setNotificationHandler('notifications/resources/updated', (n) =>
        heard.reader.push(n.params.uri),
      );
      admin.setNotificationHandler('notifications/resources/updated', (n) => heard.admin.push(n.params.uri));
      // The last URI is one both may read: a stream delivers in order, so once it arrived every
      // earlier change that was going to be sent has been.
      const watched = [
        'audit-assignments://a1',
        'assignments://a1',
        'conduit://health',
        'webhook://x',
        'assignments://a2',
      ];
      try {
        const subs = await Promise.all([
          reader.listen({ resourceSubscriptions: watched }),
          admin.listen({ resourceSubscriptions: watched }),
        ]);
        const at = Date.now();
        for (const uri of watched) await target.gateway.changes.publish({ uri, source: 'test', at });
        await Promise.all([heard.reader.next('assignments://a2'), heard.admin.next('assignments://a2')]);
        expect(heard.admin.uris).toEqual([
          'audit-assignments://a1',
          'assignments://a1',
          'conduit://health',
          'assignments://a2',
        ]);
        expect(heard.reader.uris).toEqual(['assignments://a1', 'assignments://a2']);
        await Promise.all(subs.map((s) => s.close()));
      } finally {
        await Promise.all([reader.close(), admin.close()]);
      }
    },
  );

  it.each([
    ['v2, 2026-07-28', (t: string) => connectV2(gw.url!, 'modern', bearer(t))],
    ['v2, 2025 session', (t: string) => connectV2(gw.url!, 'legacy', bearer(t))],
  ])(
    'recent_changes lists a caller only changes to URIs it may read, pages filled past the rest (%s)',
    async (_era, connect) => {
      const reader = await connect(TOKENS.reader);
      const admin = await connect(TOKENS.admin);
      const start = gw.gateway.changes.since(undefined, 1000).cursor;
      const at = Date.now();
      const published = [
        'audit-assignments://a1',
        'conduit://health',
        'webhook://x',
        'assignments://a1',
        'audit-assignments://a2',
        'assignments://a2',
      ];
      for (const uri of published) await gw.gateway.changes.publish({ uri, source: 'test', at });
      const page = async (c: typeof reader, limit: number, cursor = start) => {
        const r = await c.callTool({ name: 'recent_changes', arguments: { cursor, limit } });
        return r.structuredContent as { changes: { uri: string }[]; cursor: string };
      };
      try {
        const all = await page(reader, 100);
        expect(all.changes.map((c) => c.uri)).toEqual(['assignments://a1', 'assignments://a2']);
        // A page of one is the first change the reader may see, not an empty page that reads as "nothing new".
        const first = await page(reader, 1);
        expect(first.changes.map((c) => c.uri)).toEqual(['assignments://a1']);
        const second = await page(reader, 1, first.cursor);
        expect(second.changes.map((c) => c.uri)).toEqual(['assignments://a2']);
        expect((await page(reader, 100, second.cursor)).changes).toEqual([]);
        expect((await page(admin, 100)).changes.map((c) => c.uri)).toEqual([
          'audit-assignments://a1',
          'conduit://health',
          'assignments://a1',
          'audit-assignments://a2',
          'assignments://a2',
        ]);
      } finally {
        await Promise.all([reader.close(), admin.close()]);
      }
    },
  );

  it('governs a resource no rule names by the tool it reads through', () => {
    const p = new Policy({
      default: 'deny',
      rules: [
        { effect: 'allow', tools: ['get_*'], when: { scopes: ['read'] } },
        { effect: 'allow', resources: ['public_*'] },
      ],
    });
    const reader = bearerPrincipal(7, { sub: 'r', scopes: ['read'] });
    const nobody = bearerPrincipal(8, { sub: 'n' });
    expect(p.resource(reader, 'item', 'get_item').allowed).toBe(true);
    expect(p.resource(nobody, 'item', 'get_item')).toEqual({ allowed: false, neededScopes: ['read'] });
    expect(p.resource(nobody, 'public_item', 'get_item').allowed).toBe(true);
    expect(p.resource(nobody, 'health').allowed).toBe(false);
  });
});
