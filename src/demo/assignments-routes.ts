import type { IncomingMessage } from 'node:http';
import type { AssignmentsStore } from './assignments-store.js';
import { type Answer, HttpProblem, headerValue } from './demo-http.js';

/** A request matched to a route: `GET /assignments/{id}`, or `? <path>` when no path matches. */
export interface Route {
  name: string;
  params: { id?: string; userId?: string };
}

/** What a route handler gets. */
export interface RouteRequest {
  readonly req: IncomingMessage;
  readonly url: URL;
  readonly params: Route['params'];
  readonly body: unknown;
  readonly store: AssignmentsStore;
}

type RouteHandler = (r: RouteRequest) => Answer;

const ok = (body: unknown): Answer => ({ status: 200, body });
const create: RouteHandler = (r) =>
  r.store.create(headerValue(r.req, 'idempotency-key'), r.body, r.params.userId);
const update: RouteHandler = (r) => ok(r.store.update(r.params.id!, r.body));

/** The API, by route name. */
export const API_ROUTES: Readonly<Record<string, RouteHandler>> = {
  'GET /health': () => ok({ ok: true }),
  'GET /assignments': (r) => ok(r.store.list(r.url, undefined)),
  'GET /users/{userId}/assignments': (r) => ok(r.store.list(r.url, r.params.userId)),
  'POST /assignments': create,
  'POST /users/{userId}/assignments': create,
  'GET /assignments/{id}': (r) => ok(r.store.find(r.params.id!)),
  'PATCH /assignments/{id}': update,
  'PUT /assignments/{id}': update,
  'DELETE /assignments/{id}': (r) => {
    r.store.remove(r.params.id!);
    return { status: 204 };
  },
};

/** The handler of a route; an unknown path is a 404, a known path with another method a 405. */
export function handlerOf(route: Route, method: string, path: string): RouteHandler {
  const handler = API_ROUTES[route.name];
  if (handler) return handler;
  throw route.name.startsWith('? ')
    ? new HttpProblem(404, 'not_found', `no route for ${method} ${path}`)
    : new HttpProblem(405, 'method_not_allowed', `${method} is not allowed on ${path}`);
}

/** The route of a path; known paths with another method keep their template (for the stats). */
export function routeOf(method: string, path: string): Route {
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
