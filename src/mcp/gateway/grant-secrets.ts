import type { UpstreamConfig } from '../../config/index.js';

/**
 * The client secret and private key of a token grant (`oauth2`, `token-exchange`), none for other
 * kinds: secrets whether or not they came from `${ENV}`, like a static upstream token.
 */
export function grantSecrets(auth: UpstreamConfig['auth']): string[] {
  if (auth?.type !== 'oauth2' && auth?.type !== 'token-exchange') return [];
  return [auth.clientSecret, auth.privateKey].filter((v): v is string => typeof v === 'string' && v !== '');
}
