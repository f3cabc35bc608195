import { ConduitError } from '../core/index.js';

// TEMPORARY until conduit/resilience lands: then this file re-exports its TimeoutError.
export type TimeoutPhase = 'connect' | 'headers' | 'body' | 'total';
export class TimeoutError extends ConduitError {
  readonly timeoutMs: number;
  readonly phase: string;
  constructor(message: string, o: { timeoutMs: number; phase: string; cause?: unknown }) {
    super('TIMEOUT', message, { cause: o.cause });
    this.timeoutMs = o.timeoutMs;
    this.phase = o.phase;
  }
}
