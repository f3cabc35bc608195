import { CallerCredentialMissingError } from './errors.js';
import { type Authorization, bearer, type UpstreamCredential } from './upstream-credential.js';

/**
 * `auth.type: forward`: the caller's own verified access token goes to the upstream as it came.
 * Only for an upstream that accepts tokens issued for this gateway (the same authorization server
 * and an audience that names both); the MCP authorization spec forbids passing on a token issued for
 * another resource, so the gateway warns at start-up for every upstream configured this way.
 */
export function forwardCallerToken(upstream: string): UpstreamCredential {
  return {
    type: 'forward',
    perCaller: true,
    async authorize(caller): Promise<Authorization> {
      if (caller === undefined) throw new CallerCredentialMissingError(upstream, 'forward');
      const expiresAt = caller.expiresAt ?? Number.POSITIVE_INFINITY;
      return bearer({ value: caller.token, expiresAt, refreshAt: expiresAt });
    },
    // There is no other token to try: the caller must get a new one.
    rejected: () => false,
    close: async () => {},
  };
}
