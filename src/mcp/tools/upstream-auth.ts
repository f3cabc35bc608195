import type { Context } from '@opentelemetry/api';
import type { Authorization, CallerCredential, UpstreamCredential } from '../../credentials/index.js';
import { HttpStatusError, Redactor } from '../../http/index.js';

const tokenRedactor = new Redactor();
const tokenValues = new WeakMap<Authorization, readonly string[]>();

/**
 * `text` with the call's token removed in every encoding an upstream may echo it in: the token is not
 * one of the config's secrets, so the client's own scrub does not know it.
 */
export function scrubToken(text: string, auth: Authorization): string {
  let values = tokenValues.get(auth);
  if (values === undefined) {
    values = [auth.token.value];
    tokenValues.set(auth, values);
  }
  return tokenRedactor.text(text, values);
}

/**
 * Runs `send` with the upstream's credential for `caller`. When the upstream answers 401, the token
 * is dropped and `send` runs once more with a new one (a token revoked or rotated early); a second
 * 401 is the answer. `trace`: the parent of a token fetch's spans.
 */
export async function sendAuthorized<T>(
  credential: UpstreamCredential,
  caller: CallerCredential | undefined,
  signal: AbortSignal,
  trace: Context | undefined,
  send: (auth: Authorization) => Promise<T>,
): Promise<T> {
  const auth = await credential.authorize(caller, signal, trace);
  try {
    return await send(auth);
  } catch (err) {
    if (!(err instanceof HttpStatusError) || err.status !== 401 || !credential.rejected(auth)) throw err;
  }
  return send(await credential.authorize(caller, signal, trace));
}
