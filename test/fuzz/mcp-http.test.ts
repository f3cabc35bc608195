import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV2, textOf } from '../mcp/helpers/clients.js';
import { assignmentsConfig } from '../mcp/helpers/config.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { testConfig } from '../helpers/gateway-config.js';

const MAX_BODY = 16 * 1024;
const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

let upstream: Upstream;
let gateway: RunningGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  const config = assignmentsConfig(upstream.url);
  config.server = { ...config.server, http: { stateless: true, maxBodyBytes: MAX_BODY } };
  gateway = await startGateway(testConfig(config), { transport: 'http' });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

interface RpcAnswer {
  status: number;
  message:
    | { id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string } }
    | undefined;
}

/** POSTs raw bytes and reads the single JSON-RPC answer, whether sent as JSON or as one SSE event. */
async function post(
  body: string | Uint8Array,
  headers: Record<string, string> = HEADERS,
): Promise<RpcAnswer> {
  const res = await fetch(gateway.url!, { method: 'POST', headers, body });
  const text = await res.text();
  if (text.length === 0) return { status: res.status, message: undefined };
  const json = res.headers.get('content-type')?.includes('text/event-stream')
    ? text
        .split('\n')
        .find((l) => l.startsWith('data: '))!
        .slice(6)
    : text;
  return { status: res.status, message: JSON.parse(json) };
}

const rpc = (id: number, method: string, params?: unknown) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });

async function stillServes(): Promise<void> {
  const r = await post(rpc(999, 'tools/list'));
  expect(r.status).toBe(200);
  expect(r.message?.result?.tools).toEqual(
    expect.arrayContaining([expect.objectContaining({ name: 'get_assignment' })]),
  );
}

describe('MCP over Streamable HTTP: bad requests get protocol-correct errors', () => {
  it('a body that is not JSON is 400 with JSON-RPC -32700 (parse error) and id null', async () => {
    for (const body of ['not json', '{"jsonrpc":"2.0",', '\u0000\u0001', '{']) {
      const r = await post(body);
      expect(r.status).toBe(400);
      expect(r.message?.error?.code).toBe(-32700);
      expect(r.message?.id).toBeNull();
    }
    await stillServes();
  });

  it('JSON that is not a JSON-RPC request is 400 with -32600 (invalid request)', async () => {
    for (const body of [
      '{"foo":1}',
      '42',
      '[]',
      '"x"',
      'null',
      '{"jsonrpc":"1.0","id":7,"method":"tools/list"}',
    ]) {
      const r = await post(body);
      expect(r.status, body).toBe(400);
      expect(r.message?.error?.code, body).toBe(-32600);
    }
    await stillServes();
  });

  it('ping (a load balancer health check) answers 200 with an empty result, no upstream call', async () => {
    const before = upstream.seen.length;
    const r = await post(rpc(1, 'ping'));
    expect(r.status).toBe(200);
    expect(r.message?.result).toEqual({});
    expect(upstream.seen.length).toBe(before);
  });

  it('an unknown method is -32601 on its request id', async () => {
    const r = await post(rpc(2, 'nope/nope', {}));
    expect(r.message?.id).toBe(2);
    expect(r.message?.error?.code).toBe(-32601);
  });

  it('an unknown tool is -32602 naming the tool; malformed tools/call params are -32602', async () => {
    const unknown = await post(rpc(3, 'tools/call', { name: 'no_such_tool', arguments: {} }));
    expect(unknown.message?.error?.code).toBe(-32602);
    expect(unknown.message?.error?.message).toContain('no_such_tool');
    const badParams = await post(rpc(4, 'tools/call', { name: 'get_assignment', arguments: 'x' }));
    expect(badParams.message?.error?.code).toBe(-32602);
    await stillServes();
  });

  it('a body over server.http.maxBodyBytes is 413 and nothing reaches the upstream', async () => {
    const before = upstream.seen.length;
    const r = await post(rpc(5, 'tools/call', { name: 'echo', arguments: { q: 'x'.repeat(MAX_BODY * 2) } }));
    expect(r.status).toBe(413);
    expect(r.message?.error?.message).toContain(String(MAX_BODY));
    expect(upstream.seen.length).toBe(before);
    await stillServes();
  });

  it('a wrong Content-Type is 415', async () => {
    const r = await post(rpc(6, 'tools/list'), { ...HEADERS, 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
    await stillServes();
  });

  it('random bytes and random JSON get a 4xx JSON-RPC error or a JSON-RPC answer, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.string({ maxLength: 300 }),
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
          fc
            .record({
              jsonrpc: fc.constantFrom('2.0', '2', 2),
              id: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null)),
              method: fc.constantFrom('tools/call', 'tools/list', 'initialize', 'ping', 'resources/read', ''),
              params: fc.jsonValue({ maxDepth: 3 }),
            })
            .map((v) => JSON.stringify(v)),
        ),
        async (body) => {
          const r = await post(body);
          expect(r.status).toBeLessThan(500);
          if (r.message) {
            expect(r.message).toHaveProperty('jsonrpc', '2.0');
            if (r.status >= 400) expect(typeof r.message.error?.code).toBe('number');
          } else {
            // Notifications and responses are accepted without a body.
            expect(r.status).toBe(202);
          }
        },
      ),
      { numRuns: 120 },
    );
    await stillServes();
  });
});

describe('tool argument validation through a real gateway', () => {
  it('arguments of the wrong type come back as tool errors naming the field, before any upstream call', async () => {
    const client = await connectV2(gateway.url!, 'modern');
    try {
      const notString = fc.oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.nat(), { maxLength: 2 }),
        fc.object({ maxDepth: 1 }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('get_id', 'echo_limit', 'echo_tags'),
          notString,
          async (which, value) => {
            const before = upstream.seen.length;
            const [name, args, field] =
              which === 'get_id'
                ? ['get_assignment', { id: value }, 'id']
                : which === 'echo_limit'
                  ? ['echo', { limit: typeof value === 'number' ? value + 0.5 : value }, 'limit']
                  : ['echo', { tags: [value] }, 'tags'];
            const r = (await client.callTool({ name, arguments: args })) as { isError?: boolean };
            expect(r.isError).toBe(true);
            expect(textOf(r)).toContain(`"${field}`);
            expect(upstream.seen.length).toBe(before);
          },
        ),
        { numRuns: 60 },
      );
      const ok = (await client.callTool({ name: 'get_assignment', arguments: { id: '1' } })) as {
        isError?: boolean;
      };
      expect(ok.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});
