/** The HTTP phases a `TimeoutError` from this client names. */
export type TimeoutPhase = 'connect' | 'headers' | 'body' | 'total';
export { TimeoutError } from '../resilience/index.js';
