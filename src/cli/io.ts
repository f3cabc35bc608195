import type { EarlyHangups } from './early-hangups.js';

/** Where a command writes and what it reads; tests pass their own, `main.ts` passes the process's. */
export interface CliIo {
  /** Command output (help, validate reports). In `serve --transport stdio` nothing else may use stdout. */
  stdout: (text: string) => void;
  /** Human messages and errors. */
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** True when stderr is a terminal (a person reads it); `serve` over stdio writes JSON lines otherwise. */
  stderrIsTTY?: boolean;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); a second request forces the exit. */
  onStopRequest?: (listener: (signal: string) => void) => () => void;
  /** Calls `listener` when the process is asked to reload its config (SIGHUP). */
  onReloadRequest?: (listener: () => void) => () => void;
  /** Ends the process at once (a forced shutdown). */
  exit?: (code: number) => void;
}

/**
 * The real process: its streams, env and signals. `early`: SIGHUPs counted before the command's
 * modules loaded; the first reload listener gets them, as one request. `quietPipe`: when the reader
 * of stdout has gone (`conduit validate | head -1`), drop the rest of the output instead of dying on
 * EPIPE with a stack trace, so the command ends with its own exit code. Not for `serve`, whose stdout
 * is the MCP transport's.
 */
export function processIo(early?: EarlyHangups, options: { quietPipe?: boolean } = {}): CliIo {
  let readerGone = false;
  if (options.quietPipe)
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      readerGone = true;
    });
  return {
    stdout: (text) => {
      if (!readerGone) process.stdout.write(text);
    },
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
    exit: (code) => process.exit(code),
    onStopRequest(listener) {
      const onSignal = (signal: NodeJS.Signals) => listener(signal);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      return () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      };
    },
    onReloadRequest(listener) {
      const onSignal = () => listener();
      process.on('SIGHUP', onSignal);
      if ((early?.takeOver() ?? 0) > 0) listener();
      return () => process.off('SIGHUP', onSignal);
    },
  };
}
