import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import type { WebhookHandler } from '../../src/webhooks/index.js';
import { standardWebhookHeaders } from '../helpers/standard-webhook.js';

// The webhook tests take it from here with the other helpers.
export { deferred } from '../helpers/deferred.js';

/** A Standard Webhooks secret and the raw key behind it. */
export const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
export const SECRET = `whsec_${KEY.toString('base64')}`;
export const NOW = 1_750_000_000_000;

/** Standard Webhooks headers over the exact bytes (the spec's construction). */
export function signStandard(id: string, body: Uint8Array, tsSeconds = NOW / 1000, key = KEY) {
  return standardWebhookHeaders(id, body, tsSeconds, key);
}

export interface Served {
  url: string;
  server: Server;
  post(path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

/** Serves `handler` on 127.0.0.1:0 with node:http; `post` sends one delivery with undici. */
export async function serve(handler: WebhookHandler): Promise<Served> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    async post(path, body, headers) {
      const r = await request(url + path, { method: 'POST', body, headers });
      const text = await r.body.text();
      return { status: r.statusCode, headers: r.headers, json: text ? JSON.parse(text) : {} };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * Sends with node:http, which can repeat a header (array value → two header lines) and stream a body
 * of any size. Resolves on the response even if the server stops reading the upload.
 */
export function rawPost(
  url: string,
  headers: Record<string, string | string[]>,
  chunks: Iterable<Buffer>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST' });
    for (const [k, v] of Object.entries(headers)) req.setHeader(k, v);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }));
      res.on('error', reject);
    });
    // The server may close the connection after answering 413: write errors are expected then.
    req.on('error', (err) => {
      if (!req.destroyed || !(req as { res?: unknown }).res) reject(err);
    });
    const it = chunks[Symbol.iterator]();
    const pump = () => {
      for (;;) {
        const n = it.next();
        if (n.done) {
          req.end();
          return;
        }
        if (!req.write(n.value)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}
