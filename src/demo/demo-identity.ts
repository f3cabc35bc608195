import type { GatewayConfig } from '../config/index.js';

/**
 * The demo's identity, when the config sets none: two static tokens (the demo's own client may read
 * and write; `demo-reader` may only read) and a policy keeping the write tools to the write scope.
 */
export function addDemoIdentity(config: GatewayConfig, operatorToken: string, readerToken: string): boolean {
  if (config.server.http.authTokens.length > 0 || config.server.http.auth || config.policy) return false;
  config.server.http.authTokens = [
    {
      token: operatorToken,
      sub: 'demo-operator',
      scopes: ['assignments.read', 'assignments.write'],
      claims: {},
    },
    { token: readerToken, sub: 'demo-reader', scopes: ['assignments.read'], claims: {} },
  ];
  config.policy = {
    default: 'allow',
    groupsClaim: 'groups',
    rules: [{ effect: 'allow', tools: ['create_*', 'update_*'], when: { scopes: ['assignments.write'] } }],
  };
  return true;
}
