import { ConduitError } from '../core/index.js';

/**
 * The token endpoint could not issue a token for an upstream (down, slow past its timeout, answering
 * an error, or answering something that is not a token response) and no still-valid token was held.
 * `status` is the endpoint's HTTP status when it answered; `oauthError` its OAuth error code
 * (`invalid_client`, `invalid_scope`, …). Neither the message nor the fields carry a secret.
 */
export class CredentialUnavailableError extends ConduitError {
  declare readonly code: 'UPSTREAM_CREDENTIAL_UNAVAILABLE';
  readonly upstream: string;
  readonly status: number | undefined;
  readonly oauthError: string | undefined;
  constructor(
    upstream: string,
    message: string,
    details: { status?: number | undefined; oauthError?: string | undefined; cause?: unknown } = {},
  ) {
    super('UPSTREAM_CREDENTIAL_UNAVAILABLE', message, { cause: details.cause });
    this.upstream = upstream;
    this.status = details.status;
    this.oauthError = details.oauthError;
  }
}

/**
 * The upstream sends the caller's own credential (token exchange, forward) but the call carries no
 * verified caller token: stdio, or HTTP without `server.http.auth`.
 */
export class CallerCredentialMissingError extends ConduitError {
  declare readonly code: 'CALLER_CREDENTIAL_MISSING';
  readonly upstream: string;
  constructor(upstream: string, mode: string) {
    super(
      'CALLER_CREDENTIAL_MISSING',
      `upstream ${upstream} uses auth.type ${mode}, which needs the caller's verified access token, and this call has none; call over HTTP with server.http.auth configured`,
    );
    this.upstream = upstream;
  }
}
