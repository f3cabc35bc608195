import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInit } from '../../src/cli/init-command.js';
import { loadConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/mcp/index.js';
import { connectV2, textOf } from './helpers/clients.js';
import { startWireUpstream, WIRE_SPEC, type WireUpstream } from './helpers/wire-upstream.js';

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
}
type Call = (operationId: string, args: Record<string, unknown>) => Promise<Result>;

const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-wire-'));
const spec = join(dir, 'items.openapi.yaml');
let upstream: WireUpstream;
beforeAll(async () => {
  writeFileSync(spec, WIRE_SPEC);
  upstream = await startWireUpstream();
});
afterAll(async () => {
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Loads a config file as `conduit serve` does, serves it over HTTP, and hands a client's call to `fn`. */
async function serveFile(
  file: string,
  fn: (callTool: (name: string, args: object) => Promise<Result>) => Promise<void>,
) {
  const config = await loadConfig(file, { env: {} });
  const running = await startGateway(config, { transport: 'http', port: 0 });
  const client = await connectV2(running.url!, 'legacy');
  try {
    await fn(
      (name, args) =>
        client.callTool({ name, arguments: args as Record<string, unknown> }) as Promise<Result>,
    );
  } finally {
    await client.close();
    await running.close();
  }
}

function sectionConfig(mode: 'tools' | 'compact'): string {
  const file = join(dir, `section-${mode}.yaml`);
  writeFileSync(
    file,
    `upstreams:\n  items:\n    baseUrl: ${upstream.url}\n    openapi:\n      document: ${spec}\n      mode: ${mode}\n`,
  );
  return file;
}

/** Every operation of WIRE_SPEC once, with what must arrive at the upstream. */
async function provesWireForms(call: Call) {
  const sent = async (operationId: string, args: Record<string, unknown>) => {
    const before = upstream.seen.length;
    const result = await call(operationId, args);
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(upstream.seen.length).toBe(before + 1);
    return upstream.last();
  };

  // explode: false → one comma-separated value (a comma inside a value stays encoded); exploded →
  // a repeated key; JSON content → JSON text, in the query and in a header (a string goes out quoted).
  const list = await sent('listItems', {
    ids: ['a', 'b,c'],
    tags: ['x', 'y'],
    filter: { status: 'open' },
    'X-Trace': 'abc',
  });
  expect(list.line.startsWith('GET /items?')).toBe(true);
  const query = list.line.slice('GET /items?'.length).split('&');
  expect(query.filter((q) => q.startsWith('ids='))).toEqual(['ids=a,b%2Cc']);
  expect(query.filter((q) => q.startsWith('tags='))).toEqual(['tags=x', 'tags=y']);
  expect(query).toContain(`filter=${encodeURIComponent('{"status":"open"}')}`);
  expect(list.headers['x-trace']).toBe('"abc"');
  expect(list.body).toBe('');

  // An array body is the body itself, not { "body": [...] }.
  const tags = await sent('addTags', { id: '7', body: ['red', 'blue'] });
  expect(tags.line).toBe('POST /items/7/tags');
  expect(tags.body).toBe('["red","blue"]');
  expect(tags.headers['content-type']).toMatch(/^application\/json/);

  // A string body is a JSON string.
  const name = await sent('setName', { id: '7', body: 'New name' });
  expect(name.line).toBe('PUT /items/7/name');
  expect(name.body).toBe('"New name"');

  // Body fields that collide with the path parameter travel whole under `body`; the path keeps its id.
  const update = await sent('updateItem', { id: '7', body: { id: 'other', title: 'T' } });
  expect(update.line).toBe('PATCH /items/7');
  expect(JSON.parse(update.body)).toEqual({ id: 'other', title: 'T' });
}

describe('OpenAPI wire forms reach the upstream as the document says', () => {
  it('tools mode (an upstream openapi section)', async () => {
    await serveFile(sectionConfig('tools'), async (callTool) => {
      await provesWireForms((id, args) => callTool(id, args));
    });
  });

  it('compact mode (the invoke tool)', async () => {
    await serveFile(sectionConfig('compact'), async (callTool) => {
      await provesWireForms((id, args) =>
        callTool('items_invoke_operation', { operationId: id, arguments: args }),
      );
    });
  });

  it('a config written by conduit init, served by the gateway', async () => {
    const out = join(dir, 'init.yaml');
    const stderr: string[] = [];
    const code = await runInit(['--openapi', spec, '--out', out, '--base-url', upstream.url, '--force'], {
      stdout: () => {},
      stderr: (t) => stderr.push(t),
      env: {},
      onStopRequest: () => () => {},
      exit: () => {},
    });
    expect(code).toBe(0);
    expect(stderr.join('')).toBe(''); // nothing skipped
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('ids: { in: query, explode: false }');
    expect(text).toContain('body: { in: body, whole: true }');
    expect(text).toContain('filter: { in: query, json: true }');
    await serveFile(out, async (callTool) => {
      await provesWireForms((id, args) => callTool(id, args));
    });
  });
});
