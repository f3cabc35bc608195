import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/mcp/index.js';
import { connectV2 } from '../mcp/helpers/clients.js';
import { startWireUpstream, type WireUpstream } from '../mcp/helpers/wire-upstream.js';

const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-required-body-'));
let upstream: WireUpstream;
beforeAll(async () => {
  upstream = await startWireUpstream();
});
afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

const optionalFields = { type: 'object', properties: { name: { type: 'string' }, on: { type: 'boolean' } } };
const DOC = {
  openapi: '3.0.3',
  info: { title: 'Settings', version: '1' },
  paths: {
    // GitHub's style: a required body whose every field is optional (PATCH …/configurations/{id}).
    '/settings': {
      patch: {
        operationId: 'updateSettings',
        requestBody: { required: true, content: { 'application/json': { schema: optionalFields } } },
        responses: { '200': { description: 'ok' } },
      },
      put: {
        operationId: 'putSettings',
        requestBody: { content: { 'application/json': { schema: optionalFields } } },
        responses: { '200': { description: 'ok' } },
      },
      post: {
        operationId: 'postSettingsForm',
        requestBody: {
          required: true,
          content: { 'application/x-www-form-urlencoded': { schema: optionalFields } },
        },
        responses: { '200': { description: 'ok' } },
      },
    },
  },
};

describe('a required request body whose fields are all optional, served from the document', () => {
  it('goes out as {} (or an empty form) when no field is given; an optional body is not sent', async () => {
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(DOC));
    const file = join(dir, 'conduit.yaml');
    writeFileSync(
      file,
      stringify({ upstreams: { s: { baseUrl: upstream.url, openapi: { document: './settings.json' } } } }),
    );
    const running = await startGateway(await loadConfig(file, { env: {} }), { transport: 'http', port: 0 });
    const client = await connectV2(running.url!, 'legacy');
    try {
      expect((await client.callTool({ name: 'updateSettings', arguments: {} })).isError).toBeFalsy();
      expect(upstream.last().body).toBe('{}');
      expect(upstream.last().headers['content-type']).toMatch(/^application\/json/);
      await client.callTool({ name: 'updateSettings', arguments: { on: true } });
      expect(JSON.parse(upstream.last().body)).toEqual({ on: true });
      await client.callTool({ name: 'putSettings', arguments: {} });
      expect(upstream.last().line).toBe('PUT /settings');
      expect(upstream.last().body).toBe('');
      await client.callTool({ name: 'postSettingsForm', arguments: {} });
      expect(upstream.last().headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(upstream.last().body).toBe('');
    } finally {
      await client.close();
      await running.close();
    }
  });
});
