import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/run.js';
import { loadConfig, parseConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/mcp/index.js';
import { memoryIo } from '../cli/helpers.js';
import { connectV1, connectV2, textOf } from '../mcp/helpers/clients.js';
import { startWireUpstream, type WireUpstream } from '../mcp/helpers/wire-upstream.js';

interface Result {
  isError?: boolean;
  content: { type: string; text?: string }[];
}
type CallTool = (name: string, args: Record<string, unknown>) => Promise<Result>;

const KEY = 'gw-key-7f3a9c21';
const PRIV = 'priv-token-55e1b0';
const env = { API_KEY: KEY, PRIV_TOKEN: PRIV };

const dir = mkdtempSync(join(tmpdir(), 'conduit-strict-args-'));
let upstream: WireUpstream;
beforeAll(async () => {
  upstream = await startWireUpstream();
});
afterAll(async () => {
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

function configText(): string {
  return `
upstreams:
  api:
    baseUrl: ${upstream.url}
    auth: { type: query, name: auth_code, value: "\${API_KEY}" }
    headers: { x-private-token: "\${PRIV_TOKEN}" }
tools:
  - name: get_profile
    upstream: api
    path: /profiles/{id}
    input: { type: object, properties: { id: { type: string } }, required: [id] }
  - name: create_user
    upstream: api
    method: POST
    path: /users
    input: { type: object, properties: { name: { type: string } }, required: [name] }
  - name: search_loose
    upstream: api
    path: /search
    allowUnlistedArguments: true
    input: { type: object, properties: { q: { type: string } } }
`;
}

/** Serves the config over HTTP and runs `fn` once with a v2 (2026-07-28) and once with a v1 client. */
async function withClients(config: ReturnType<typeof parseConfig>, fn: (call: CallTool) => Promise<void>) {
  const running = await startGateway(config, { transport: 'http', port: 0 });
  try {
    for (const connect of [() => connectV2(running.url!, 'modern'), () => connectV1(running.url!)]) {
      const client = await connect();
      try {
        await fn((name, args) => client.callTool({ name, arguments: args }) as Promise<Result>);
      } finally {
        await client.close();
      }
    }
  } finally {
    await running.close();
  }
}

describe('tools are strict by default', () => {
  it('an unlisted argument is refused with a tool error naming it, and nothing reaches the upstream', async () => {
    const config = parseConfig(configText(), { env });
    await withClients(config, async (call) => {
      const before = upstream.seen.length;
      const get = await call('get_profile', { id: '1', admin: true, _method: 'DELETE' });
      expect(get.isError).toBe(true);
      expect(textOf(get)).toMatch(/"admin" is not allowed/);
      const post = await call('create_user', { name: 'eve', role: 'admin', owner_id: '1' });
      expect(post.isError).toBe(true);
      expect(textOf(post)).toMatch(/"role" is not allowed/);
      expect(upstream.seen.length).toBe(before);
      // The listed arguments still work.
      const ok = await call('get_profile', { id: '1' });
      expect(ok.isError, textOf(ok)).toBeFalsy();
      expect(upstream.last().line).toBe(`GET /profiles/1?auth_code=${KEY}`);
    });
  });

  async function listedInputs(toolListing?: 'explicit') {
    const config = parseConfig(configText(), { env });
    if (toolListing) config.server.toolListing = toolListing;
    const running = await startGateway(config, { transport: 'http', port: 0 });
    const client = await connectV2(running.url!, 'modern');
    try {
      const { tools } = await client.listTools();
      return (name: string) => tools.find((t) => t.name === name)!.inputSchema as Record<string, unknown>;
    } finally {
      await client.close();
      await running.close();
    }
  }

  it('explicit listing publishes additionalProperties: false for a schema that did not say', async () => {
    const schema = await listedInputs('explicit');
    expect(schema('get_profile').additionalProperties).toBe(false);
    expect(schema('search_loose').additionalProperties).not.toBe(false);
  });

  it('compact listing leaves the closed marker out of tools/list, and still refuses what it closed', async () => {
    const schema = await listedInputs();
    expect(schema('get_profile')).toEqual({
      type: 'object',
      properties: { id: { type: 'string' } },
      required: ['id'],
    });
    // The refusal itself is the first test's, run on the default (compact) listing.
    expect(parseConfig(configText(), { env }).server.toolListing).toBe('compact');
  });

  it('allowUnlistedArguments: true forwards unlisted arguments, as documented', async () => {
    await withClients(parseConfig(configText(), { env }), async (call) => {
      const r = await call('search_loose', { q: 'x', page: 2 });
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(upstream.last().line).toBe(`GET /search?auth_code=${KEY}&q=x&page=2`);
    });
  });

  it('an explicit additionalProperties: true without allowUnlistedArguments is a config problem', () => {
    const text = configText().replace(
      'properties: { id: { type: string } }, required: [id] }',
      'properties: { id: { type: string } }, required: [id], additionalProperties: true }',
    );
    expect(() => parseConfig(text, { env })).toThrow(/set allowUnlistedArguments: true on the tool/);
  });
});

describe('no argument can set, replace or remove a credential', () => {
  it('the auth query parameter cannot be replaced or removed, even where unlisted arguments are allowed', async () => {
    await withClients(parseConfig(configText(), { env }), async (call) => {
      const before = upstream.seen.length;
      for (const value of ['attacker', null, ['a', 'b'], '']) {
        const r = await call('search_loose', { q: 'x', auth_code: value });
        expect(r.isError, JSON.stringify(value)).toBe(true);
        expect(textOf(r)).toMatch(/auth_code.*credential/);
      }
      expect(upstream.seen.length).toBe(before);
    });
  });

  it('a tool whose argument would go to the auth query parameter or a credential header is refused at load', () => {
    const queryTool = `${configText()}
  - name: bad_query
    upstream: api
    path: /x
    input: { type: object, properties: { auth_code: { type: string } } }
`;
    expect(() => parseConfig(queryTool, { env })).toThrow(/auth_code.*credential/);
    const headerTool = `${configText()}
  - name: bad_header
    upstream: api
    path: /x
    input: { type: object, properties: { X-Private-Token: { type: string } } }
    params: { X-Private-Token: header }
`;
    expect(() => parseConfig(headerTool, { env })).toThrow(/X-Private-Token.*credential/);
    const bearer = `
upstreams:
  api: { baseUrl: "http://127.0.0.1:9", auth: { type: bearer, token: "\${API_KEY}" } }
tools:
  - name: t
    upstream: api
    path: /x
    input: { type: object, properties: { authorization: { type: string } } }
    params: { authorization: header }
`;
    expect(() => parseConfig(bearer, { env })).toThrow(/authorization.*credential/);
  });
});

const HOSTILE_SPEC = (header: string) => `openapi: 3.1.0
info: { title: Hostile, version: "1" }
paths:
  /things:
    get:
      operationId: listThings
      parameters:
        - { name: ${header}, in: header, schema: { type: string } }
      responses: { "200": { description: ok } }
`;

const LOOSE_BODY_SPEC = `openapi: 3.1.0
info: { title: Loose, version: "1" }
paths:
  /users:
    post:
      operationId: createUser
      requestBody:
        content:
          application/json:
            schema: { type: object, properties: { name: { type: string } }, additionalProperties: true }
      responses: { "200": { description: ok } }
`;

function openapiConfig(name: string, spec: string, extra = ''): string {
  const doc = join(dir, `${name}.openapi.yaml`);
  writeFileSync(doc, spec);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `upstreams:\n  api:\n    baseUrl: ${upstream.url}\n    auth: { type: header, name: X-Api-Key, value: "\${API_KEY}" }\n    openapi:\n      document: ${doc}\n${extra}`,
  );
  return file;
}

describe('OpenAPI header parameters that would set framing or credentials are refused', () => {
  for (const header of ['Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'X-Api-Key']) {
    it(`a header parameter named ${header}: refused at start-up and by validate`, async () => {
      const file = openapiConfig(`hdr-${header}`, HOSTILE_SPEC(header));
      await expect(loadConfig(file, { env })).rejects.toThrow(new RegExp(`${header}`));
      const m = memoryIo(env);
      const code = await runCli(['validate', '--config', file], m.io);
      expect(code).toBe(ExitCode.CONFIG);
      expect(m.stdout()).toMatch(new RegExp(`header parameter "${header}"`));
    });
  }
});

describe('OpenAPI tools are strict too, whatever the document allows', () => {
  it('tools mode and compact invoke refuse an unlisted argument (a body with additionalProperties: true)', async () => {
    for (const mode of ['tools', 'compact'] as const) {
      const file = openapiConfig(`loose-${mode}`, LOOSE_BODY_SPEC, `      mode: ${mode}\n`);
      const config = await loadConfig(file, { env });
      await withClients(config as never, async (call) => {
        const before = upstream.seen.length;
        const r =
          mode === 'tools'
            ? await call('createUser', { name: 'eve', role: 'admin' })
            : await call('api_invoke_operation', {
                operationId: 'createUser',
                arguments: { name: 'eve', role: 'admin' },
              });
        expect(r.isError, mode).toBe(true);
        expect(textOf(r)).toMatch(/"role" is not allowed/);
        expect(upstream.seen.length).toBe(before);
      });
    }
  });
});
