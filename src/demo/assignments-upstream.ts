import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  type Clock,
  ConfigError,
  type Logger,
  noopLogger,
  systemClock,
  type TimerHandle,
} from '../core/index.js';
import {
  ASSIGNMENT_STATUSES,
  type Assignment,
  type AssignmentStatus,
  seedAssignments,
} from './assignments-data.js';
import { type Fault, FaultSwitch, faultProblem } from './faults.js';
import { sendWebhook, type WebhookTarget } from './webhook-sender.js';

export interface AssignmentsUpstreamOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** When set, every API request must carry `Authorization: Bearer <token>` (the control API need not). */
  token?: string;
  /** Initial data; default the twelve seeded assignments. */
  seed?: readonly Assignment[];
  /** Prefix of the control API. Default `/_control`. */
  controlPath?: string;
  /** Where changes made through the control API are announced (signed `assignment.updated` events). */
  webhook?: WebhookTarget;
  clock?: Clock;
  logger?: Logger;
}

/** Requests seen by the API (control requests excluded). */
export interface UpstreamStats {
  requests: number;
  /** By route, e.g. `GET /assignments/{id}`. */
  byRoute: Record<string, number>;
  /** By answered status; faults that never answer (hang, reset) count under their kind. */
  byStatus: Record<string, number>;
  faultsInjected: number;
  /** Requests being handled or held (slow, hang) right now. */
  inFlight: number;
  created: number;
  updated: number;
  /** POSTs answered from the idempotency store. */
  idempotentReplays: number;
}

export interface AssignmentsUpstream {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Switches a fault on (replacing any other) or off (`undefined`). */
  setFault(fault: Fault | undefined): void;
  readonly fault: Fault | undefined;
  stats(): UpstreamStats;
  /** Zeroes the counters. */
  resetStats(): void;
  /** Restores the seed data, clears faults, counters and idempotency keys. */
  reset(): void;
  /** Resolves once the API has seen at least `n` requests in total (no polling, no sleeps). */
  waitForRequests(n: number): Promise<void>;
  /** Current data, for assertions. */
  assignments(): Assignment[];
  /** Sets (or clears) where changes made behind the gateway's back are announced. */
  setWebhook(target: WebhookTarget | undefined): void;
  /**
   * Changes an assignment "behind the gateway's back" (not through the API the gateway calls), then
   * sends the signed `assignment.updated` webhook (`data.id`, `data.userId`) and waits for its answer.
   * `webhookStatus` is the receiver's status, 0 if unreachable, undefined with no target set.
   * Also `PATCH <controlPath>/assignments/{id}`.
   */
  changeBehindTheBack(
    id: string,
    fields: Record<string, unknown>,
  ): Promise<{ assignment: Assignment; webhookStatus: number | undefined }>;
  /** Closes the server, drops held requests and connections, clears timers. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const UPDATABLE = ['title', 'status', 'dueDate'] as const;
const CREATABLE = ['userId', 'title', 'status', 'dueDate'] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts the demo "assignments" REST service on node:http: list (page/page_size, total), get, create
 * (Idempotency-Key honoured), update, and the same per user under `/users/{userId}/assignments`; plus a
 * control API and `setFault` to make it fail, rate-limit, hang, slow down or reset connections.
 */
export async function startAssignmentsUpstream(
  options: AssignmentsUpstreamOptions = {},
): Promise<AssignmentsUpstream> {
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? noopLogger;
  const controlPath = options.controlPath ?? '/_control';
  const seed = options.seed ?? seedAssignments();
  const faults = new FaultSwitch();
  let data = new Map<string, Assignment>();
  let nextId = 1;
  const idempotency = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  const timers = new Set<TimerHandle>();
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const waiters: { n: number; resolve: () => void }[] = [];
  let stats = emptyStats();
  let closed = false;
  let webhook = options.webhook;

  const load = () => {
    data = new Map(seed.map((a) => [a.id, { ...a }]));
    nextId = 1 + Math.max(0, ...seed.map((a) => Number(a.id.replace(/\D/g, '')) || 0));
  };
  load();

  const now = () => new Date(clock.now()).toISOString();

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    if (res.destroyed) return;
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  };
  const sendProblem = (res: ServerResponse, p: HttpProblem, headers: Record<string, string> = {}) =>
    send(res, p.status, { error: { code: p.code, message: p.message } }, headers);

  const countRequest = (route: string) => {
    stats.requests++;
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (stats.requests >= w.n) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === controlPath || url.pathname.startsWith(`${controlPath}/`)) {
      handleControl(req, res, url.pathname.slice(controlPath.length)).catch((err) =>
        sendProblem(res, toProblem(err)),
      );
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const route = routeOf(method, url.pathname);
    countRequest(route.name);
    stats.inFlight++;
    res.once('close', () => {
      stats.inFlight--;
      held.delete(res);
    });
    const fault = faults.take(method, url.pathname);
    if (fault) {
      stats.faultsInjected++;
      log.debug({ fault: fault.kind, route: route.name }, 'demo upstream: injecting fault');
      if (fault.kind === 'error') {
        const status = fault.status ?? 503;
        sendProblem(res, new HttpProblem(status, 'injected_fault', `injected ${status} for ${route.name}`));
        return;
      }
      if (fault.kind === 'rate-limit') {
        const seconds = fault.retryAfterSeconds ?? 1;
        sendProblem(res, new HttpProblem(429, 'rate_limited', 'too many requests'), {
          'retry-after': String(seconds),
        });
        return;
      }
      if (fault.kind === 'hang') {
        stats.byStatus.hang = (stats.byStatus.hang ?? 0) + 1;
        held.add(res);
        req.resume();
        return;
      }
      if (fault.kind === 'reset') {
        stats.byStatus.reset = (stats.byStatus.reset ?? 0) + 1;
        const socket = req.socket as Socket & { resetAndDestroy?: () => void };
        if (socket.resetAndDestroy) socket.resetAndDestroy();
        else socket.destroy();
        return;
      }
      // slow: answer normally, later.
      held.add(res);
      const timer = clock.setTimeout(() => {
        timers.delete(timer);
        held.delete(res);
        if (!res.destroyed)
          handleApi(req, res, method, url, route).catch((err) => sendProblem(res, toProblem(err)));
      }, fault.delayMs);
      timers.add(timer);
      return;
    }
    handleApi(req, res, method, url, route).catch((err) => sendProblem(res, toProblem(err)));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    url: URL,
    route: Route,
  ): Promise<void> {
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      req.resume();
      throw new HttpProblem(401, 'unauthorized', 'missing or wrong bearer token');
    }
    const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
    if (!hasBody) req.resume();
    const body = hasBody ? await readJson(req) : undefined;
    switch (route.name) {
      case 'GET /health':
        return send(res, 200, { ok: true });
      case 'GET /assignments':
        return send(res, 200, list(url, undefined));
      case 'GET /users/{userId}/assignments':
        return send(res, 200, list(url, route.params.userId));
      case 'POST /assignments':
      case 'POST /users/{userId}/assignments':
        return create(req, res, body, route.params.userId);
      case 'GET /assignments/{id}':
        return send(res, 200, find(route.params.id!));
      case 'PATCH /assignments/{id}':
      case 'PUT /assignments/{id}':
        return send(res, 200, update(route.params.id!, body));
      case 'DELETE /assignments/{id}':
        find(route.params.id!);
        data.delete(route.params.id!);
        return send(res, 204, undefined);
      default:
        throw route.name.startsWith('? ')
          ? new HttpProblem(404, 'not_found', `no route for ${method} ${url.pathname}`)
          : new HttpProblem(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}`);
    }
  }

  function list(url: URL, userId: string | undefined) {
    const page = intParam(url, 'page', 1, 1, 1_000_000);
    const pageSize = intParam(url, 'page_size', 10, 1, 100);
    const status = url.searchParams.get('status');
    if (status !== null && !ASSIGNMENT_STATUSES.includes(status as AssignmentStatus))
      throw new HttpProblem(400, 'invalid_query', `status must be one of ${ASSIGNMENT_STATUSES.join(', ')}`);
    const filterUser = userId ?? url.searchParams.get('userId') ?? undefined;
    const all = [...data.values()]
      .filter(
        (a) =>
          (filterUser === undefined || a.userId === filterUser) && (status === null || a.status === status),
      )
      .sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)) || a.id.localeCompare(b.id));
    const items = all.slice((page - 1) * pageSize, page * pageSize);
    return {
      items,
      page,
      page_size: pageSize,
      total: all.length,
      total_pages: Math.ceil(all.length / pageSize),
    };
  }

  function find(id: string): Assignment {
    const found = data.get(id);
    if (!found) throw new HttpProblem(404, 'not_found', `no assignment with id ${id}`);
    return found;
  }

  function create(req: IncomingMessage, res: ServerResponse, body: unknown, pathUserId: string | undefined) {
    const key = headerValue(req, 'idempotency-key');
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([pathUserId, body]))
      .digest('hex');
    if (key !== undefined) {
      const previous = idempotency.get(key);
      if (previous) {
        if (previous.fingerprint !== fingerprint)
          throw new HttpProblem(
            422,
            'idempotency_key_reused',
            'this Idempotency-Key was used with a different request',
          );
        stats.idempotentReplays++;
        return send(res, previous.status, previous.body, { 'idempotent-replayed': 'true' });
      }
    }
    const input = objectBody(body, pathUserId ? CREATABLE.filter((k) => k !== 'userId') : CREATABLE);
    const userId = pathUserId ?? input.userId;
    if (typeof userId !== 'string' || userId === '')
      throw new HttpProblem(400, 'invalid_body', 'userId is required');
    if (typeof input.title !== 'string' || input.title.trim() === '')
      throw new HttpProblem(400, 'invalid_body', 'title is required (a non-empty string)');
    checkFields(input);
    const stamp = now();
    const created: Assignment = {
      id: `a${nextId++}`,
      userId,
      title: input.title,
      status: (input.status as AssignmentStatus | undefined) ?? 'todo',
      dueDate: (input.dueDate as string | undefined) ?? stamp.slice(0, 10),
      createdAt: stamp,
      updatedAt: stamp,
      version: 1,
    };
    data.set(created.id, created);
    stats.created++;
    if (key !== undefined) idempotency.set(key, { fingerprint, status: 201, body: created });
    return send(res, 201, created, { location: `/assignments/${created.id}` });
  }

  function update(id: string, body: unknown): Assignment {
    const current = find(id);
    const input = objectBody(body, UPDATABLE);
    checkFields(input);
    if (input.title !== undefined && (typeof input.title !== 'string' || input.title.trim() === ''))
      throw new HttpProblem(400, 'invalid_body', 'title must be a non-empty string');
    const next: Assignment = {
      ...current,
      ...(input as Partial<Assignment>),
      updatedAt: now(),
      version: current.version + 1,
    };
    data.set(id, next);
    stats.updated++;
    return next;
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, sub: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'GET' && sub === '/stats') return send(res, 200, snapshot());
    if (method === 'POST' && sub === '/fault') {
      const fault = await readJson(req);
      const problem = faultProblem(fault);
      if (problem) throw new HttpProblem(400, 'invalid_fault', problem);
      faults.set(fault as Fault);
      return send(res, 204, undefined);
    }
    if (method === 'DELETE' && sub === '/fault') {
      req.resume();
      faults.set(undefined);
      return send(res, 204, undefined);
    }
    const changed = /^\/assignments\/([^/]+)$/.exec(sub);
    if (method === 'PATCH' && changed) {
      const body = await readJson(req);
      return send(res, 200, await changeBehindTheBack(decodeURIComponent(changed[1]!), body));
    }
    if (method === 'POST' && sub === '/reset') {
      req.resume();
      resetAll();
      return send(res, 204, undefined);
    }
    req.resume();
    throw new HttpProblem(
      404,
      'not_found',
      'control API: GET /stats, POST /fault, DELETE /fault, POST /reset, PATCH /assignments/{id}',
    );
  }

  async function changeBehindTheBack(id: string, fields: unknown) {
    const assignment = update(id, fields);
    if (!webhook) return { assignment, webhookStatus: undefined };
    const webhookStatus = await sendWebhook(
      webhook,
      'assignment.updated',
      { id: assignment.id, userId: assignment.userId },
      clock.now(),
    );
    log.info({ id, webhookStatus }, 'assignment changed behind the gateway; webhook sent');
    return { assignment, webhookStatus };
  }

  const snapshot = (): UpstreamStats => ({
    ...stats,
    byRoute: { ...stats.byRoute },
    byStatus: { ...stats.byStatus },
  });

  const resetAll = () => {
    load();
    faults.set(undefined);
    idempotency.clear();
    const inFlight = stats.inFlight;
    stats = emptyStats();
    stats.inFlight = inFlight;
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info({ url }, 'demo assignments upstream listening');

  return {
    url,
    port: address.port,
    setFault(fault) {
      if (fault !== undefined) {
        const problem = faultProblem(fault);
        if (problem) throw new ConfigError(`setFault: ${problem}`);
      }
      faults.set(fault);
    },
    get fault() {
      return faults.current;
    },
    stats: snapshot,
    resetStats() {
      const inFlight = stats.inFlight;
      stats = emptyStats();
      stats.inFlight = inFlight;
    },
    reset: resetAll,
    waitForRequests(n) {
      if (stats.requests >= n) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ n, resolve }));
    },
    assignments: () => [...data.values()].map((a) => ({ ...a })),
    setWebhook(target) {
      webhook = target;
    },
    changeBehindTheBack: (id, fields) => changeBehindTheBack(id, fields),
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clock.clearTimeout(t);
      timers.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of held) res.destroy();
      held.clear();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await done;
    },
  };
}

function emptyStats(): UpstreamStats {
  return {
    requests: 0,
    byRoute: {},
    byStatus: {},
    faultsInjected: 0,
    inFlight: 0,
    created: 0,
    updated: 0,
    idempotentReplays: 0,
  };
}

interface Route {
  /** `GET /assignments/{id}`; unknown paths are `? <path>`; known paths with another method keep their template. */
  name: string;
  params: { id?: string; userId?: string };
}

function routeOf(method: string, path: string): Route {
  const parts = path.split('/').filter(Boolean).map(decodeSegment);
  if (parts.length === 1 && parts[0] === 'health') return { name: `${method} /health`, params: {} };
  if (parts.length === 1 && parts[0] === 'assignments') return { name: `${method} /assignments`, params: {} };
  if (parts.length === 2 && parts[0] === 'assignments')
    return { name: `${method} /assignments/{id}`, params: { id: parts[1]! } };
  if (parts.length === 3 && parts[0] === 'users' && parts[2] === 'assignments')
    return { name: `${method} /users/{userId}/assignments`, params: { userId: parts[1]! } };
  return { name: `? ${path}`, params: {} };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw new HttpProblem(400, 'invalid_query', `${name} must be an integer from ${min} to ${max}`);
  return n;
}

function objectBody(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpProblem(400, 'invalid_body', 'expected a JSON object');
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new HttpProblem(
      400,
      'invalid_body',
      `unknown field(s): ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`,
    );
  return body as Record<string, unknown>;
}

function checkFields(input: Record<string, unknown>): void {
  if (input.status !== undefined && !ASSIGNMENT_STATUSES.includes(input.status as AssignmentStatus))
    throw new HttpProblem(400, 'invalid_body', `status must be one of ${ASSIGNMENT_STATUSES.join(', ')}`);
  if (input.dueDate !== undefined && !(typeof input.dueDate === 'string' && DATE.test(input.dueDate)))
    throw new HttpProblem(400, 'invalid_body', 'dueDate must be a date like 2026-03-01');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpProblem(413, 'body_too_large', `bodies are limited to ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'invalid_json', 'the body is not valid JSON');
  }
}

function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  return new HttpProblem(500, 'internal', 'internal error in the demo upstream');
}
