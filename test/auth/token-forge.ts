import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

/** Claims of a forged access token; defaults make a valid one for `issuer` and `audience`. */
export interface ForgeOptions {
  issuer: string;
  audience: string;
  /** The private key to sign with (the test issuer's own, or a stranger's). */
  key: JWK;
  nowSeconds: number;
  sub?: string;
  exp?: number;
  nbf?: number;
  scope?: string;
  claims?: Record<string, unknown>;
  typ?: string;
  kid?: string;
}

/** A JWT signed like the issuer's access tokens, with any claim bent for a bad-input test. */
export async function forgeToken(o: ForgeOptions): Promise<string> {
  const key = await importJWK(o.key, 'ES256');
  const jwt = new SignJWT({
    client_id: 'forged-client',
    scope: o.scope ?? 'tools.read',
    ...(o.claims ?? {}),
  })
    .setProtectedHeader({ alg: 'ES256', typ: o.typ ?? 'at+jwt', kid: o.kid ?? o.key.kid ?? 'none' })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(o.sub ?? 'forged-user')
    .setIssuedAt(o.nowSeconds)
    .setExpirationTime(o.exp ?? o.nowSeconds + 300);
  if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
  return jwt.sign(key);
}

/** A fresh ES256 key the issuer has never published. */
export async function strangerKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), alg: 'ES256', kid: 'stranger' };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An unsigned JWT (`alg: none`) with the given claims. */
export function unsignedToken(claims: Record<string, unknown>, kid: string): string {
  return `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(claims)}.`;
}

/**
 * The classic key-confusion forgery: HS256 with the issuer's *public* key as the HMAC secret, which a
 * verifier that lets the token pick its algorithm would accept.
 */
export async function hmacWithPublicKey(claims: Record<string, unknown>, publicJwk: JWK): Promise<string> {
  const { createHmac } = await import('node:crypto');
  const header = b64({ alg: 'HS256', typ: 'at+jwt', kid: publicJwk.kid });
  const body = b64(claims);
  const secret = JSON.stringify({ kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y });
  const sig = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${sig}`;
}
