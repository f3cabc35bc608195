import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadinessCheck } from '../gateway/gateway-readiness.js';
import type { SideRoutes } from './side-routes.js';

/** Where the listener is in its life: readiness is true only while `serving`. */
export type ServingPhase = 'starting' | 'serving' | 'draining';

export interface HealthEndpointsOptions {
  /** Default `/healthz`. */
  livePath?: string;
  /** Default `/readyz`. */
  readyPath?: string;
  /** A Redis outage fails readiness (503) instead of reporting `degraded` (200). */
  requireRedis?: boolean;
}

const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
const LIVE_BODY = JSON.stringify({ status: 'ok' });
const PHASE_REASON: Record<ServingPhase, string | undefined> = {
  starting: 'start-up has not finished',
  serving: undefined,
  draining: 'shutting down: finishing the calls in flight',
};

/**
 * `/healthz` and `/readyz` for orchestrators' probes. Answered before any guard: probes carry no token
 * and name the pod by its IP in the Host header. The bodies hold component names and fixed states only.
 */
export class HealthEndpoints {
  private phase: ServingPhase = 'starting';
  private readonly livePath: string;
  private readonly readyPath: string;
  private readonly requireRedis: boolean;

  constructor(
    private readonly checks: () => readonly ReadinessCheck[],
    options: HealthEndpointsOptions = {},
  ) {
    this.livePath = options.livePath ?? '/healthz';
    this.readyPath = options.readyPath ?? '/readyz';
    this.requireRedis = options.requireRedis === true;
  }

  /** Start-up finished: readiness may turn true. */
  serving(): void {
    if (this.phase === 'starting') this.phase = 'serving';
  }

  /** Shutdown began: readiness is false from now on, so the orchestrator stops sending traffic. */
  draining(): void {
    this.phase = 'draining';
  }

  /** `inner` (or `next`) for every other path. */
  routes(inner?: SideRoutes): SideRoutes {
    return (req, res, next) => {
      const path = pathOf(req.url);
      if (path === this.livePath) return answer(req, res, 200, LIVE_BODY);
      if (path === this.readyPath) return this.answerReady(req, res);
      return inner ? inner(req, res, next) : next();
    };
  }

  /** The readiness document and its status: 200 `ready` or `degraded`, 503 `not_ready`. */
  readiness(): { status: number; body: Record<string, unknown> } {
    const checks: Record<string, unknown> = {};
    const failing: string[] = [];
    const degraded: string[] = [];
    const phaseReason = PHASE_REASON[this.phase];
    checks.startup = phaseReason
      ? { ok: false, state: this.phase, reason: phaseReason }
      : { ok: true, state: this.phase };
    if (phaseReason) failing.push('startup');
    for (const c of this.checks()) {
      checks[c.name] = c.reason
        ? { ok: c.ok, state: c.state, reason: c.reason }
        : { ok: c.ok, state: c.state };
      if (c.ok) continue;
      if (c.redis && !this.requireRedis) degraded.push(c.name);
      else failing.push(c.name);
    }
    if (failing.length > 0)
      return { status: 503, body: { status: 'not_ready', failing, ...degradedOf(degraded), checks } };
    return {
      status: 200,
      body: { status: degraded.length ? 'degraded' : 'ready', ...degradedOf(degraded), checks },
    };
  }

  private answerReady(req: IncomingMessage, res: ServerResponse): void {
    const { status, body } = this.readiness();
    answer(req, res, status, JSON.stringify(body));
  }
}

const degradedOf = (names: string[]) => (names.length ? { degraded: names } : {});

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}

/** GET gets the body; HEAD the same status and headers without it; other methods 405. */
function answer(req: IncomingMessage, res: ServerResponse, status: number, body: string): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    req.resume(); // a body sent anyway is read and dropped, so the connection stays usable
    const text = JSON.stringify({ status: 'method_not_allowed', allow: ['GET', 'HEAD'] });
    res.writeHead(405, { ...HEADERS, allow: 'GET, HEAD', 'content-length': Buffer.byteLength(text) });
    return void res.end(text);
  }
  res.writeHead(status, { ...HEADERS, 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
