/**
 * The bench's MCP servers, in their own process (so server and client do not share an event loop):
 * (a) the SDK's own McpServer with a trivial tool, served the way the SDK documents for Node (sessions
 * for 2025-era clients, per-request for 2026-07-28), and the Conduit gateway with a cached tool (b) and
 * an uncached one (c) in front of the upstream whose URL is argv[2].
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import {
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  McpServer,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { defineConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/mcp/index.js';
import { shapedTools } from './shaped-hit.js';

const upstreamUrl = process.argv[2]!;
const answer = { id: '1', title: 'Benchmark the gateway', userId: 'u1', done: false, tags: ['a', 'b'] };

function sdkServer(): McpServer {
  const server = new McpServer({ name: 'sdk-baseline', version: '1.0.0' });
  server.registerTool('get_assignment', { inputSchema: z.object({ id: z.string() }) }, async () => ({
    content: [{ type: 'text', text: JSON.stringify(answer) }],
    structuredContent: answer,
  }));
  return server;
}

async function startSdkBaseline(): Promise<string> {
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const modern = toNodeHandler(createMcpHandler(sdkServer, { legacy: 'reject' }));
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let body: unknown;
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    }
    if (!(await isLegacyRequest(await toWebRequest(req, body), body))) return modern(req, res, body);
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') return sessions.get(id)?.handleRequest(req, res, body);
    if (!isInitializeRequest(body)) {
      res.writeHead(400).end();
      return;
    }
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sid) => {
        sessions.set(sid, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await sdkServer().connect(transport);
    await transport.handleRequest(req, res, body);
  };
  const http = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}

const input = { type: 'object' as const, properties: { id: { type: 'string' } }, required: ['id'] };
const gateway = await startGateway(
  defineConfig({
    server: { name: 'conduit-bench', http: { port: 0 } },
    upstreams: {
      api: { baseUrl: upstreamUrl },
      // (c2): the same upstream with credentials, so every answer is scrubbed for echoed secrets.
      api_secret: {
        baseUrl: upstreamUrl,
        auth: { type: 'bearer' as const, token: 'bench-token-9a7e31c4' },
        headers: { 'x-api-key': 'bench-private-key-5f2c' },
      },
    },
    tools: [
      {
        name: 'get_assignment_cached',
        upstream: 'api',
        method: 'GET',
        path: '/assignments/{id}',
        input,
        cache: { ttl: 3_600_000, key: 'assignment:{id}' },
      },
      { name: 'get_assignment', upstream: 'api', method: 'GET', path: '/assignments/{id}', input },
      {
        // (c): cached like (b), but every call brings a new nonce, so every call misses the cache
        // and pays the whole miss path (key render, L1 lookup, single-flight, upstream, L1 write).
        name: 'get_assignment_miss',
        upstream: 'api',
        method: 'GET',
        path: '/assignments/{id}',
        input: {
          type: 'object',
          properties: { id: { type: 'string' }, nonce: { type: 'string' } },
          required: ['id', 'nonce'],
        },
        params: { nonce: 'header' as const },
        cache: { ttl: 3_600_000, key: 'assignment:{id}:{nonce}' },
      },
      {
        name: 'get_assignment_miss_secret',
        upstream: 'api_secret',
        method: 'GET',
        path: '/assignments/{id}',
        input: {
          type: 'object',
          properties: { id: { type: 'string' }, nonce: { type: 'string' } },
          required: ['id', 'nonce'],
        },
        params: { nonce: 'header' as const },
        cache: { ttl: 3_600_000, key: 'assignment-secret:{id}:{nonce}' },
      },
      ...shapedTools,
    ],
  }),
  { transport: 'http' },
);
const sdkUrl = await startSdkBaseline();
process.stdout.write(`${JSON.stringify({ sdkUrl, conduitUrl: gateway.url })}\n`);
process.on('SIGTERM', () => {
  gateway.close().then(() => process.exit(0));
});
