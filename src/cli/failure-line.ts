import { ConfigValidationError } from '../config/index.js';
import { type ConduitErrorCode, conduitCodeOf, errorMessage } from '../core/index.js';
import { UsageError } from './usage-error.js';

/**
 * Why `conduit serve` over stdio ended before it served, as a JSON log line. An MCP client host
 * (Claude Desktop, an IDE) pipes stderr into its log and may parse it as JSON lines: the running
 * gateway's lines are pino's, and so is this one, with a stable `code` to match on.
 */
export interface ServeFailure {
  /** `USAGE`, `INVALID_CONFIG` (or an `OPENAPI_*` code), `START_FAILED`, or the error's own code. */
  code: ConduitErrorCode;
  /** The exit code the process ends with. */
  exitCode: number;
  /** The human message: what is wrong and what to change. */
  message: string;
  /** What to read next (`See conduit serve --help.`), for a usage error. */
  hint?: string;
  /** A refused config's problems, each with its path and line, as `conduit validate --json` has them. */
  problems?: { path: string; line?: number; column?: number; message: string }[];
  /** The system error code behind a start failure (`EADDRINUSE`, `EADDRNOTAVAIL`). */
  errno?: string;
}

/** The JSON line (pino's shape, level error, no newline) for `failure`. */
export function failureLine(failure: ServeFailure): string {
  const { message, ...fields } = failure;
  return logLine(50, 'gateway failed to start', { ...fields, err: message });
}

/** One log line in pino's shape (`level` 40 warn, 50 error), no newline, for a line the logger cannot write. */
export function logLine(level: 40 | 50, msg: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ level, time: Date.now(), name: 'conduit', ...fields, msg });
}

/** The failure line's fields for an error thrown before `serve` served. */
export function serveFailureOf(err: unknown, exitCode: number): ServeFailure {
  const failure: ServeFailure = {
    code: conduitCodeOf(err) ?? 'START_FAILED',
    exitCode,
    message: errorMessage(err),
  };
  if (err instanceof UsageError)
    failure.hint = `See ${err.command ? `conduit ${err.command} --help` : 'conduit --help'}.`;
  if (err instanceof ConfigValidationError)
    failure.problems = err.problems.map((p) => ({
      path: p.path,
      ...(p.line !== undefined ? { line: p.line } : {}),
      ...(p.column !== undefined ? { column: p.column } : {}),
      message: p.message,
    }));
  const errno = (err as { code?: unknown } | null)?.code;
  if (failure.code === 'START_FAILED' && typeof errno === 'string') failure.errno = errno;
  return failure;
}

/**
 * True when the failures of `conduit <argv>` are written as JSON lines: `serve` over stdio (the
 * default transport) with stderr not a terminal, i.e. spawned by an MCP client host that logs it.
 * A person at a terminal, and `--transport http`, get the plain `conduit: …` lines.
 */
export function failsAsJson(argv: readonly string[], stderrIsTTY: boolean | undefined): boolean {
  return argv[0] === 'serve' && transportArg(argv.slice(1)) !== 'http' && stderrIsTTY !== true;
}

/** The `--transport` value of serve's arguments as `parseArgs` would read it (the last one wins), if any. */
function transportArg(args: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg === '--transport' || arg === '-t') value = args[++i];
    else if (arg.startsWith('--transport=')) value = arg.slice('--transport='.length);
    else if (/^-t[^-]/.test(arg)) value = arg.slice(2);
  }
  return value;
}
