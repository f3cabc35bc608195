import type * as OAuth from 'oauth4webapi';
import { AuthServerUnavailableError, InvalidTokenError } from './errors.js';
import { insecureAllowed, type IssuerMetadata } from './discovery.js';
import { oauth4webapi } from './identity-packages.js';
import type { IdpClient } from './idp-client.js';

export interface IntrospectionOptions {
  /** The introspection endpoint; default: the issuer's metadata `introspection_endpoint`. */
  endpoint: string | undefined;
  clientId: string;
  clientSecret: string;
  issuer: string;
  metadata: IssuerMetadata;
  idp: IdpClient;
}

/** Asks the authorization server about an opaque token (RFC 7662); the active answer's claims. */
export async function introspect(token: string, o: IntrospectionOptions): Promise<Record<string, unknown>> {
  const endpoint = o.endpoint ?? (await o.metadata.get()).introspection_endpoint;
  if (!endpoint)
    throw new AuthServerUnavailableError(
      `The issuer ${o.issuer} advertises no introspection endpoint; set server.http.auth.introspection.endpoint.`,
      5000,
    );
  const oauth = oauth4webapi();
  const as: OAuth.AuthorizationServer = { issuer: o.issuer, introspection_endpoint: endpoint };
  const client: OAuth.Client = { client_id: o.clientId };
  let answer: OAuth.IntrospectionResponse;
  try {
    const res = await oauth.introspectionRequest(as, client, oauth.ClientSecretBasic(o.clientSecret), token, {
      [oauth.customFetch]: o.idp.fetch,
      [oauth.allowInsecureRequests]: insecureAllowed(endpoint),
    });
    answer = await oauth.processIntrospectionResponse(as, client, res);
  } catch (err) {
    if (err instanceof AuthServerUnavailableError) throw err;
    // The server answered, but not with an introspection result (our client credentials refused, …).
    throw new AuthServerUnavailableError(
      'The introspection endpoint refused the request; check server.http.auth.introspection.clientId and clientSecret.',
      5000,
      { cause: err },
    );
  }
  if (answer.active !== true)
    throw new InvalidTokenError('inactive', 'The access token is not active (expired, revoked or unknown).');
  return answer as unknown as Record<string, unknown>;
}
