import type { ConfigPath } from './interpolate.js';
import { isObject } from '../core/index.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Problems of one upstream's `auth` that the schema alone cannot see: a token grant without a way to
 * authenticate the client, or with a token endpoint reached in clear over the network.
 */
export function upstreamAuthProblems(name: string, auth: unknown): { path: ConfigPath; message: string }[] {
  if (!isObject(auth) || (auth.type !== 'oauth2' && auth.type !== 'token-exchange')) return [];
  const path: ConfigPath = ['upstreams', name, 'auth'];
  const problems: { path: ConfigPath; message: string }[] = [];
  const secret = auth.clientSecret !== undefined;
  const key = auth.privateKey !== undefined;
  if (secret && key)
    problems.push({ path, message: 'give either clientSecret or privateKey (private_key_jwt), not both' });
  else if (!secret && !key)
    problems.push({
      path,
      message:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the ${} syntax
        'give clientSecret (use ${ENV_VAR}) or privateKey (private_key_jwt) to authenticate the client',
    });
  if (auth.clientAuth === 'private_key_jwt' && !key)
    problems.push({ path: [...path, 'clientAuth'], message: 'private_key_jwt needs privateKey' });
  if ((auth.clientAuth === 'client_secret_basic' || auth.clientAuth === 'client_secret_post') && !secret)
    problems.push({ path: [...path, 'clientAuth'], message: `${auth.clientAuth} needs clientSecret` });
  if (typeof auth.tokenUrl === 'string') {
    try {
      const url = new URL(auth.tokenUrl);
      if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname))
        problems.push({
          path: [...path, 'tokenUrl'],
          message:
            'the token endpoint must use https (plain http only to 127.0.0.1, ::1 or localhost): the client secret and tokens travel on it',
        });
    } catch {
      // The schema reports a malformed URL.
    }
  }
  return problems;
}

/** Problems of one upstream's `tls`: an item given twice (text and file), a certificate without its key. */
export function upstreamTlsProblems(name: string, tls: unknown): { path: ConfigPath; message: string }[] {
  if (!isObject(tls)) return [];
  const path: ConfigPath = ['upstreams', name, 'tls'];
  const problems: { path: ConfigPath; message: string }[] = [];
  for (const item of ['ca', 'cert', 'key'])
    if (tls[item] !== undefined && tls[`${item}File`] !== undefined)
      problems.push({ path, message: `give ${item} or ${item}File, not both` });
  const cert = tls.cert !== undefined || tls.certFile !== undefined;
  const key = tls.key !== undefined || tls.keyFile !== undefined;
  if (cert !== key)
    problems.push({
      path,
      message: 'mutual TLS needs both a client certificate (cert or certFile) and its key (key or keyFile)',
    });
  return problems;
}
