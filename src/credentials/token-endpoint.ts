import type { Context } from '@opentelemetry/api';
import type * as OAuth from 'oauth4webapi';
import type { Clock } from '../core/index.js';
import { ConfigError, systemClock } from '../core/index.js';
import { type HttpClient, HttpStatusError, Redactor } from '../http/index.js';
import { CredentialUnavailableError } from './errors.js';
import { type IssuedToken, issuedToken } from './issued-token.js';
import { jose, oauth4webapi } from './identity-packages.js';
import { importPrivateKey } from './private-key.js';

/** How the gateway proves it is the client at the token endpoint. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export interface TokenEndpointOptions {
  /** The upstream the tokens are for: named in errors and logs. */
  upstream: string;
  /** The token endpoint, e.g. `https://idp.example.com/oauth/token`. */
  tokenUrl: string;
  /** The authorization server's issuer identifier: the `aud` of a `private_key_jwt` assertion. */
  issuer?: string | undefined;
  clientId: string;
  clientSecret?: string | undefined;
  /** Default: `private_key_jwt` with a `privateKey`, else `client_secret_basic`. */
  clientAuth?: ClientAuthMethod | undefined;
  /** PKCS#8 PEM of the client's signing key, its JWS algorithm (default RS256) and key id. */
  privateKey?: { pem: string; alg?: string | undefined; kid?: string | undefined } | undefined;
  /** Reaches the token endpoint's origin with timeouts, retry and a breaker (closed by `close()`). */
  http: HttpClient;
  /** Fetch a replacement this long before a token expires (at most half its lifetime). */
  refreshBeforeMs: number;
  clock?: Clock;
}

/** Grant parameters besides the grant itself. */
export interface GrantParameters {
  scope?: string | undefined;
  /** `audience`, as several identity providers (Auth0, Okta, Keycloak for exchange) name the API. */
  audience?: string | undefined;
  /** RFC 8707 resource indicator. */
  resource?: string | undefined;
}

/** Scrubs the secrets of one request (a subject token) that the HTTP client's redactor does not know. */
const requestRedactor = new Redactor();

const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 token type of an OAuth access token. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A client of one OAuth 2.0 token endpoint, on `oauth4webapi`: client credentials and RFC 8693 token
 * exchange, the client authenticated by secret (Basic or form) or `private_key_jwt`. Requests go
 * through the given {@link HttpClient}, so the endpoint is an upstream like any other: timeouts,
 * retries on 5xx and network errors, and a circuit breaker.
 */
export class TokenEndpoint {
  private readonly as: OAuth.AuthorizationServer;
  private readonly client: OAuth.Client;
  private auth: Promise<OAuth.ClientAuth> | undefined;
  private readonly clock: Clock;
  private readonly fetchOptions: OAuth.TokenEndpointRequestOptions;
  private readonly oauth: typeof OAuth;

  constructor(private readonly o: TokenEndpointOptions) {
    const oauth = oauth4webapi(o.upstream);
    this.oauth = oauth;
    // Loaded now, so a missing package is a start-up error rather than the first token request's.
    if (o.privateKey) jose(o.upstream);
    const url = parseTokenUrl(o.tokenUrl, o.upstream);
    this.as = { issuer: o.issuer ?? url.href, token_endpoint: url.href };
    this.client = { client_id: o.clientId };
    this.clock = o.clock ?? systemClock;
    const method = o.clientAuth ?? (o.privateKey ? 'private_key_jwt' : 'client_secret_basic');
    if (method === 'private_key_jwt' && !o.privateKey)
      throw new ConfigError(`upstreams.${o.upstream}.auth: clientAuth private_key_jwt needs a privateKey`);
    if (method !== 'private_key_jwt' && !o.clientSecret)
      throw new ConfigError(
        `upstreams.${o.upstream}.auth: clientAuth ${method} needs a clientSecret (use \${ENV_VAR})`,
      );
    this.method = method;
    this.fetchOptions = { [oauth.customFetch]: viaHttpClient(o.http) as unknown as typeof fetch };
    // Plain HTTP is for an identity provider on this machine only (tests, a local sidecar).
    if (url.protocol === 'http:') this.fetchOptions[oauth.allowInsecureRequests] = true;
  }

  private readonly method: ClientAuthMethod;

  /** A token for the gateway itself (`client_credentials`). */
  async clientCredentials(params: GrantParameters, trace?: Context): Promise<IssuedToken> {
    const auth = await this.clientAuth();
    return this.run(async () => {
      const res = await this.oauth.clientCredentialsGrantRequest(
        this.as,
        this.client,
        auth,
        grantParameters(params),
        this.optionsFor(trace),
      );
      return this.oauth.processClientCredentialsResponse(this.as, this.client, res);
    });
  }

  /** RFC 8693: `subjectToken` (the caller's access token) exchanged for one for this upstream. */
  async exchange(
    subjectToken: string,
    params: GrantParameters,
    requestedTokenType?: string,
    trace?: Context,
  ): Promise<IssuedToken> {
    const auth = await this.clientAuth();
    const form = grantParameters(params);
    form.set('subject_token', subjectToken);
    form.set('subject_token_type', ACCESS_TOKEN_TYPE);
    if (requestedTokenType !== undefined) form.set('requested_token_type', requestedTokenType);
    return this.run(async () => {
      const res = await this.oauth.genericTokenEndpointRequest(
        this.as,
        this.client,
        auth,
        TOKEN_EXCHANGE_GRANT,
        form,
        this.optionsFor(trace),
      );
      return this.oauth.processGenericTokenEndpointResponse(this.as, this.client, res);
      // An identity provider may quote the subject token in its refusal: it is a secret too.
    }, [subjectToken]);
  }

  close(): Promise<void> {
    return this.o.http.close();
  }

  /** The request options of one token request: its spans' parent rides in its own fetch. */
  private optionsFor(trace: Context | undefined): typeof this.fetchOptions {
    if (trace === undefined) return this.fetchOptions;
    return {
      ...this.fetchOptions,
      [this.oauth.customFetch]: viaHttpClient(this.o.http, trace) as unknown as typeof fetch,
    };
  }

  private clientAuth(): Promise<OAuth.ClientAuth> {
    this.auth ??= (async () => {
      if (this.method === 'client_secret_post') return this.oauth.ClientSecretPost(this.o.clientSecret!);
      if (this.method === 'client_secret_basic') return this.oauth.ClientSecretBasic(this.o.clientSecret!);
      const key = await importPrivateKey(this.o.privateKey!, this.o.upstream);
      return this.oauth.PrivateKeyJwt(key);
    })();
    return this.auth;
  }

  private async run(
    call: () => Promise<OAuth.TokenEndpointResponse>,
    requestSecrets: readonly string[] = [],
  ): Promise<IssuedToken> {
    let response: OAuth.TokenEndpointResponse;
    try {
      response = await call();
    } catch (err) {
      throw this.failure(err, requestSecrets);
    }
    if (response.token_type !== 'bearer')
      throw new CredentialUnavailableError(
        this.o.upstream,
        `the token endpoint of upstream ${this.o.upstream} issued a ${safeWord(response.token_type)} token; only bearer tokens are supported`,
      );
    return issuedToken(response.access_token, response.expires_in, this.clock.now(), this.o.refreshBeforeMs);
  }

  /** What went wrong, in words that carry no secret: the endpoint's status and OAuth error code. */
  private failure(err: unknown, requestSecrets: readonly string[]): CredentialUnavailableError {
    const who = `the token endpoint of upstream ${this.o.upstream}`;
    if (err instanceof this.oauth.ResponseBodyError) {
      // Redacted before it is cut to length: a cut secret would no longer be recognised.
      const description =
        typeof err.error_description === 'string'
          ? `: ${requestRedactor
              .text(this.o.http.redactSecrets(err.error_description), requestSecrets)
              .replace(/[^\x20-\x7e]/g, '')
              .slice(0, 200)}`
          : '';
      return new CredentialUnavailableError(
        this.o.upstream,
        `${who} refused the request (HTTP ${err.status}, ${safeWord(err.error)})${description}; check the client id, secret or key, and the scopes/audience asked for`,
        { status: err.status, oauthError: safeWord(err.error) },
      );
    }
    const code = (err as { code?: unknown }).code;
    const status = err instanceof HttpStatusError ? err.status : undefined;
    if (err instanceof this.oauth.OperationProcessingError || err instanceof TypeError)
      return new CredentialUnavailableError(
        this.o.upstream,
        `${who} answered something that is not a valid token response (${safeWord(String(code ?? err.name))})`,
        { cause: err },
      );
    return new CredentialUnavailableError(
      this.o.upstream,
      `${who} could not be reached or failed (${typeof code === 'string' ? code : 'error'}${status !== undefined ? `, HTTP ${status}` : ''}); calls go on with a still-valid token when one is held`,
      { status, cause: err },
    );
  }
}

function grantParameters(p: GrantParameters): URLSearchParams {
  const form = new URLSearchParams();
  if (p.scope) form.set('scope', p.scope);
  if (p.audience) form.set('audience', p.audience);
  if (p.resource) form.set('resource', p.resource);
  return form;
}

/** A word from an untrusted answer, safe to show: token characters only, bounded. */
function safeWord(s: string): string {
  const w = s.replace(/[^A-Za-z0-9_.:-]/g, '').slice(0, 64);
  return w === '' ? 'unknown' : w;
}

function parseTokenUrl(tokenUrl: string, upstream: string): URL {
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch {
    throw new ConfigError(`upstreams.${upstream}.auth.tokenUrl "${tokenUrl}" is not a valid URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return url;
  throw new ConfigError(
    `upstreams.${upstream}.auth.tokenUrl must use https (plain http only to 127.0.0.1, ::1 or localhost): client secrets and tokens travel on it`,
  );
}

/**
 * `fetch` as oauth4webapi calls it, answered by the resilient HTTP client. An OAuth error answer
 * (4xx) is handed back as a response so oauth4webapi reads its `error`; 5xx, timeouts and network
 * errors (after the client's retries) are thrown as they are.
 */
function viaHttpClient(http: HttpClient, trace?: Context) {
  return async (url: string, init: OAuth.CustomFetchOptions<string, unknown>): Promise<Response> => {
    const u = new URL(url);
    const query: Record<string, string> = {};
    for (const [k, v] of u.searchParams) query[k] = v;
    try {
      const res = await http.request({
        method: init.method as 'POST',
        path: u.pathname,
        query,
        headers: init.headers,
        body: init.body === undefined || init.body === null ? '' : String(init.body),
        ...(init.signal ? { signal: init.signal } : {}),
        ...(trace !== undefined ? { traceContext: trace } : {}),
        // Token requests change nothing an extra copy could break: retry them like reads.
        idempotencyKey: true,
      });
      return new Response(new Uint8Array(res.body), {
        status: res.status,
        headers: plainHeaders(res.headers),
      });
    } catch (err) {
      if (err instanceof HttpStatusError && err.status < 500)
        return new Response(err.bodyExcerpt, {
          status: err.status,
          headers: { 'content-type': 'application/json' },
        });
      throw err;
    }
  };
}

function plainHeaders(h: Readonly<Record<string, string | string[] | undefined>>): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out.set(k, Array.isArray(v) ? v.join(', ') : v);
  }
  return out;
}
