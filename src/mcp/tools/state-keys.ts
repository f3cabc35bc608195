import { createHmac } from 'node:crypto';
import { ConfirmStates } from './confirm-state.js';
import { PageCursors } from './page-cursor.js';

/** The signers of state a client hands back: pagination cursors and confirmation questions. */
export interface SignedStates {
  cursors: PageCursors | undefined;
  confirmations: ConfirmStates | undefined;
}

/**
 * Signers keyed from `server.stateKey`, one key per use (HMAC-SHA256 of a label under the secret), so a
 * cursor can never pass for a confirmation state; undefined ones (each process's own key) without it.
 */
export function signedStates(secret: string | undefined): SignedStates {
  if (secret === undefined) return { cursors: undefined, confirmations: undefined };
  const derive = (use: string) => createHmac('sha256', secret).update(`conduit ${use} v1`).digest();
  return {
    cursors: new PageCursors(derive('page-cursor')),
    confirmations: new ConfirmStates(derive('confirm-state')),
  };
}
