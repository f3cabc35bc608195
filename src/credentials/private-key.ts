import type { webcrypto } from 'node:crypto';
import { ConfigError } from '../core/index.js';
import { jose } from './identity-packages.js';

/**
 * The client's signing key for `private_key_jwt`, from PKCS#8 PEM text (typically `${ENV}`). A key
 * that does not parse is a config error that never quotes the key.
 */
export async function importPrivateKey(
  key: { pem: string; alg?: string | undefined; kid?: string | undefined },
  upstream: string,
): Promise<{ key: webcrypto.CryptoKey; kid?: string }> {
  const alg = key.alg ?? 'RS256';
  const { importPKCS8 } = jose(upstream);
  let crypto: webcrypto.CryptoKey;
  try {
    // The PEM often arrives through an environment variable with its newlines escaped.
    crypto = await importPKCS8(key.pem.replace(/\\n/g, '\n'), alg);
  } catch {
    throw new ConfigError(
      `upstreams.${upstream}.auth.privateKey is not a PKCS#8 PEM private key usable with ${alg}; check the key and privateKeyAlg`,
    );
  }
  return key.kid === undefined ? { key: crypto } : { key: crypto, kid: key.kid };
}
