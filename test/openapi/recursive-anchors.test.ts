import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { loadOpenApiDocument, openApiTools } from '../../src/config/openapi/index.js';
import { startGateway } from '../../src/mcp/index.js';
import { InputValidator } from '../../src/mcp/tools/input-validator.js';
import { connectV2, textOf } from '../mcp/helpers/clients.js';
import { startWireUpstream, type WireUpstream } from '../mcp/helpers/wire-upstream.js';

const fixture = join(import.meta.dirname, 'fixtures/recursive-3.1.yaml');
const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-recursive-'));
let upstream: WireUpstream;
beforeAll(async () => {
  upstream = await startWireUpstream();
});
afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A thread `depth` replies deep, each comment with one reply. */
function thread(depth: number, last: Record<string, unknown> = { text: 'leaf' }): Record<string, unknown> {
  let node = last;
  for (let i = 0; i < depth; i++) node = { text: `level ${i}`, replies: [node] };
  return node;
}

/** The value at a path of keys inside a schema. */
function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], value);
}

async function tools() {
  const document = await loadOpenApiDocument(fixture);
  const set = openApiTools('threads', { document: fixture }, document);
  return Object.fromEntries(set.tools.map((t) => [t.name, t]));
}

describe('a 3.1 document with $recursiveRef and $dynamicRef', () => {
  it('each recursion becomes one $defs entry the tool refers to, so the schema stays small', async () => {
    const byName = await tools();
    const create = byName.createThread!.input;
    expect(at(create, 'properties.root.properties.replies.items')).toEqual({ $ref: '#/$defs/Comment' });
    expect(at(create, '$defs.Comment.properties.replies.items')).toEqual({ $ref: '#/$defs/Comment' });
    expect(JSON.stringify(create)).not.toContain('$recursive');
    const categories = byName.replaceCategories!.input;
    expect(at(categories, 'properties.children.items')).toEqual({ $ref: '#/$defs/Category' });
    expect(JSON.stringify(categories)).not.toContain('$dynamic');
    const folder = byName.updateFolder!.input;
    expect(at(folder, 'properties.parent')).toEqual({ $ref: '#/$defs/Folder' });
    for (const tool of Object.values(byName)) expect(JSON.stringify(tool.input).length).toBeLessThan(1500);
  });

  it('the recursive schemas check values at every depth: a bad comment 25 replies down is refused', async () => {
    const byName = await tools();
    const check = new InputValidator().getValidator(byName.createThread!.input as never);
    expect(check({ title: 't', root: thread(25) }).valid).toBe(true);
    const bad = check({ title: 't', root: thread(25, { text: '' }) });
    expect(bad.valid).toBe(false);
    expect(bad.errorMessage).toMatch(/root\.replies\[0\](\.replies\[0\])+\.text/);
    const categories = new InputValidator().getValidator(byName.replaceCategories!.input as never);
    expect(categories({ name: 'a', children: [{ name: 'b', children: [{ name: 'c' }] }] }).valid).toBe(true);
    expect(categories({ name: 'a', children: [{ children: [] }] }).valid).toBe(false);
  });

  it('served through the gateway, a nested thread reaches the upstream as sent; a bad one never leaves', async () => {
    const doc = join(dir, 'recursive-3.1.yaml');
    copyFileSync(fixture, doc);
    const file = join(dir, 'conduit.yaml');
    writeFileSync(
      file,
      stringify({
        upstreams: { threads: { baseUrl: upstream.url, openapi: { document: './recursive-3.1.yaml' } } },
      }),
    );
    const running = await startGateway(await loadConfig(file, { env: {} }), { transport: 'http', port: 0 });
    const client = await connectV2(running.url!, 'legacy');
    try {
      const root = thread(12);
      const ok = await client.callTool({ name: 'createThread', arguments: { title: 'deep', root } });
      expect(ok.isError).toBeFalsy();
      expect(upstream.last().line).toBe('POST /threads');
      expect(JSON.parse(upstream.last().body)).toEqual({ title: 'deep', root });
      const before = upstream.seen.length;
      const bad = await client.callTool({
        name: 'createThread',
        arguments: { title: 'deep', root: thread(12, { text: 7 }) },
      });
      expect(bad.isError).toBe(true);
      expect(textOf(bad)).toMatch(/text/);
      expect(upstream.seen.length).toBe(before);
    } finally {
      await client.close();
      await running.close();
    }
  });
});
