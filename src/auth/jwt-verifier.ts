import type { JWTVerifyGetKey } from 'jose';
import type { Clock } from '../core/index.js';
import { AuthServerUnavailableError, InvalidTokenError, type TokenRejection } from './errors.js';
import { jose } from './identity-packages.js';
import type { JwksKeys } from './jwks.js';

export interface JwtCheck {
  issuer: string;
  /** Accepted audiences: the token's `aud` must name one. */
  audience: readonly string[];
  algorithms: readonly string[];
  /** Required `typ` header (`at+jwt`, RFC 9068), when set. */
  tokenType: string | undefined;
  clockToleranceMs: number;
  clock: Clock;
}

const CLAIM_REASON: Record<string, TokenRejection> = {
  iss: 'issuer',
  aud: 'audience',
  nbf: 'not_yet_valid',
  exp: 'expired',
  iat: 'not_yet_valid',
  typ: 'type',
};

/** True when `token` has the shape of a JWS compact serialization (three base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** Verifies a JWT access token: signature by an issuer key, algorithm, `typ`, iss, aud, exp, nbf. */
export async function verifyJwt(
  token: string,
  keys: JwksKeys,
  check: JwtCheck,
): Promise<Record<string, unknown>> {
  const { jwtVerify } = jose();
  try {
    const { payload } = await jwtVerify(token, keys.getKey as JWTVerifyGetKey, {
      issuer: check.issuer,
      audience: [...check.audience],
      algorithms: [...check.algorithms],
      clockTolerance: Math.round(check.clockToleranceMs / 1000),
      currentDate: new Date(check.clock.now()),
      requiredClaims: ['exp'],
      ...(check.tokenType ? { typ: check.tokenType } : {}),
    });
    return payload as Record<string, unknown>;
  } catch (err) {
    throw rejection(err);
  }
}

function rejection(err: unknown): Error {
  if (err instanceof InvalidTokenError || err instanceof AuthServerUnavailableError) return err;
  const joseErrors = jose().errors;
  if (err instanceof joseErrors.JWTExpired)
    return new InvalidTokenError('expired', 'The access token has expired; get a new one.', { cause: err });
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    const reason = CLAIM_REASON[err.claim] ?? 'malformed';
    const what: Record<string, string> = {
      issuer: 'was issued by another authorization server',
      audience: 'was issued for another resource (its audience is not this server)',
      not_yet_valid: 'is not valid yet (nbf)',
      type: `has the wrong type (typ)`,
    };
    return new InvalidTokenError(
      reason,
      `The access token ${what[reason] ?? `has an invalid ${err.claim} claim`}.`,
      {
        cause: err,
      },
    );
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported)
    return new InvalidTokenError(
      'algorithm',
      'The access token is signed with an algorithm this server does not accept.',
      {
        cause: err,
      },
    );
  if (err instanceof joseErrors.JWSSignatureVerificationFailed)
    return new InvalidTokenError('signature', 'The access token signature does not verify.', { cause: err });
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys)
    return new InvalidTokenError(
      'unknown_key',
      'The access token is signed with a key the issuer does not publish.',
      {
        cause: err,
      },
    );
  return new InvalidTokenError('malformed', 'The access token is not a well-formed JWT.', { cause: err });
}
