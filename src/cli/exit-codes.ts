/** Exit codes of the `conduit` command; documented in docs/cli.md. */
export const ExitCode = {
  /** Success; also after a graceful shutdown on SIGINT/SIGTERM. */
  OK: 0,
  /** The config is invalid or cannot be read (every problem is printed). */
  CONFIG: 1,
  /** Bad command line: unknown command or option, missing or malformed value. */
  USAGE: 2,
  /** The gateway or demo failed at run time (e.g. the port is taken, a demo step failed). */
  RUNTIME: 3,
  /** A second SIGINT/SIGTERM during shutdown: exit at once without waiting for calls in flight. */
  FORCED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
