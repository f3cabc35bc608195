import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { type GatewayMetrics, metricsHandler } from '../../src/metrics/index.js';
import { type Family, parseExposition } from './exposition.js';

export interface Listening {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1, port 0; `close()` drops open connections (hanging requests too). */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Listening> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface MetricsEndpoint extends Listening {
  /** GET /metrics over real HTTP; checks status and content type, parses the body strictly. */
  scrape(): Promise<Map<string, Family>>;
}

/** Serves `metricsHandler(metrics)` and scrapes it with undici. */
export async function serveMetrics(metrics: GatewayMetrics): Promise<MetricsEndpoint> {
  const l = await listen(metricsHandler(metrics));
  return {
    ...l,
    async scrape() {
      const res = await request(`${l.url}/metrics`);
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`scrape answered ${res.statusCode}: ${text}`);
      const type = String(res.headers['content-type']);
      if (!type.startsWith('text/plain; version=0.0.4')) throw new Error(`unexpected content type ${type}`);
      return parseExposition(text);
    },
  };
}
