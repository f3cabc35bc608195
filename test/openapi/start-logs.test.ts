import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { spawnCli } from '../cli/helpers.js';
import { jsonOk } from '../helpers/openapi-responses.js';

// A document with formats Ajv does not know, an operation that cannot be served and a pattern the
// u flag refuses: what a gateway says about it at start and on a call goes to stderr as JSON lines.

const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-logs-'));
let upstream: Server;
let baseUrl: string;

beforeAll(async () => {
  upstream = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'x', at: 'then' }));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((r) => upstream.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const unknownFormats = Array.from({ length: 20 }, (_, i) => `vendor-format-${i}`);

function document(): object {
  const paths: Record<string, unknown> = {};
  unknownFormats.forEach((format, i) => {
    paths[`/things${i}/{id}`] = {
      get: {
        operationId: `getThing${i}`,
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z\\-\\:]+$' } },
          { name: 'when', in: 'query', schema: { type: 'string', format } },
        ],
        responses: jsonOk({
          type: 'object',
          properties: { id: { type: 'string' }, at: { type: 'string', format } },
        }),
      },
    };
  });
  paths['/session'] = {
    get: { operationId: 'getSession', parameters: [{ name: 's', in: 'cookie', schema: { type: 'string' } }] },
  };
  return { openapi: '3.0.3', info: { title: 'Vendor', version: '1' }, paths };
}

function rpc(id: number, method: string, params: object = {}): string {
  return `${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`;
}

describe('conduit serve on a document with unknown formats, left-out operations and dropped patterns', () => {
  it('logs only JSON lines on stderr, from start to a call validated against those schemas', async () => {
    writeFileSync(join(dir, 'vendor.json'), JSON.stringify(document()));
    const config = join(dir, 'conduit.yaml');
    writeFileSync(
      config,
      stringify({
        upstreams: {
          vendor: {
            baseUrl,
            openapi: { document: './vendor.json', skipUnsupported: true, outputSchemas: true },
          },
        },
      }),
    );
    const cli = spawnCli(['serve', '--config', config, '--log-level', 'debug']);
    cli.child.stdin.write(
      rpc(1, 'initialize', {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      }),
    );
    await cli.waitFor(/"id":1/, 'stdout');
    cli.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    cli.child.stdin.write(rpc(2, 'tools/list'));
    await cli.waitFor(/"id":2/, 'stdout');
    // Every tool's input and output schema compiled by a call (Ajv meets each unknown format).
    for (let i = 0; i < unknownFormats.length; i++)
      cli.child.stdin.write(
        rpc(10 + i, 'tools/call', { name: `getThing${i}`, arguments: { id: 'a-b', when: 'soon' } }),
      );
    await cli.waitFor(new RegExp(`"id":${10 + unknownFormats.length - 1}\\b`), 'stdout');
    cli.child.stdin.end();
    expect(await cli.exited).toEqual({ code: 0, signal: null });

    const answers = cli
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id?: number; result?: { isError?: boolean; tools?: unknown[] } });
    expect(answers.find((a) => a.id === 2)?.result?.tools).toHaveLength(unknownFormats.length);
    const calls = answers.filter((a) => (a.id ?? 0) >= 10);
    expect(calls).toHaveLength(unknownFormats.length);
    for (const call of calls) expect(call.result?.isError, JSON.stringify(call)).toBeFalsy();

    const lines = cli.stderr().split('\n').filter(Boolean);
    const logs = lines.map((line) => {
      expect(() => JSON.parse(line), line).not.toThrow();
      return JSON.parse(line) as { msg?: string; operation?: string; reason?: string };
    });
    expect(cli.stderr()).not.toMatch(/unknown format/);
    // What was left out or adjusted is said, as JSON warnings naming the operation.
    expect(logs.find((l) => l.msg === 'openapi operation left out')).toMatchObject({
      operation: 'getSession (GET /session)',
      reason: expect.stringMatching(/cookie/),
    });
    expect(logs.filter((l) => l.msg === 'openapi operation adjusted').map((l) => l.operation)).toEqual(
      unknownFormats.map((_, i) => `getThing${i} (GET /things${i}/{id})`),
    );
  }, 60_000);
});
