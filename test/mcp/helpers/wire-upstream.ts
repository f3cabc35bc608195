import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as it arrived: the raw request line's method and target, headers, raw body. */
export interface WireRequest {
  /** `GET /items?ids=a,b` — `req.url` is the request-target exactly as the client wrote it. */
  line: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * An upstream on 127.0.0.1 that records every request's raw line and body and answers 200 with a
 * small JSON object (`{ ok, method, path }`; `GET /items/{id}` answers `{ id, name }`).
 */
export async function startWireUpstream() {
  const seen: WireRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const line = `${req.method} ${req.url}`;
    seen.push({ line, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    const path = (req.url ?? '/').split('?')[0]!;
    const item = /^\/items\/([^/]+)$/.exec(path);
    const value =
      req.method === 'GET' && item
        ? { id: decodeURIComponent(item[1]!), name: `item ${decodeURIComponent(item[1]!)}` }
        : { ok: true, method: req.method, path };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    /** The last request (fails the test when there was none). */
    last(): WireRequest {
      const r = seen.at(-1);
      if (!r) throw new Error('the upstream saw no request');
      return r;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type WireUpstream = Awaited<ReturnType<typeof startWireUpstream>>;

/**
 * An OpenAPI document whose operations need more than a location per argument: an array body, a
 * string body, an object body whose fields collide with the path parameter, an `explode: false` query
 * array next to an exploded one, and JSON-content query and header parameters.
 */
export const WIRE_SPEC = `openapi: 3.1.0
info: { title: Items API, version: "1" }
servers: [{ url: "http://127.0.0.1:9" }]
paths:
  /items:
    get:
      operationId: listItems
      parameters:
        - { name: ids, in: query, explode: false, schema: { type: array, items: { type: string } } }
        - { name: tags, in: query, schema: { type: array, items: { type: string } } }
        - name: filter
          in: query
          content: { application/json: { schema: { type: object, properties: { status: { type: string } } } } }
        - name: X-Trace
          in: header
          content: { application/json: { schema: { type: string } } }
      responses: { "200": { description: ok, content: { application/json: { schema: { type: object } } } } }
  /items/{id}:
    parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
    get:
      operationId: getItem
      responses: { "200": { description: ok, content: { application/json: { schema: { type: object } } } } }
    patch:
      operationId: updateItem
      requestBody:
        required: true
        content: { application/json: { schema: { type: object, properties: { id: { type: string }, title: { type: string } } } } }
      responses: { "200": { description: ok } }
  /items/{id}/tags:
    post:
      operationId: addTags
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      requestBody:
        required: true
        content: { application/json: { schema: { type: array, items: { type: string } } } }
      responses: { "200": { description: ok } }
  /items/{id}/name:
    put:
      operationId: setName
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      requestBody:
        required: true
        content: { application/json: { schema: { type: string } } }
      responses: { "200": { description: ok } }
`;
