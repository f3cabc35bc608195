import { createHash } from 'node:crypto';

/**
 * The shared store's key for one token: `<prefix>:credential:<upstream>:<digest>`, where the digest
 * covers everything that makes a token different (endpoint, client, grant parameters, and for a
 * per-caller token the caller) without putting any of it, a subject included, in Redis in clear.
 */
export function credentialStoreKey(prefix: string, upstream: string, parts: readonly string[]): string {
  const digest = createHash('sha256').update(parts.join('\0')).digest('base64url').slice(0, 32);
  return `${prefix}:credential:${upstream}:${digest}`;
}
