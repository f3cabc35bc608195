import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  type Clock,
  ConfigError,
  type Logger,
  noopLogger,
  systemClock,
  type TimerHandle,
} from '../core/index.js';
import { type Assignment, seedAssignments } from './assignments-data.js';
import { handlerOf, type Route, routeOf } from './assignments-routes.js';
import { AssignmentsStore } from './assignments-store.js';
import { type Answer, HttpProblem, problemAnswer, readJson, writeAnswer } from './demo-http.js';
import { type Fault, FaultSwitch, faultProblem } from './faults.js';
import { StatsRecorder, type UpstreamStats } from './upstream-stats.js';
import { sendWebhook, type WebhookTarget } from './webhook-sender.js';

export type { UpstreamStats } from './upstream-stats.js';

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

/** Everything one running upstream holds. */
interface UpstreamState {
  readonly options: AssignmentsUpstreamOptions;
  readonly clock: Clock;
  readonly log: Logger;
  readonly controlPath: string;
  readonly faults: FaultSwitch;
  readonly stats: StatsRecorder;
  readonly store: AssignmentsStore;
  /** Timers of slow answers, and responses held (slow, hang): dropped by `close()`. */
  readonly timers: Set<TimerHandle>;
  readonly held: Set<ServerResponse>;
  readonly sockets: Set<Socket>;
  webhook: WebhookTarget | undefined;
}

/**
 * Starts the demo "assignments" REST service on node:http: list (page/page_size, total), get, create
 * (Idempotency-Key honoured), update, and the same per user under `/users/{userId}/assignments`; plus a
 * control API and `setFault` to make it fail, rate-limit, hang, slow down or reset connections.
 */
export async function startAssignmentsUpstream(
  options: AssignmentsUpstreamOptions = {},
): Promise<AssignmentsUpstream> {
  const state = upstreamState(options);
  const server = createServer((req, res) => onRequest(state, req, res));
  server.on('connection', (socket) => {
    state.sockets.add(socket);
    socket.once('close', () => state.sockets.delete(socket));
  });
  const url = await listen(server, options);
  state.log.info({ url }, 'demo assignments upstream listening');
  return upstreamFace(state, server, url);
}

function upstreamState(options: AssignmentsUpstreamOptions): UpstreamState {
  const clock = options.clock ?? systemClock;
  const stats = new StatsRecorder();
  return {
    options,
    clock,
    log: options.logger ?? noopLogger,
    controlPath: options.controlPath ?? '/_control',
    faults: new FaultSwitch(),
    stats,
    store: new AssignmentsStore(options.seed ?? seedAssignments(), clock, stats),
    timers: new Set(),
    held: new Set(),
    sockets: new Set(),
    webhook: options.webhook,
  };
}

/** Control requests aside, each request is counted, then faulted or answered. */
function onRequest(state: UpstreamState, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const { controlPath, stats } = state;
  if (url.pathname === controlPath || url.pathname.startsWith(`${controlPath}/`)) {
    handleControl(state, req, url.pathname.slice(controlPath.length)).then(
      (a) => writeAnswer(res, a),
      (err) => writeAnswer(res, problemAnswer(err)),
    );
    return;
  }
  const method = (req.method ?? 'GET').toUpperCase();
  const route = routeOf(method, url.pathname);
  stats.request(route.name);
  stats.current.inFlight++;
  res.once('close', () => {
    stats.current.inFlight--;
    state.held.delete(res);
  });
  const answer = () => answerApi(state, req, res, method, url, route);
  const fault = state.faults.take(method, url.pathname);
  if (fault) injectFault(state, fault, req, res, route, answer);
  else answer();
}

/** Answers an API request (counted by status), a thrown problem as its JSON error. */
function answerApi(
  state: UpstreamState,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  url: URL,
  route: Route,
): void {
  runApi(state, req, method, url, route).then(
    (a) => send(state, res, a),
    (err) => send(state, res, problemAnswer(err)),
  );
}

async function runApi(
  state: UpstreamState,
  req: IncomingMessage,
  method: string,
  url: URL,
  route: Route,
): Promise<Answer> {
  const token = state.options.token;
  if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
    req.resume();
    throw new HttpProblem(401, 'unauthorized', 'missing or wrong bearer token');
  }
  const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  if (!hasBody) req.resume();
  const body = hasBody ? await readJson(req) : undefined;
  const handler = handlerOf(route, method, url.pathname);
  return handler({ req, url, params: route.params, body, store: state.store });
}

function send(state: UpstreamState, res: ServerResponse, a: Answer): void {
  state.stats.outcome(a.status);
  writeAnswer(res, a);
}

/** Plays a fault instead of (or, for `slow`, before) the answer. */
function injectFault(
  state: UpstreamState,
  fault: Fault,
  req: IncomingMessage,
  res: ServerResponse,
  route: Route,
  answer: () => void,
): void {
  const { stats } = state;
  stats.current.faultsInjected++;
  state.log.debug({ fault: fault.kind, route: route.name }, 'demo upstream: injecting fault');
  switch (fault.kind) {
    case 'error': {
      const status = fault.status ?? 503;
      const p = new HttpProblem(status, 'injected_fault', `injected ${status} for ${route.name}`);
      send(state, res, problemAnswer(p));
      return;
    }
    case 'rate-limit': {
      const retryAfter = String(fault.retryAfterSeconds ?? 1);
      const p = new HttpProblem(429, 'rate_limited', 'too many requests');
      send(state, res, problemAnswer(p, { 'retry-after': retryAfter }));
      return;
    }
    case 'hang':
      stats.outcome('hang');
      state.held.add(res);
      req.resume();
      return;
    case 'reset': {
      stats.outcome('reset');
      const socket = req.socket as Socket & { resetAndDestroy?: () => void };
      if (socket.resetAndDestroy) socket.resetAndDestroy();
      else socket.destroy();
      return;
    }
    default: {
      // slow: answer normally, later.
      state.held.add(res);
      const timer = state.clock.setTimeout(() => {
        state.timers.delete(timer);
        state.held.delete(res);
        if (!res.destroyed) answer();
      }, fault.delayMs);
      state.timers.add(timer);
    }
  }
}

const CONTROL_HELP =
  'control API: GET /stats, POST /fault, DELETE /fault, POST /reset, PATCH /assignments/{id}';

/** The control API (`<controlPath>/…`): stats, faults, reset, changes behind the gateway's back. */
async function handleControl(state: UpstreamState, req: IncomingMessage, sub: string): Promise<Answer> {
  const method = (req.method ?? 'GET').toUpperCase();
  const done: Answer = { status: 204 };
  if (method === 'GET' && sub === '/stats') return { status: 200, body: state.stats.snapshot() };
  if (method === 'POST' && sub === '/fault') {
    const fault = await readJson(req);
    const problem = faultProblem(fault);
    if (problem) throw new HttpProblem(400, 'invalid_fault', problem);
    state.faults.set(fault as Fault);
    return done;
  }
  const changed = /^\/assignments\/([^/]+)$/.exec(sub);
  if (method === 'PATCH' && changed) {
    const body = await readJson(req);
    return { status: 200, body: await changeBehindTheBack(state, decodeURIComponent(changed[1]!), body) };
  }
  req.resume();
  if (method === 'DELETE' && sub === '/fault') {
    state.faults.set(undefined);
    return done;
  }
  if (method === 'POST' && sub === '/reset') {
    resetAll(state);
    return done;
  }
  throw new HttpProblem(404, 'not_found', CONTROL_HELP);
}

async function changeBehindTheBack(state: UpstreamState, id: string, fields: unknown) {
  const assignment = state.store.update(id, fields);
  if (!state.webhook) return { assignment, webhookStatus: undefined };
  const webhookStatus = await sendWebhook(
    state.webhook,
    'assignment.updated',
    { id: assignment.id, userId: assignment.userId },
    state.clock.now(),
  );
  state.log.info({ id, webhookStatus }, 'assignment changed behind the gateway; webhook sent');
  return { assignment, webhookStatus };
}

function resetAll(state: UpstreamState): void {
  state.store.load();
  state.faults.set(undefined);
  state.stats.reset();
}

async function listen(server: Server, options: AssignmentsUpstreamOptions): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

function upstreamFace(state: UpstreamState, server: Server, url: string): AssignmentsUpstream {
  let closed = false;
  return {
    url,
    port: (server.address() as AddressInfo).port,
    setFault(fault) {
      if (fault !== undefined) {
        const problem = faultProblem(fault);
        if (problem) throw new ConfigError(`setFault: ${problem}`);
      }
      state.faults.set(fault);
    },
    get fault() {
      return state.faults.current;
    },
    stats: () => state.stats.snapshot(),
    resetStats: () => state.stats.reset(),
    reset: () => resetAll(state),
    waitForRequests: (n) => state.stats.waitForRequests(n),
    assignments: () => state.store.all(),
    setWebhook(target) {
      state.webhook = target;
    },
    changeBehindTheBack: (id, fields) => changeBehindTheBack(state, id, fields),
    async close() {
      if (closed) return;
      closed = true;
      for (const t of state.timers) state.clock.clearTimeout(t);
      state.timers.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of state.held) res.destroy();
      state.held.clear();
      for (const socket of state.sockets) socket.destroy();
      server.closeAllConnections();
      await done;
    },
  };
}
