import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayConfig, loadConfig } from '../../src/config/index.js';
import { createGateway, startGateway } from '../../src/mcp/index.js';
import { connectV2 } from './helpers/clients.js';
import { startWireUpstream, WIRE_SPEC, type WireUpstream } from './helpers/wire-upstream.js';
import { connectStdio, UpdateInbox } from './resources-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'conduit-resources-openapi-'));
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

/** A config whose only upstream is the OpenAPI document, and `items://{id}` read through getItem. */
async function config(mode: 'tools' | 'compact') {
  const file = join(dir, `conduit-${mode}.yaml`);
  writeFileSync(
    file,
    [
      'upstreams:',
      '  items:',
      `    baseUrl: ${upstream.url}`,
      `    openapi: { document: ${spec}, mode: ${mode} }`,
      'resources:',
      '  templates:',
      '    - { uriTemplate: "items://{id}", name: item, upstream: items, operation: getItem }',
      '',
    ].join('\n'),
  );
  return loadConfig(file, { env: {} });
}

describe('a resource template backed by an OpenAPI operation', () => {
  it('compact mode: listed, read through the invoke path (cached like an invoke call), subscribable', async () => {
    const running = await startGateway(await config('compact'), { transport: 'http', port: 0 });
    const client = await connectV2(running.url!, 'legacy');
    const inbox = new UpdateInbox();
    client.setNotificationHandler('notifications/resources/updated', (n) => inbox.push(n.params.uri));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).not.toContain('getItem'); // compact: the operation is no tool
      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('items://{id}');

      const before = upstream.seen.length;
      const first = await client.readResource({ uri: 'items://42' });
      expect(upstream.seen.length).toBe(before + 1);
      expect(upstream.last().line).toBe('GET /items/42');
      expect(first.contents[0]).toMatchObject({ uri: 'items://42', mimeType: 'application/json' });
      expect(JSON.parse((first.contents[0] as { text: string }).text)).toEqual({ id: '42', name: 'item 42' });
      // The GET operation is cached (60s by default), and a read shares it: no second request.
      const again = await client.readResource({ uri: 'items://42' });
      expect((again.contents[0] as { text: string }).text).toBe((first.contents[0] as { text: string }).text);
      expect(upstream.seen.length).toBe(before + 1);

      await client.subscribeResource({ uri: 'items://42' });
      await running.gateway.changes.publish({
        uri: 'items://42',
        event: 'item.updated',
        source: 'test',
        at: 1,
      });
      await inbox.next('items://42');
      expect(inbox.uris).toEqual(['items://42']);
    } finally {
      await client.close();
      await running.close();
    }
  });

  it('compact mode over stdio: a 2026-07-28 listener is notified for the template URI', async () => {
    const gateway = createGateway(await config('compact'));
    const c = await connectStdio(gateway, 'v2-modern');
    try {
      const read = await c.client!.readResource({ uri: 'items://7' });
      expect(JSON.parse((read.contents[0] as { text: string }).text)).toEqual({ id: '7', name: 'item 7' });
      await c.subscribe('items://7');
      await gateway.changes.publish({ uri: 'items://7', event: 'item.updated', source: 'test', at: 1 });
      await c.inbox.next('items://7');
      expect(c.inbox.uris).toEqual(['items://7']);
    } finally {
      await c.close();
      await gateway.close();
    }
  });

  it('tools mode: the operation is read through its own tool', async () => {
    const running = await startGateway(await config('tools'), { transport: 'http', port: 0 });
    const client = await connectV2(running.url!, 'legacy');
    try {
      const read = await client.readResource({ uri: 'items://9' });
      expect(upstream.last().line).toBe('GET /items/9');
      expect(JSON.parse((read.contents[0] as { text: string }).text)).toEqual({ id: '9', name: 'item 9' });
    } finally {
      await client.close();
      await running.close();
    }
  });

  it('a library config naming an operation the upstream does not serve is refused at start-up, with a hint', async () => {
    const good = await config('compact');
    const bad: GatewayConfig = {
      ...good,
      resources: {
        health: true,
        recentChanges: true,
        templates: [
          {
            uriTemplate: 'items://{id}',
            name: 'item',
            upstream: 'items',
            operation: 'getItm',
            mimeType: 'application/json',
          },
        ],
      },
    };
    expect(() => createGateway(bad)).toThrow(
      /resources\.templates\[0\] \(item\): upstream "items" serves no operation "getItm" \(did you mean "getItem"\?\)/,
    );
  });
});
