import type { AuthorizationServer } from 'oauth4webapi';
import { AuthServerUnavailableError } from './errors.js';
import { oauth4webapi } from './identity-packages.js';
import type { IdpClient } from './idp-client.js';

/** What the gateway reads of an issuer's metadata (RFC 8414), by name: no optional package in the types. */
export interface IssuerMetadataDocument {
  readonly issuer: string;
  readonly jwks_uri?: string;
  readonly introspection_endpoint?: string;
  readonly [name: string]: unknown;
}

/** Plain http is accepted for loopback issuers only (local development and tests). */
export function insecureAllowed(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

/**
 * The issuer's metadata (RFC 8414, or OpenID Connect discovery when the issuer serves only that),
 * fetched once on first need and kept; a failure is retried on the next need.
 */
export class IssuerMetadata {
  private metadata: Promise<AuthorizationServer> | undefined;
  private readonly oauth = oauth4webapi();

  constructor(
    private readonly issuer: string,
    private readonly idp: IdpClient,
  ) {}

  get(): Promise<IssuerMetadataDocument> {
    this.metadata ??= this.discover().catch((err: unknown) => {
      this.metadata = undefined;
      throw err;
    });
    return this.metadata;
  }

  private async discover(): Promise<AuthorizationServer> {
    const oauth = this.oauth;
    const issuer = new URL(this.issuer);
    const options = {
      [oauth.customFetch]: this.idp.fetch,
      [oauth.allowInsecureRequests]: insecureAllowed(this.issuer),
    };
    let lastError: unknown;
    for (const algorithm of ['oauth2', 'oidc'] as const) {
      try {
        const res = await oauth.discoveryRequest(issuer, { ...options, algorithm });
        return await oauth.processDiscoveryResponse(issuer, res);
      } catch (err) {
        if (err instanceof AuthServerUnavailableError) throw err;
        lastError = err;
      }
    }
    throw new AuthServerUnavailableError(
      `The issuer ${this.issuer} publishes no usable metadata (RFC 8414 or OpenID discovery); set server.http.auth.jwksUri (and introspection.endpoint) instead.`,
      5000,
      { cause: lastError },
    );
  }
}
