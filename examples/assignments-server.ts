/**
 * The "assignments" MCP server written by hand with Conduit's toolkit on the SDK's own McpServer:
 *
 * - get_assignment           answered from the tiered cache; `_meta['conduit/cache']` says if it was
 * - list_user_assignments    cached per user
 * - update_assignment        invalidates the assignment and the user's list
 * - get_external_data        behind a circuit breaker, with a fallback when the service is down
 * - create_external_resource retried with backoff under one Idempotency-Key
 *
 * Run: ASSIGNMENTS_URL=http://127.0.0.1:4010 npx tsx examples/assignments-server.ts   (stdio)
 */
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';
import { createCache } from '../src/cache/index.js';
import { createLogger, type Logger, noopLogger } from '../src/core/index.js';
import { createHttpClient } from '../src/http/index.js';
import { type GatewayCache, registerResilientTool } from '../src/mcp/index.js';
import { circuitBreaker } from '../src/resilience/index.js';

export interface AssignmentsToolsOptions {
  assignmentsUrl: string;
  /** The "external" service; default: the assignments URL. */
  externalUrl?: string;
  /** Default: an in-memory tiered cache. */
  cache?: GatewayCache;
  logger?: Logger;
}

const Assignment = z.object({ id: z.string(), title: z.string(), userId: z.string(), done: z.boolean() });

/** Builds the shared parts once (clients, cache, breaker); `register` adds the tools to a server. */
export function assignmentsTools(options: AssignmentsToolsOptions) {
  const logger = options.logger ?? noopLogger;
  const cache = options.cache ?? createCache({ prefix: 'assignments-example', logger });
  const assignments = createHttpClient({
    baseUrl: options.assignmentsUrl,
    logger,
    timeouts: { totalMs: 5000 },
  });
  const external = createHttpClient({
    baseUrl: options.externalUrl ?? options.assignmentsUrl,
    logger,
    // Writes carry an Idempotency-Key, so the client may retry them: 4 attempts, exponential backoff.
    retry: { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 1000 },
    // The tool-level breaker below guards reads; the client's own would count the same failures twice.
    breaker: false,
    timeouts: { totalMs: 5000 },
  });
  const externalBreaker = circuitBreaker({
    name: 'external-service',
    model: { kind: 'consecutive', threshold: 3 },
    recoveryMs: 10_000,
  });

  const register = (server: McpServer) => {
    registerResilientTool(
      server,
      'get_assignment',
      {
        description: 'Get one assignment by id (cached for 60 s).',
        input: z.object({ id: z.string().min(1) }),
        upstream: 'assignments',
        cache: {
          store: cache,
          key: ({ id }) => `assignment:${id}`,
          ttlMs: 60_000,
          staleIfErrorMs: 10 * 60_000,
        },
      },
      async ({ id }, { signal }) =>
        assignments.getJson('/assignments/{id}', { params: { id }, signal, schema: Assignment }),
    );

    registerResilientTool(
      server,
      'list_user_assignments',
      {
        description: "List a user's assignments (cached for 30 s).",
        input: z.object({ userId: z.string().min(1) }),
        upstream: 'assignments',
        cache: { store: cache, key: ({ userId }) => `user-assignments:${userId}`, ttlMs: 30_000 },
      },
      async ({ userId }, { signal }) =>
        (await assignments.get('/users/{userId}/assignments', { params: { userId }, signal })).json(),
    );

    registerResilientTool(
      server,
      'update_assignment',
      {
        description: 'Update an assignment; clears it and its user list from the cache.',
        input: z.object({
          id: z.string().min(1),
          userId: z.string().min(1),
          title: z.string().optional(),
          done: z.boolean().optional(),
        }),
        upstream: 'assignments',
        invalidates: {
          store: cache,
          keys: ({ id, userId }) => [`assignment:${id}`, `user-assignments:${userId}`],
        },
      },
      async ({ id, userId: _userId, ...changes }, { signal }) =>
        (await assignments.put('/assignments/{id}', { params: { id }, json: changes, signal })).json(),
    );

    registerResilientTool(
      server,
      'get_external_data',
      {
        description: 'Read from the external service; answers a degraded placeholder while it is down.',
        input: z.object({ resource: z.string().min(1) }),
        upstream: 'external-service',
        policy: externalBreaker,
        fallback: (_err, { resource }) => ({ resource, data: null, degraded: true }),
      },
      async ({ resource }, { signal }) =>
        (await external.get('/external/{resource}', { params: { resource }, signal })).json(),
    );

    registerResilientTool(
      server,
      'create_external_resource',
      {
        description: 'Create a resource on the external service; safe to retry (Idempotency-Key).',
        input: z.object({ name: z.string().min(1), requestId: z.string().optional() }),
        upstream: 'external-service',
      },
      async ({ name, requestId }, { signal }) =>
        (
          await external.post('/resources', {
            json: { name },
            // One key for every attempt of this call; a caller-supplied id makes retries across calls safe too.
            idempotencyKey: requestId ?? true,
            signal,
          })
        ).json(),
    );
  };

  return {
    register,
    cache,
    breaker: externalBreaker,
    async close() {
      await Promise.all([assignments.close(), external.close(), cache.close()]);
    },
  };
}

/** A ready McpServer with the assignments tools (for tests and in-process use). */
export function createAssignmentsServer(tools: ReturnType<typeof assignmentsTools>): McpServer {
  const server = new McpServer(
    { name: 'assignments-example', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  tools.register(server);
  return server;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const logger = createLogger({ level: 'info' });
  const tools = assignmentsTools({
    assignmentsUrl: process.env.ASSIGNMENTS_URL ?? 'http://127.0.0.1:4010',
    ...(process.env.EXTERNAL_URL ? { externalUrl: process.env.EXTERNAL_URL } : {}),
    logger,
  });
  const handle = serveStdio(() => createAssignmentsServer(tools));
  const stop = () => {
    handle
      .close()
      .then(() => tools.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdin.once('end', stop);
}
