/**
 * The "assignments" MCP server written by hand with Conduit's toolkit on the SDK's own McpServer:
 *
 * - get_assignment           answered from the tiered cache; `_meta['conduit/cache']` says if it was
 * - list_user_assignments    cached per user
 * - update_assignment        invalidates the assignment and the user's list
 * - count_assignments        behind a circuit breaker, with a fallback while the API is down
 * - create_assignment        retried with backoff under one Idempotency-Key
 *
 * Against the bundled API (`npx tsx examples/assignments-api.ts`, http://127.0.0.1:4010, token
 * "demo-token"; ASSIGNMENTS_URL and ASSIGNMENTS_API_TOKEN change them):
 *
 *   ASSIGNMENTS_URL=http://127.0.0.1:4010 npx tsx examples/assignments-server.ts   (stdio)
 */
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';
import { createCache } from 'conduit-mcp/cache';
import { createLogger, type Logger, noopLogger } from 'conduit-mcp';
import { createHttpClient } from 'conduit-mcp/http';
import { type GatewayCache, registerResilientTool } from 'conduit-mcp/mcp';
import { circuitBreaker } from 'conduit-mcp/resilience';

export interface AssignmentsToolsOptions {
  assignmentsUrl: string;
  /** Sent as `Authorization: Bearer <token>` (the bundled API requires one). */
  token?: string;
  /** Default: an in-memory tiered cache. */
  cache?: GatewayCache;
  logger?: Logger;
}

const Status = z.enum(['todo', 'in_progress', 'done']);
/** An assignment as the bundled API answers it (fields it may add later pass through). */
const Assignment = z.looseObject({
  id: z.string(),
  userId: z.string(),
  title: z.string(),
  status: Status,
  dueDate: z.string(),
  version: z.number(),
});
const Page = z.looseObject({ items: z.array(Assignment), total: z.number() });

/** Builds the shared parts once (clients, cache, breaker); `register` adds the tools to a server. */
export function assignmentsTools(options: AssignmentsToolsOptions) {
  const logger = options.logger ?? noopLogger;
  const cache = options.cache ?? createCache({ prefix: 'assignments-example', logger });
  const headers: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  const assignments = createHttpClient({
    baseUrl: options.assignmentsUrl,
    headers,
    logger,
    // Writes carry an Idempotency-Key, so the client may retry them: 4 attempts, exponential backoff.
    retry: { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 1000 },
    timeouts: { totalMs: 5000 },
  });
  const counts = createHttpClient({
    baseUrl: options.assignmentsUrl,
    headers,
    logger,
    // The tool-level breaker below guards this read; the client's own would count the same failures twice.
    retry: false,
    breaker: false,
    timeouts: { totalMs: 5000 },
  });
  const countBreaker = circuitBreaker({
    name: 'assignments-counts',
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
        assignments.getJson('/users/{userId}/assignments', { params: { userId }, signal, schema: Page }),
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
          status: Status.optional(),
        }),
        upstream: 'assignments',
        invalidates: {
          store: cache,
          keys: ({ id, userId }) => [`assignment:${id}`, `user-assignments:${userId}`],
        },
      },
      async ({ id, userId: _userId, ...changes }, { signal }) =>
        (await assignments.patch('/assignments/{id}', { params: { id }, json: changes, signal })).json(),
    );

    registerResilientTool(
      server,
      'count_assignments',
      {
        description: 'Count assignments by status; answers a degraded placeholder while the API is down.',
        input: z.object({ status: Status }),
        upstream: 'assignments',
        policy: countBreaker,
        fallback: (_err, { status }) => ({ status, total: null, degraded: true }),
      },
      async ({ status }, { signal }) => {
        const page = await counts.getJson('/assignments', {
          query: { status, page_size: 1 },
          signal,
          schema: Page,
        });
        return { status, total: page.total };
      },
    );

    registerResilientTool(
      server,
      'create_assignment',
      {
        description: 'Create an assignment; safe to retry (Idempotency-Key).',
        input: z.object({
          userId: z.string().min(1),
          title: z.string().min(1),
          requestId: z.string().optional(),
        }),
        upstream: 'assignments',
      },
      async ({ userId, title, requestId }, { signal }) =>
        (
          await assignments.post('/assignments', {
            json: { userId, title },
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
    breaker: countBreaker,
    async close() {
      await Promise.all([assignments.close(), counts.close(), cache.close()]);
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
    // The same default as examples/assignments-api.ts.
    token: process.env.ASSIGNMENTS_API_TOKEN ?? 'demo-token',
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
