import type { IncomingMessage } from 'node:http';
import type { AuthInfo, ServerContext } from '@modelcontextprotocol/server';
import type { Principal } from '../../core/index.js';

/** Where a request's principal rides in the SDK's `AuthInfo.extra`. */
const PRINCIPAL_KEY = 'conduit/principal';

// Static-token and anonymous principals are few and fixed: one AuthInfo each, not one per request.
const shared = new WeakMap<Principal, AuthInfo>();

/**
 * The SDK `AuthInfo` carrying `principal` to the request handlers (`ctx.http.authInfo`). `token` is
 * the inbound access token when the principal came from one (token exchange and forwarding need it);
 * it never goes into the principal, logs or errors.
 */
export function authInfoFor(principal: Principal, token?: string): AuthInfo {
  if (token === undefined) {
    let info = shared.get(principal);
    if (!info) {
      info = buildAuthInfo(principal, '');
      shared.set(principal, info);
    }
    return info;
  }
  return buildAuthInfo(principal, token);
}

function buildAuthInfo(principal: Principal, token: string): AuthInfo {
  const info: AuthInfo = {
    token,
    clientId: principal.clientId ?? '',
    scopes: [...principal.scopes],
    extra: { [PRINCIPAL_KEY]: principal },
  };
  if (principal.expiresAt !== undefined) info.expiresAt = Math.floor(principal.expiresAt / 1000);
  return info;
}

/**
 * Hands the principal to the SDK's Node adapter, which passes `req.auth` on as the handlers'
 * `ctx.http.authInfo` (per request, sessions included).
 */
export function attachPrincipal(req: IncomingMessage, principal: Principal, token?: string): void {
  (req as IncomingMessage & { auth?: AuthInfo }).auth = authInfoFor(principal, token);
}

/** The part of a request's context that says who is calling (every `ServerContext` is one). */
export type CallerContext = Pick<ServerContext, 'http'>;

/** The caller context of `authInfo` outside a request handler (a listen stream hearing a change). */
export function callerContext(authInfo: AuthInfo): CallerContext {
  return { http: { authInfo } };
}

/** The `AuthInfo` the transport attached to this request (`attachPrincipal`), if any. */
export function attachedAuthInfo(req: IncomingMessage): AuthInfo | undefined {
  return (req as IncomingMessage & { auth?: AuthInfo }).auth;
}

/**
 * Who made this call: the principal the HTTP transport verified, or `fallback` when the call came
 * without one (stdio, in-process): the operator's principal.
 */
export function principalOf(ctx: CallerContext | undefined, fallback: Principal): Principal {
  const p = ctx?.http?.authInfo?.extra?.[PRINCIPAL_KEY];
  return p !== undefined ? (p as Principal) : fallback;
}

/** The inbound access token of this call, when the caller sent one the gateway verified. */
export function callerToken(ctx: ServerContext | undefined): string | undefined {
  const info = ctx?.http?.authInfo;
  return info && info.extra?.[PRINCIPAL_KEY] !== undefined && info.token !== '' ? info.token : undefined;
}
