import { request } from 'node:http';
import { type ChangeFeed, createMemoryChangeFeed } from '../../src/mcp/index.js';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request with node:http, headers exactly as given. For an SSE answer (`stream: true`) it resolves
 * as soon as the status line arrives and destroys the response, so an open stream does not hang it.
 */
export function rawRequest(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string,
  opts: { stream?: boolean; localAddress?: string } = {},
): Promise<RawReply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        // node:http takes an IPv6 host without the brackets of its URL form.
        host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
        headers: {
          ...(body !== undefined
            ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
            : {}),
          accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (res) => {
        if (opts.stream && res.statusCode === 200) {
          resolve({ status: 200, headers: res.headers, body: '' });
          res.destroy();
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const INIT_2025 = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** Opens a 2025-era session with a raw initialize + initialized; returns its id. */
/** Opens a 2025-era session; `from` is the local address the requests are sent from (`127.0.0.2`). */
export async function openSession(
  url: string,
  headers: Record<string, string> = {},
  from?: string,
): Promise<string> {
  const opts = from ? { localAddress: from } : {};
  const init = await rawRequest('POST', url, headers, JSON.stringify(INIT_2025), opts);
  if (init.status !== 200) throw new Error(`initialize answered ${init.status}: ${init.body}`);
  const id = String(init.headers['mcp-session-id']);
  const done = await rawRequest(
    'POST',
    url,
    { ...headers, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' },
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    opts,
  );
  if (done.status !== 202) throw new Error(`initialized answered ${done.status}: ${done.body}`);
  return id;
}

/** Headers that name a 2025-era session. */
export const sessionHeaders = (id: string, extra: Record<string, string> = {}) => ({
  'mcp-session-id': id,
  'mcp-protocol-version': '2025-06-18',
  ...extra,
});

/** A memory change feed that tells how many listeners it has: each connected session server is one. */
export function countedFeed(): ChangeFeed & { listeners(): number } {
  const feed = createMemoryChangeFeed();
  let open = 0;
  return {
    publish: (c) => feed.publish(c),
    since: (cursor, limit) => feed.since(cursor, limit),
    close: () => feed.close(),
    subscribe(listener) {
      const off = feed.subscribe(listener);
      open++;
      let done = false;
      return () => {
        if (!done) open--;
        done = true;
        off();
      };
    },
    listeners: () => open,
  };
}
