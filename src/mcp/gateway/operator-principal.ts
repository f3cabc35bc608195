import { OPERATOR, type Principal } from '../../core/index.js';
import type { OperatorConfig } from '../../config/index.js';

/**
 * Who a call without a transport identity (stdio, in-process) runs as: the unrestricted operator, or
 * the fixed principal of `server.operator`, which policy and templates treat like a token's.
 */
export function operatorPrincipal(config: OperatorConfig | undefined): Principal {
  if (!config) return OPERATOR;
  return Object.freeze({
    id: `operator:${config.sub}`,
    kind: 'static',
    sub: config.sub,
    clientId: config.clientId,
    scopes: Object.freeze([...config.scopes]),
    claims: Object.freeze({ ...config.claims }),
  });
}
