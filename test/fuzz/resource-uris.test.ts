import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { resourcesConfig } from '../mcp/resources-helpers.js';
import { testConfig } from '../helpers/gateway-config.js';

// Resource URIs come from the client: `assignments://{id}` (RFC 6570) is matched, its variable becomes
// get_assignment's `id`, and that is expanded into the upstream path. Hostile URIs must end as a
// resource or a JSON-RPC error, never a 5xx, and never reach an upstream path other than one segment
// under /assignments/.

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

let upstream: Upstream;
let gateway: RunningGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  const config = resourcesConfig(upstream.url);
  config.server = { ...config.server, http: { stateless: true } };
  gateway = await startGateway(testConfig(config), { transport: 'http' });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

interface Answer {
  status: number;
  message?: { jsonrpc?: string; result?: { contents?: { uri: string }[] }; error?: { code: number } };
}

async function read(uri: string): Promise<Answer> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri } });
  const res = await fetch(gateway.url!, { method: 'POST', headers: HEADERS, body });
  const text = await res.text();
  if (!text) return { status: res.status };
  const json = res.headers.get('content-type')?.includes('text/event-stream')
    ? (text
        .split('\n')
        .find((l) => l.startsWith('data: '))
        ?.slice(6) ?? '')
    : text;
  return { status: res.status, message: JSON.parse(json) as Answer['message'] };
}

const hostile = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '1',
    '..',
    '../users/u1',
    '%2e%2e',
    '%2F..%2F',
    '..%2fusers',
    '1?x=1',
    '1#frag',
    '1/extra',
    '',
    '%',
    '%zz',
    '\\..\\',
    '//evil.example/x',
    'a b',
    '\u0000',
  ),
);

describe('resource URI fuzz over HTTP', () => {
  it('any assignments:// URI gives a resource or a JSON-RPC error, never a 5xx or a path escape', async () => {
    const before = upstream.seen.length;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          hostile.map((v) => `assignments://${v}`),
          hostile.map((v) => `assignments://${encodeURIComponent(v)}`),
          fc.webUrl(),
          fc.string({ maxLength: 40 }),
        ),
        async (uri) => {
          const r = await read(uri);
          expect(r.status, uri).toBeLessThan(500);
          expect(r.message?.jsonrpc, uri).toBe('2.0');
          if (r.message?.error) expect(typeof r.message.error.code).toBe('number');
          else expect(r.message?.result?.contents?.length, uri).toBeGreaterThan(0);
        },
      ),
      { numRuns: 150 },
    );
    // Whatever the URI held, the upstream only ever saw GET /assignments/<one segment>.
    const paths = upstream.seen.slice(before).map((s) => `${s.method} ${s.url}`);
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) {
      expect(p).toMatch(/^GET \/assignments\/[^/?#]+$/);
      expect(['.', '..']).not.toContain(decodeURIComponent(p.slice('GET /assignments/'.length)));
    }
  });

  it('a plain id still reads the assignment afterwards', async () => {
    const r = await read('assignments://1');
    expect(r.status).toBe(200);
    expect(r.message?.result?.contents?.[0]?.uri).toBe('assignments://1');
  });
});
