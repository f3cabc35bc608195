import { ConduitError } from './errors.js';

/**
 * How a principal was established: `anonymous` (HTTP without client auth), `operator` (stdio and
 * in-process calls: whoever started the gateway, unrestricted), `static` (fixed by config: one of
 * `server.http.authTokens`, or `server.operator`), `oauth` (a verified access token).
 */
export type PrincipalKind = 'anonymous' | 'operator' | 'static' | 'oauth';

/**
 * Who is calling, as far as the gateway could verify. Never holds the credential itself, so it is safe
 * to keep, compare and log (`id`, `sub`, `clientId`). Compared by `id` only: an opaque, stable string
 * (`static:<sub>` for a static token with a subject, `bearer:<n>` for the n-th bare one,
 * `oauth:<issuer>#<sub>` for a token's subject, with `#` and `%` inside a name percent-encoded,
 * `anonymous`, `operator`).
 *
 * Templates read it as `{auth.sub}`, `{auth.clientId}`, `{auth.iss}`, `{auth.id}`, `{auth.scopes}` and
 * `{auth.claims.<name>}` (only the claims the resource server was configured to keep).
 *
 * @example
 * ```ts
 * import { principalValue, type Principal } from 'conduit-mcp';
 * const p: Principal = { id: 'oauth:https://idp#u1', kind: 'oauth', sub: 'u1', scopes: ['read'], claims: { tenant: 'acme' } };
 * principalValue(p, ['claims', 'tenant']); // 'acme'
 * ```
 */
export interface Principal {
  readonly id: string;
  readonly kind: PrincipalKind;
  /** The token's subject (`sub`). */
  readonly sub?: string | undefined;
  /** The OAuth client the token was issued to (`client_id`, `azp`). */
  readonly clientId?: string | undefined;
  /** The token's issuer (`iss`). */
  readonly iss?: string | undefined;
  readonly scopes: readonly string[];
  /** Selected claims of the token (`server.http.auth.claims`), or those given in config. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** When the credential stops being valid, epoch ms. */
  readonly expiresAt?: number | undefined;
  /**
   * An anonymous HTTP caller's client address group (an IPv4 address, an IPv6 `/64`), which
   * per-caller limits count it by: every anonymous caller has the same `id`, so a cap or quota of
   * that id would be one for all of them. Not part of `id`: anonymous callers still share sessions'
   * ownership and cache entries as one principal.
   */
  readonly address?: string | undefined;
}

const NO_SCOPES: readonly string[] = Object.freeze([]);
const NO_CLAIMS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Requests on an HTTP server without client auth: all of them are the same principal. */
export const ANONYMOUS: Principal = Object.freeze({
  id: 'anonymous',
  kind: 'anonymous',
  scopes: NO_SCOPES,
  claims: NO_CLAIMS,
});

/** The anonymous principal of a request from the client address group `address` (see {@link Principal.address}). */
export function anonymousAt(address: string): Principal {
  return Object.freeze({ ...ANONYMOUS, address });
}

/**
 * Whom a per-caller limit (a session cap, a quota bucket) counts `p` as: its id, or for an anonymous
 * caller, that of its client address group.
 */
export function limitedCaller(p: Principal): string {
  return p.kind === 'anonymous' ? `anonymous@${p.address ?? 'unknown'}` : p.id;
}

/** Calls without a transport identity (stdio, in-process): the operator who started the gateway. */
export const OPERATOR: Principal = Object.freeze({
  id: 'operator',
  kind: 'operator',
  scopes: NO_SCOPES,
  claims: NO_CLAIMS,
});

/**
 * The principal of the `index`-th configured static bearer token. One with a `sub` is
 * `static:<sub>` (`#` and `%` percent-encoded), wherever it stands in the list: removing or
 * reordering entries must not hand one caller another's private cache entries, quotas or cursors. A
 * bare token has nothing else to be named by, so it is `bearer:<index>`.
 */
export function bearerPrincipal(
  index: number,
  fields: {
    sub?: string | undefined;
    clientId?: string | undefined;
    scopes?: readonly string[];
    claims?: Record<string, unknown>;
  } = {},
): Principal {
  return Object.freeze({
    id: fields.sub !== undefined ? `static:${principalIdPart(fields.sub)}` : `bearer:${index}`,
    kind: 'static',
    sub: fields.sub,
    clientId: fields.clientId,
    scopes: Object.freeze([...(fields.scopes ?? [])]),
    claims: Object.freeze({ ...(fields.claims ?? {}) }),
  });
}

/** `%` and `#` percent-encoded, so `#` is left only as an id's separator and stays unambiguous. */
export function principalIdPart(value: string): string {
  return value.includes('%') || value.includes('#')
    ? value.replaceAll('%', '%25').replaceAll('#', '%23')
    : value;
}

export function samePrincipal(a: Principal, b: Principal): boolean {
  return a.id === b.id;
}

/** The fields a template can read after `auth.`; `claims` takes one more name. */
export const PRINCIPAL_TEMPLATE_FIELDS = ['id', 'sub', 'clientId', 'iss', 'scopes', 'claims'] as const;

/** True for a template hole that reads the principal (`auth.sub`, `auth.claims.tenant`). */
export function isPrincipalHole(hole: string): boolean {
  return hole.startsWith('auth.');
}

/**
 * What is wrong with a principal hole (`auth.sub`, `auth.claims.tenant`), or undefined when it is
 * readable. For config checks: a misspelt field would otherwise render "missing" on every call.
 */
export function principalHoleProblem(hole: string): string | undefined {
  const path = hole.trim().split('.');
  const field = path[1];
  if (path[0] !== 'auth' || field === undefined || field === '')
    return `{${hole}} reads the caller's principal: use {auth.sub}, {auth.clientId}, {auth.iss}, {auth.id}, {auth.scopes} or {auth.claims.<name>}`;
  if (!(PRINCIPAL_TEMPLATE_FIELDS as readonly string[]).includes(field))
    return `{${hole}}: the principal has no field "${field}"; use one of ${PRINCIPAL_TEMPLATE_FIELDS.join(', ')} (claims as auth.claims.<name>)`;
  if (field === 'claims' && (path.length < 3 || path.slice(2).some((p) => p === '')))
    return `{${hole}}: name the claim, e.g. {auth.claims.tenant}`;
  if (field !== 'claims' && path.length > 2) return `{${hole}}: ${field} has no sub-fields`;
  return undefined;
}

/** The value at `path` (the hole without its `auth.` prefix, split at dots); undefined when absent. */
export function principalValue(principal: Principal, path: readonly string[]): unknown {
  switch (path[0]) {
    case 'id':
      return principal.id;
    case 'sub':
      return principal.sub;
    case 'clientId':
      return principal.clientId;
    case 'iss':
      return principal.iss;
    case 'scopes':
      return principal.scopes;
    case 'claims': {
      let value: unknown = principal.claims;
      for (let i = 1; i < path.length; i++) {
        if (value === null || typeof value !== 'object') return undefined;
        value = Object.hasOwn(value, path[i]!) ? (value as Record<string, unknown>)[path[i]!] : undefined;
      }
      return value;
    }
    default:
      return undefined;
  }
}

/**
 * Thrown when a call needs a value of the caller's principal (a `{auth.claims.tenant}` template) that
 * the principal does not carry: the request is not sent rather than sent with a hole in it.
 */
export class PrincipalValueMissingError extends ConduitError {
  declare readonly code: 'PRINCIPAL_VALUE_MISSING';
  /** The hole, e.g. `auth.claims.tenant`. */
  readonly hole: string;
  constructor(hole: string) {
    super(
      'PRINCIPAL_VALUE_MISSING',
      `This call needs {${hole}} of the caller's identity, which the caller's credential does not carry; authenticate with a token that has it (or ask the operator to map the claim in server.http.auth.claims).`,
    );
    this.hole = hole;
  }
}
