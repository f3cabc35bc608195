import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/run.js';
import { cacheKeyCollisions, parseConfig } from '../../src/config/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { memoryIo } from '../cli/helpers.js';
import { assignmentUpdated } from '../helpers/standard-webhook.js';
import { connectV1, connectV2 } from '../mcp/helpers/clients.js';

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
  _meta?: Record<string, unknown>;
}

const KEY = Buffer.from('webhook-test-key-0123456789abcdef');

/** An upstream that answers every request with the target it was asked for, and counts them. */
async function startEchoUpstream() {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ target: req.url }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const TOOLS = `
  - name: get_profile
    upstream: api
    path: /profiles/{id}
    input: { type: object, properties: { id: { type: string }, include: { type: string } }, required: [id] }
    cache: { ttl: 60s }
  - name: get_pair
    upstream: api
    path: /pair
    input: { type: object, properties: { a: { type: string }, b: { type: string } } }
    cache: { ttl: 60s, key: "pair:{a}:{b}" }
  - name: get_user
    upstream: api
    path: /users/{id}
    input: { type: object, properties: { id: { type: string } }, required: [id] }
    cache: { ttl: 60s, key: "user:{id}", tags: ["user:{id}"] }
  - name: get_settings
    upstream: api
    path: /users/{id}/settings
    input: { type: object, properties: { id: { type: string } }, required: [id] }
    cache: { ttl: 60s, key: "user:{id}:settings" }
  - name: rename_user
    upstream: api
    method: PATCH
    path: /users/{id}
    input: { type: object, properties: { id: { type: string }, name: { type: string } }, required: [id] }
    invalidates: { keys: ["user:{id}:settings"], tags: ["user:{id}"] }
`;

let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
let running: RunningGateway;
beforeAll(async () => {
  upstream = await startEchoUpstream();
  const config = parseConfig(
    `upstreams:\n  api: { baseUrl: "${upstream.url}" }\ntools:${TOOLS}
webhooks:
  endpoints:
    - path: /webhooks/users
      scheme: standard
      secrets: ["whsec_${KEY.toString('base64')}"]
      events:
        "assignment.*": { invalidate: { keys: ["user:{data.id}:settings"], tags: ["user:{data.id}"] } }
`,
    { env: {} },
  );
  running = await startGateway(config, { transport: 'http', port: 0 });
});
afterAll(async () => {
  await running?.close();
  await upstream?.close();
});

const source = (r: Result) => (r._meta?.['conduit/cache'] as { source?: string } | undefined)?.source;

/** Two different clients (v2 on 2026-07-28, v1 on the 2025 handshake) sharing the gateway. */
async function twoClients(fn: (a: CallFn, b: CallFn) => Promise<void>) {
  const a = await connectV2(running.url!, 'modern');
  const b = await connectV1(running.url!);
  try {
    await fn(
      (name, args) => a.callTool({ name, arguments: args }) as Promise<Result>,
      (name, args) => b.callTool({ name, arguments: args }) as Promise<Result>,
    );
  } finally {
    await a.close();
    await b.close();
  }
}
type CallFn = (name: string, args: Record<string, unknown>) => Promise<Result>;

describe('cache keys identify the upstream request', () => {
  it("an argument that changes the request changes the key: one client's answer is never served for another request", async () => {
    await twoClients(async (a, b) => {
      const hostile = await a('get_profile', { id: 'p1', include: 'password_hash' });
      expect(hostile.structuredContent).toEqual({ target: '/profiles/p1?include=password_hash' });
      const innocent = await b('get_profile', { id: 'p1' });
      expect(source(innocent)).toBe('upstream');
      expect(innocent.structuredContent).toEqual({ target: '/profiles/p1' });
    });
  });

  it('separators cannot be forged: pair:{a}:{b} with a="1:2",b="3" and a="1",b="2:3" are two entries', async () => {
    await twoClients(async (a, b) => {
      const first = await a('get_pair', { a: '1:2', b: '3' });
      const second = await b('get_pair', { a: '1', b: '2:3' });
      expect(source(second)).toBe('upstream');
      expect(second.structuredContent).toEqual({ target: '/pair?a=1&b=2%3A3' });
      expect(first.structuredContent).toEqual({ target: '/pair?a=1%3A2&b=3' });
      // A missing argument and an empty one are different requests too.
      const missing = await a('get_pair', { a: 'x' });
      const empty = await b('get_pair', { a: 'x', b: '' });
      expect(source(empty)).toBe('upstream');
      expect([missing.structuredContent, empty.structuredContent]).toEqual([
        { target: '/pair?a=x' },
        { target: '/pair?a=x&b=' },
      ]);
    });
  });

  it('a value cannot reach another tool\'s key (id "5:settings" of get_user vs get_settings of 5)', async () => {
    await twoClients(async (a, b) => {
      const forged = await a('get_user', { id: '5:settings' });
      expect(forged.structuredContent).toEqual({ target: '/users/5%3Asettings' });
      const settings = await b('get_settings', { id: '5' });
      expect(source(settings)).toBe('upstream');
      expect(settings.structuredContent).toEqual({ target: '/users/5/settings' });
    });
  });

  it('invalidation templates (tool and webhook) still match the encoded keys and tags they target', async () => {
    const id = 'a b/c:d*';
    await twoClients(async (a, b) => {
      await a('get_settings', { id });
      await a('get_user', { id });
      expect(source(await b('get_settings', { id }))).toBe('cache');
      expect(source(await b('get_user', { id }))).toBe('cache');
      const renamed = await a('rename_user', { id, name: 'n' });
      expect(renamed.isError).toBeFalsy();
      expect(source(await b('get_settings', { id }))).toBe('upstream');
      expect(source(await b('get_user', { id }))).toBe('upstream');

      const base = running.url!.replace(/\/mcp$/, '');
      const d = assignmentUpdated('evt_1', id, KEY);
      const res = await request(`${base}/webhooks/users`, {
        method: 'POST',
        body: d.body,
        headers: d.headers,
      });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
      expect(source(await a('get_settings', { id }))).toBe('upstream');
      expect(source(await a('get_user', { id }))).toBe('upstream');
    });
  });
});

describe('validate refuses keys that cannot identify the request', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-cache-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function validate(name: string, tools: string) {
    const file = join(dir, name);
    writeFileSync(file, `upstreams:\n  api: { baseUrl: "http://127.0.0.1:9" }\ntools:${tools}`);
    const m = memoryIo();
    return { code: await runCli(['validate', '--config', file], m.io), out: m.stdout() };
  }

  it('a key template that leaves out an argument', async () => {
    const { code, out } = await validate(
      'leaves-out.yaml',
      `
  - name: get_profile
    upstream: api
    path: /profiles/{id}
    input: { type: object, properties: { id: { type: string }, include: { type: string } }, required: [id] }
    cache: { ttl: 60s, key: "profile:{id}" }
`,
    );
    expect(code).toBe(ExitCode.CONFIG);
    expect(out).toMatch(
      /tools\[0\]\.cache\.key: the key leaves out \{include\}, which changes the upstream request/,
    );
  });

  it('a hole glued to text, and two tools whose keys could be equal', async () => {
    const { code, out } = await validate(
      'collide.yaml',
      `
  - name: a
    upstream: api
    path: /a/{id}
    input: { type: object, properties: { id: { type: string } }, required: [id] }
    cache: { ttl: 60s, key: "item:{id}" }
  - name: b
    upstream: api
    path: /b/{id}
    input: { type: object, properties: { id: { type: string } }, required: [id] }
    cache: { ttl: 60s, key: "item:{id}" }
  - name: c
    upstream: api
    path: /c/{id}
    input: { type: object, properties: { id: { type: string } }, required: [id] }
    cache: { ttl: 60s, key: "v{id}" }
`,
    );
    expect(code).toBe(ExitCode.CONFIG);
    expect(out).toMatch(
      /tools\[1\]\.cache\.key: cache key "item:\{id\}" can render the same key as tool a's/,
    );
    expect(out).toMatch(/tools\[2\]\.cache\.key: \{id\} must stand between separators/);
  });

  it("a key is checked against the default key's real form, <name>@<digest>:<arguments>", () => {
    const tool = (name: string, key?: string) => ({
      name,
      input: { properties: { a: {}, b: {}, c: {} } },
      cache: key === undefined ? {} : { key },
    });
    // `get_x:{a}` can never render `get_x@…:…`; `{a}@{b}:{c}` can render any default key.
    expect(cacheKeyCollisions([tool('get_x'), tool('other', 'get_x:{a}')])).toEqual([]);
    expect(cacheKeyCollisions([tool('get_x'), tool('other', '{a}@{b}:{c}')])).toMatchObject([
      { first: 0, second: 1 },
    ]);
  });

  it('the gateway refuses a hand-built config whose key leaves out an argument', async () => {
    await expect(
      startGateway({
        upstreams: { api: { baseUrl: 'http://127.0.0.1:9', headers: {} } },
        tools: [
          {
            name: 't',
            upstream: 'api',
            method: 'GET',
            path: '/t',
            input: { type: 'object', properties: { id: { type: 'string' }, q: { type: 'string' } } },
            cache: { ttl: 1000, key: 't:{id}', tags: [] },
          },
        ],
        // Built by hand, past the config loader: the gateway itself must still refuse it.
      } as never),
    ).rejects.toThrow(/leaves out \{q\}/);
  });
});
