import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/mcp/index.js';
import { connectV2, textOf } from '../mcp/helpers/clients.js';
import { jsonOk } from '../helpers/openapi-responses.js';

// Real upstreams drift from their documents: GitHub's `repos/get` mock answer lacks `language`,
// Twilio's examples put relative paths under `format: uri`. The gateway returns such an answer as is
// unless the config asks for the document's output schemas.

const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-drift-'));
let upstream: Server;
let baseUrl: string;
const drifted = { id: 1, full_name: 'o/r', uri: '/2010-04-01/Accounts/AC1.json' };

beforeAll(async () => {
  upstream = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(drifted));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  writeFileSync(
    join(dir, 'api.json'),
    JSON.stringify({
      openapi: '3.0.3',
      info: { title: 'Repos', version: '1' },
      paths: {
        '/repos/{owner}/{repo}': {
          get: {
            operationId: 'repos/get',
            parameters: [
              { name: 'owner', in: 'path', required: true, schema: { type: 'string' } },
              { name: 'repo', in: 'path', required: true, schema: { type: 'string' } },
            ],
            responses: jsonOk({
              type: 'object',
              required: ['id', 'full_name', 'language', 'uri'],
              properties: {
                id: { type: 'integer' },
                full_name: { type: 'string' },
                language: { type: 'string', nullable: true },
                uri: { type: 'string', format: 'uri' },
              },
            }),
          },
        },
      },
    }),
  );
});
afterAll(async () => {
  await new Promise((r) => upstream.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function callRepo(openapi: object) {
  const file = join(dir, `conduit-${Object.keys(openapi).join('-') || 'plain'}.yaml`);
  writeFileSync(
    file,
    stringify({
      upstreams: { gh: { baseUrl, openapi: { document: './api.json', cache: false, ...openapi } } },
    }),
  );
  const gateway = await startGateway(await loadConfig(file, { env: {} }), { transport: 'http', port: 0 });
  const client = await connectV2(gateway.url!, 'legacy');
  try {
    const { tools } = await client.listTools();
    const result = await client.callTool({ name: 'repos_get', arguments: { owner: 'o', repo: 'r' } });
    return { tool: tools.find((t) => t.name === 'repos_get')!, result };
  } finally {
    await client.close();
    await gateway.close();
  }
}

describe('an answer that drifts from the document (a required field missing, a relative uri)', () => {
  it('is returned as is by default: no output schema is declared', async () => {
    const { tool, result } = await callRepo({});
    expect(tool.outputSchema).toBeUndefined();
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toEqual(drifted);
  });

  it('is refused when the config asks for the output schemas, naming what drifted', async () => {
    const { tool, result } = await callRepo({ outputSchemas: true });
    expect(tool.outputSchema).toMatchObject({ required: ['id', 'full_name', 'language', 'uri'] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/language|uri/);
  });
});
