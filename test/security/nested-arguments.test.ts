import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2, textOf } from '../mcp/helpers/clients.js';
import { startWireUpstream, type WireUpstream } from '../mcp/helpers/wire-upstream.js';

interface Result {
  isError?: boolean;
  content: { type: string; text?: string }[];
}

let upstream: WireUpstream;
let running: Awaited<ReturnType<typeof startGateway>>;
beforeAll(async () => {
  upstream = await startWireUpstream();
  const config = parseConfig(`
upstreams:
  api: { baseUrl: "${upstream.url}" }
tools:
  - name: search
    upstream: api
    path: /search
    input: { type: object, properties: { filter: { type: object } } }
    cache: { ttl: 60s }
  - name: create
    upstream: api
    method: POST
    path: /things
    input: { type: object, properties: { doc: { type: object } } }
  - name: tree
    upstream: api
    method: POST
    path: /trees
    input:
      type: object
      properties: { node: { $ref: "#/$defs/node" } }
      $defs:
        node: { type: object, properties: { child: { $ref: "#/$defs/node" } } }
`);
  running = await startGateway(config, { transport: 'http', port: 0 });
});
afterAll(async () => {
  await running?.close();
  await upstream?.close();
});

/** `{ key: { key: … {} } }`, `depth` objects deep. */
function nested(depth: number, key: string): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) v = { [key]: v };
  return v;
}

describe('deeply nested arguments', () => {
  it('are refused with a typed, bounded tool error — never a stack overflow — and nothing reaches the upstream', async () => {
    const v2 = await connectV2(running.url!, 'modern');
    const v1 = await connectV1(running.url!);
    try {
      for (const client of [v2, v1]) {
        const before = upstream.seen.length;
        // 900 levels: under the gateway's 1000-level limit on a whole body (test/security/http-limits.test.ts),
        // so the tool's own bound is what answers.
        for (const [name, args] of [
          ['search', { filter: nested(900, 'a') }],
          ['create', { doc: nested(900, 'a') }],
          ['tree', { node: nested(900, 'child') }],
        ] as const) {
          const r = (await client.callTool({ name, arguments: args })) as Result;
          expect(r.isError, name).toBe(true);
          expect(textOf(r)).not.toMatch(/call stack/i);
          // The SDK reports input refusals as a tool error text; the stable code leads the reason.
          expect(textOf(r)).toMatch(/ARGUMENTS_TOO_DEEP: arguments are nested more than 64 levels deep/);
        }
        expect(upstream.seen.length).toBe(before);
      }
      // A reasonable depth still works.
      const ok = (await v2.callTool({ name: 'create', arguments: { doc: nested(20, 'a') } })) as Result;
      expect(ok.isError, textOf(ok)).toBeFalsy();
    } finally {
      await v1.close();
      await v2.close();
    }
  });
});
