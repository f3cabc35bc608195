import type { ServerContext } from '@modelcontextprotocol/server';
import type { Principal } from '../../core/index.js';
import type { CallerCredential } from '../../credentials/index.js';
import { callerToken } from '../transport/auth-info.js';

/**
 * The caller as per-caller upstream credentials see it: the verified principal's id and the access
 * token it was verified from. Undefined when the call carries no verified token (stdio, static
 * tokens, no `server.http.auth`).
 */
export function callerCredential(who: Principal, ctx: ServerContext): CallerCredential | undefined {
  const token = callerToken(ctx);
  if (token === undefined) return undefined;
  return { subject: who.id, token, expiresAt: who.expiresAt };
}
