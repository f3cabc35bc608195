import { Client } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { noopLogger } from '../../src/core/index.js';
import type { Gateway } from '../../src/mcp/index.js';
import { serveGatewayStdio } from '../../src/mcp/index.js';
import type { TestConfigInput } from '../helpers/gateway-config.js';
import { assignmentsConfig } from './helpers/config.js';

/** The assignments config plus a `resources` section with `assignments://{id}` backed by get_assignment. */
export function resourcesConfig(upstreamUrl: string, extra: Partial<TestConfigInput> = {}): TestConfigInput {
  return {
    ...assignmentsConfig(upstreamUrl),
    ...extra,
    resources: {
      templates: [
        {
          uriTemplate: 'assignments://{id}',
          name: 'assignment',
          description: 'One assignment',
          tool: 'get_assignment',
          mimeType: 'application/json',
        },
      ],
    },
  };
}

/** Collects `notifications/resources/updated` URIs and lets a test await the next one. */
export class UpdateInbox {
  readonly uris: string[] = [];
  private waiters: { uri: string; resolve: () => void }[] = [];

  push = (uri: string): void => {
    this.uris.push(uri);
    this.waiters = this.waiters.filter((w) => {
      if (w.uri !== uri) return true;
      w.resolve();
      return false;
    });
  };

  /** Resolves once `uri` has been received (at once when it already was). */
  next(uri: string): Promise<void> {
    if (this.uris.includes(uri)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ uri, resolve }));
  }
}

/**
 * A client of either SDK connected to the gateway through the stdio entry (`serveStdio`) over an
 * in-memory pipe: one connection, like a spawned `conduit serve`.
 */
export async function connectStdio(gateway: Gateway, kind: 'v2-modern' | 'v2-legacy' | 'v1') {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  // Not closed here: its close() drains the whole gateway (one connection per process); closing the
  // client closes the pipe, which ends the connection.
  serveGatewayStdio(gateway, { logger: noopLogger, transport: serverSide });
  const inbox = new UpdateInbox();
  if (kind === 'v1') {
    const client = new ClientV1({ name: 'v1', version: '1.0.0' });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => inbox.push(n.params.uri));
    await client.connect(clientSide as never);
    return {
      inbox,
      subscribe: async (uri: string) => void (await client.subscribeResource({ uri })),
      unsubscribe: async (uri: string) => void (await client.unsubscribeResource({ uri })),
      ping: async () => void (await client.ping()),
      close: async () => {
        await client.close();
      },
    };
  }
  const client = new Client(
    { name: 'v2', version: '1.0.0' },
    kind === 'v2-modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  client.setNotificationHandler('notifications/resources/updated', (n) => inbox.push(n.params.uri));
  await client.connect(clientSide);
  let listening: { close(): Promise<void> } | undefined;
  return {
    inbox,
    client,
    subscribe: async (uri: string) => {
      if (kind === 'v2-modern') {
        await listening?.close();
        listening = await client.listen({ resourceSubscriptions: [uri] });
      } else await client.subscribeResource({ uri });
    },
    unsubscribe: async (uri: string) => {
      if (kind === 'v2-modern') await listening?.close();
      else await client.unsubscribeResource({ uri });
    },
    // 2026-07-28 has no ping: any round trip on the same pipe is the barrier.
    ping: async () =>
      void (kind === 'v2-modern'
        ? await client.callTool({ name: 'recent_changes', arguments: { limit: 1 } })
        : await client.ping()),
    close: async () => {
      await listening?.close();
      await client.close();
    },
  };
}
