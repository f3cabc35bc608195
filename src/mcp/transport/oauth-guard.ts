import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  bearerAuthChallengeResponse,
  buildOAuthProtectedResourceMetadata,
  getOAuthProtectedResourceMetadataUrl,
  OAuthError,
  OAuthErrorCode,
  type OAuthMetadata,
} from '@modelcontextprotocol/server';
import {
  AuthServerUnavailableError,
  createResourceServer,
  InvalidTokenError,
  type ResourceServer,
} from '../../auth/index.js';
import type { ResourceServerConfig } from '../../config/index.js';
import { type Clock, ConfigError, type Logger, type Principal } from '../../core/index.js';
import { PREFLIGHT_MAX_AGE_SECONDS } from './cors-policy.js';

/** The answer to a request the resource server refused: status, headers (the challenge) and body. */
export interface OAuthRefusal {
  ok: false;
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type OAuthVerdict = { ok: true; principal: Principal; token: string } | OAuthRefusal;

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** Heads of the metadata answers, built once: any page may read public metadata, so `*`. */
const METADATA_HEADERS = {
  'content-type': 'application/json',
  'cache-control': 'max-age=300',
  'access-control-allow-origin': '*',
};
const METADATA_NOT_ALLOWED = { allow: 'GET, HEAD, OPTIONS', 'access-control-allow-origin': '*' };
const METADATA_PREFLIGHT = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD',
  'access-control-allow-headers': 'mcp-protocol-version',
  'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
};

function quoted(value: string): string {
  return `"${value.replaceAll(/[\\"]/g, '\\$&').replaceAll(/[^\u0020-\u007E]/g, ' ')}"`;
}

/** `access_token` in the query string: RFC 6750's URI form, which the MCP spec forbids. */
function hasQueryToken(url: string): boolean {
  const q = url.indexOf('?');
  return q !== -1 && new URLSearchParams(url.slice(q + 1)).has('access_token');
}

/**
 * The MCP endpoint's OAuth 2.1 resource server on node:http: serves the RFC 9728 protected resource
 * metadata, turns a bearer token into the caller's principal, and answers the rest with the
 * challenges clients act on (`WWW-Authenticate: Bearer resource_metadata=…, scope=…`; 403
 * `insufficient_scope`; 503 while the authorization server cannot be asked about a new token).
 */
export class OAuthGuard {
  readonly server: ResourceServer;
  /** Where the metadata document is served (path-suffixed form, RFC 9728 §3.1). */
  readonly metadataUrl: string;
  private readonly metadataPaths: ReadonlySet<string>;
  private readonly document: string;
  private readonly required: readonly string[];

  constructor(config: ResourceServerConfig, deps: { clock: Clock; logger: Logger; fetch?: typeof fetch }) {
    this.server = createResourceServer({
      issuer: config.issuer,
      resource: config.resource,
      audience: config.audience,
      ...(config.jwksUri ? { jwksUri: config.jwksUri } : {}),
      ...(config.introspection ? { introspection: config.introspection } : {}),
      algorithms: config.algorithms,
      ...(config.tokenType ? { tokenType: config.tokenType } : {}),
      clockToleranceMs: config.clockTolerance,
      claims: config.claims,
      cache: {
        maxEntries: config.cache.maxEntries,
        maxTtlMs: config.cache.maxTtl,
        refusedTtlMs: config.cache.refusedTtl,
      },
      timeoutMs: config.timeout,
      clock: deps.clock,
      logger: deps.logger,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
    const resource = new URL(config.resource);
    this.metadataUrl = getOAuthProtectedResourceMetadataUrl(resource);
    this.metadataPaths = new Set([new URL(this.metadataUrl).pathname, WELL_KNOWN]);
    let metadata: Record<string, unknown>;
    try {
      metadata = {
        ...buildOAuthProtectedResourceMetadata({
          oauthMetadata: { issuer: config.issuer } as OAuthMetadata,
          resourceServerUrl: resource,
          ...(config.scopesSupported.length ? { scopesSupported: config.scopesSupported } : {}),
          ...(config.resourceName ? { resourceName: config.resourceName } : {}),
        }),
        bearer_methods_supported: ['header'],
      };
    } catch (err) {
      throw new ConfigError(`server.http.auth.issuer: ${(err as Error).message}`, { cause: err });
    }
    this.document = JSON.stringify(metadata);
    this.required = config.requiredScopes;
  }

  /** True for the metadata paths (served to anyone: clients read them before they have a token). */
  isMetadataPath(pathname: string): boolean {
    return this.metadataPaths.has(pathname);
  }

  /**
   * GET/HEAD: the document, readable by a page on any origin (it is public, and a browser client reads
   * it cross-origin before it has a token). OPTIONS: the preflight of the SDK's discovery fetch, which
   * sends `MCP-Protocol-Version` (not a CORS-safelisted header).
   */
  serveMetadata(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, METADATA_PREFLIGHT);
      res.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, METADATA_NOT_ALLOWED);
      res.end();
      return;
    }
    res.writeHead(200, METADATA_HEADERS);
    res.end(req.method === 'HEAD' ? undefined : this.document);
  }

  /** Who the request's bearer token stands for, or the refusal to send. */
  async check(req: IncomingMessage): Promise<OAuthVerdict> {
    if (hasQueryToken(req.url ?? ''))
      return this.plain(
        400,
        'invalid_request',
        'Send the access token in the Authorization header; tokens in a URL end up in logs and are refused.',
      );
    const header = req.headers.authorization;
    if (header === undefined) return this.missing();
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match)
      return this.challenge(
        new OAuthError(OAuthErrorCode.InvalidToken, 'Send "Authorization: Bearer <access token>".'),
      );
    const token = match[1]!;
    let principal: Principal;
    try {
      principal = await this.server.authenticate(token);
    } catch (err) {
      if (err instanceof InvalidTokenError)
        return this.challenge(new OAuthError(OAuthErrorCode.InvalidToken, err.message));
      if (err instanceof AuthServerUnavailableError)
        return {
          ok: false,
          status: 503,
          headers: {
            'content-type': 'application/json',
            'retry-after': String(Math.ceil(err.retryAfterMs / 1000)),
          },
          body: JSON.stringify({ error: 'temporarily_unavailable', error_description: err.message }),
        };
      throw err;
    }
    const missingScopes = this.required.filter((s) => !principal.scopes.includes(s));
    if (missingScopes.length > 0)
      return this.challenge(
        new OAuthError(
          OAuthErrorCode.InsufficientScope,
          `The access token lacks the scope${missingScopes.length > 1 ? 's' : ''} ${missingScopes.join(', ')}; request ${missingScopes.length > 1 ? 'them' : 'it'} from the authorization server.`,
        ),
      );
    return { ok: true, principal, token };
  }

  /** No credentials at all: RFC 6750 §3 says the challenge carries no error code then. */
  private missing(): OAuthRefusal {
    let challenge = `Bearer resource_metadata=${quoted(this.metadataUrl)}`;
    if (this.required.length > 0) challenge += `, scope=${quoted(this.required.join(' '))}`;
    return {
      ok: false,
      status: 401,
      headers: { 'content-type': 'application/json', 'www-authenticate': challenge },
      body: JSON.stringify({
        error: 'invalid_token',
        error_description: `Authorization needed: get an access token for ${this.server.resource} from ${this.server.issuer} (see ${this.metadataUrl}) and send it as "Authorization: Bearer <token>".`,
      }),
    };
  }

  /** Invalid token or insufficient scope: the SDK's challenge (error, description, scope, metadata). */
  private async challenge(error: OAuthError): Promise<OAuthRefusal> {
    const answer = bearerAuthChallengeResponse(error, {
      requiredScopes: [...this.required],
      resourceMetadataUrl: this.metadataUrl,
    });
    const headers: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return { ok: false, status: answer.status, headers, body: await answer.text() };
  }

  private plain(status: number, error: string, description: string): OAuthRefusal {
    return {
      ok: false,
      status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error, error_description: description }),
    };
  }
}
