import { configSecrets, type GatewayConfig, type UpstreamConfig } from '../../config/index.js';

/**
 * What the gateway scrubs for a config: its `${ENV}` values and the upstreams' credentials (static ones, and
 * a grant's client secret and private key), which are secret whether or not they came from the environment.
 */
export function gatewaySecrets(config: GatewayConfig): string[] {
  const out = [...configSecrets(config)];
  for (const u of Object.values(config.upstreams)) {
    const auth = u.auth as Record<string, unknown> | undefined;
    for (const key of ['token', 'password', 'value'])
      if (typeof auth?.[key] === 'string' && auth[key] !== '') out.push(auth[key] as string);
    out.push(...grantSecrets(u.auth));
  }
  return out;
}

/** A token grant's client secret and private key (`oauth2`, `token-exchange`); none for other kinds. */
function grantSecrets(auth: UpstreamConfig['auth']): string[] {
  if (auth?.type !== 'oauth2' && auth?.type !== 'token-exchange') return [];
  return [auth.clientSecret, auth.privateKey].filter((v): v is string => typeof v === 'string' && v !== '');
}
