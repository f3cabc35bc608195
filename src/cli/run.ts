import { ConfigError, errorMessage } from '../core/index.js';
import { CONDUIT_VERSION, didYouMean } from '../config/index.js';
import { ExitCode } from './exit-codes.js';
import { failsAsJson, failureLine, serveFailureOf } from './failure-line.js';
import { HELP, MAIN_HELP } from './help.js';
import type { CliIo } from './io.js';
import { type ServeDeps, serveCommand } from './serve-command.js';
import { UsageError } from './usage-error.js';
import { validateCommand } from './validate-command.js';

const COMMANDS = ['serve', 'validate', 'demo', 'init'] as const;

export interface RunCliDeps extends ServeDeps {}

/** Runs one `conduit` command line (without the node and script arguments) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, deps: RunCliDeps = {}): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) {
      io.stderr(MAIN_HELP);
      return ExitCode.USAGE;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      const topic = first === 'help' ? rest[0] : undefined;
      io.stdout(topic && HELP[topic] ? HELP[topic] : MAIN_HELP);
      return ExitCode.OK;
    }
    if (first === '--version' || first === '-v') {
      io.stdout(`${CONDUIT_VERSION}\n`);
      return ExitCode.OK;
    }
    if (first.startsWith('-'))
      throw new UsageError(`unknown option ${first}; options come after the command`);
    if (!(COMMANDS as readonly string[]).includes(first)) {
      const hint = didYouMean(first, COMMANDS);
      throw new UsageError(`unknown command "${first}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(HELP[first] ?? MAIN_HELP);
      return ExitCode.OK;
    }
    switch (first) {
      case 'serve':
        return await serveCommand(rest, io, deps);
      case 'validate':
        return await validateCommand(rest, io);
      case 'init': {
        const { runInit } = await import('./init-command.js');
        return await runInit(rest, io);
      }
      default: {
        const { demoCommand } = await import('./demo-command.js');
        return await demoCommand(rest, io);
      }
    }
  } catch (err) {
    const code =
      err instanceof UsageError
        ? ExitCode.USAGE
        : err instanceof ConfigError
          ? ExitCode.CONFIG
          : ExitCode.RUNTIME;
    // Over stdio the host that spawned serve logs stderr as JSON lines: one line, with a code to match on.
    if (failsAsJson(argv, io.stderrIsTTY)) {
      io.stderr(`${failureLine(serveFailureOf(err, code))}\n`);
      return code;
    }
    if (err instanceof UsageError) {
      const help = err.command ? `conduit ${err.command} --help` : 'conduit --help';
      io.stderr(`conduit: ${err.message}\nSee ${help}.\n`);
      return ExitCode.USAGE;
    }
    if (err instanceof ConfigError) {
      io.stderr(`conduit: ${err.message}\n`);
      return ExitCode.CONFIG;
    }
    io.stderr(`conduit: ${errorMessage(err)}\n`);
    return ExitCode.RUNTIME;
  }
}
