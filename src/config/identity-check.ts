import { isObject, principalHoleProblem } from '../core/index.js';
import type { ConfigPath } from './interpolate.js';

export interface IdentityProblem {
  path: ConfigPath;
  message: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function parsed(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * Checks of the identity sections that span keys: the resource identifier names this endpoint, and
 * the issuer is reached over HTTPS (plain http only on loopback, for development).
 */
export function crossCheckIdentity(data: Record<string, unknown>): IdentityProblem[] {
  const problems: IdentityProblem[] = [];
  const audit = isObject(data.audit) ? data.audit : undefined;
  if (audit && audit.destination === 'file' && typeof audit.path !== 'string')
    problems.push({ path: ['audit', 'path'], message: 'destination: file needs a path to append to' });
  const limits = Array.isArray(data.limits) ? data.limits : [];
  limits.forEach((l, i) => {
    if (isObject(l) && l.perMinute === undefined && l.concurrent === undefined)
      problems.push({ path: ['limits', i], message: 'give perMinute, concurrent or both' });
    if (isObject(l) && typeof l.key === 'string')
      for (const m of l.key.matchAll(/\{([^{}]+)\}/g)) {
        const hole = m[1]!.trim();
        if (hole === 'tool') continue;
        const problem = hole.startsWith('auth.')
          ? principalHoleProblem(hole)
          : `{${hole}}: a limit key reads the caller ({auth.sub}, {auth.claims.<name>}) or {tool}`;
        if (problem) problems.push({ path: ['limits', i, 'key'], message: problem });
      }
  });
  const server = isObject(data.server) ? data.server : {};
  const http = isObject(server.http) ? server.http : {};
  const auth = isObject(http.auth) ? http.auth : undefined;
  if (!auth) return problems;
  const at = (...p: string[]): ConfigPath => ['server', 'http', 'auth', ...p];
  const resource = parsed(auth.resource);
  const endpoint = typeof http.path === 'string' ? http.path : '/mcp';
  if (resource) {
    if (resource.hash || resource.search)
      problems.push({ path: at('resource'), message: 'a resource identifier has no query or fragment' });
    if (resource.pathname.replace(/\/$/, '') !== endpoint.replace(/\/$/, ''))
      problems.push({
        path: at('resource'),
        message: `the resource's path ${resource.pathname} is not the MCP endpoint ${endpoint} (server.http.path): clients compare the two and refuse a mismatch`,
      });
  }
  for (const key of ['issuer', 'jwksUri'] as const) {
    const url = parsed(auth[key]);
    if (url && url.protocol === 'http:' && !LOOPBACK.has(url.hostname))
      problems.push({
        path: at(key),
        message: `${url.origin} is plain http: the gateway would trust keys anyone on the path can swap; use https (http is accepted on loopback only)`,
      });
  }
  return problems;
}
