import type { AuthInfo, Transport } from '@modelcontextprotocol/server';
import { type CallerContext, callerContext } from './auth-info.js';

/**
 * A connection each of whose requests carries a credential (a 2025-era HTTP session): the one its
 * latest request presented. A client may refresh its token on the same session, and the new token
 * may grant less than the one it subscribed with.
 */
export interface PresentsCredential {
  readonly presentedAuth: AuthInfo | undefined;
}

/**
 * Who the connection's client is now, as its latest request showed; undefined for a connection
 * whose requests carry no credential of their own (stdio, an in-memory pipe).
 */
export function presentedCaller(transport: Transport | undefined): CallerContext | undefined {
  const auth = (transport as Partial<PresentsCredential> | undefined)?.presentedAuth;
  return auth ? callerContext(auth) : undefined;
}
