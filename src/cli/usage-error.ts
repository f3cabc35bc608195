import { ConduitError } from '../core/index.js';

/** A bad command line; the CLI prints the message and a pointer to --help, then exits 2. */
export class UsageError extends ConduitError {
  declare readonly code: 'USAGE';
  /** The command whose help to point at, if any. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super('USAGE', message);
    this.command = command;
  }
}
