import { parseArgs } from 'node:util';
import { configSecrets, loadConfig } from '../config/index.js';
import { createLogger, type Logger, summarizingLogger, errorMessage } from '../core/index.js';
import { ExitCode } from './exit-codes.js';
import { failureLine, serveFailureOf } from './failure-line.js';
import { listenHint } from './listen-hint.js';
import type { CliIo } from './io.js';
import { logLevelOption, usageErrors, portOption } from './options.js';
import { UsageError } from './usage-error.js';
import type { FileWatcher } from '../mcp/index.js';
import { type HeldReloads, holdReloadRequests, startReloads } from './serve-reload.js';
import { noticeStdinEnd, type StdinEnd } from './stdin-end.js';

/** Seams for tests: where the logger goes and how stdin's end is noticed. */
export interface ServeDeps {
  createLogger?: typeof createLogger;
  /** Calls `listener` when stdin ends (stdio clients close it to stop the server). */
  onStdinEnd?: (listener: () => void) => () => void;
  /** Stands in for the file watch of `server.reload.watch`. */
  watcher?: FileWatcher;
}

const SERVE_OPTIONS = {
  config: { type: 'string', short: 'c', default: 'conduit.yaml' },
  transport: { type: 'string', short: 't', default: 'stdio' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  'log-level': { type: 'string', short: 'l' },
} as const;

/**
 * `conduit serve`: loads the config, starts the gateway and runs until SIGINT/SIGTERM (or, with stdio,
 * until the client closes stdin); then shuts down gracefully and returns 0.
 */
export async function serveCommand(args: string[], io: CliIo, deps: ServeDeps = {}): Promise<number> {
  // Both listen from the first moment: a SIGHUP or the end of stdin during start-up is not lost.
  const held = holdReloadRequests(io);
  const stdinEnd = noticeStdinEnd(deps.onStdinEnd);
  try {
    return await serve(args, io, deps, held, stdinEnd);
  } catch (err) {
    held.stop();
    throw err;
  } finally {
    stdinEnd.stop();
  }
}

async function serve(
  args: string[],
  io: CliIo,
  deps: ServeDeps,
  held: HeldReloads,
  stdinEnd: StdinEnd,
): Promise<number> {
  const { values } = usageErrors(
    'serve',
    () =>
      parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: SERVE_OPTIONS,
      }),
    Object.keys(SERVE_OPTIONS),
    'config',
  );
  const transport = values.transport;
  if (transport !== 'stdio' && transport !== 'http')
    throw new UsageError('--transport must be stdio or http', 'serve');
  const port = portOption(values.port, 'serve');
  if ((port !== undefined || values.host !== undefined) && transport !== 'http')
    throw new UsageError('--port and --host apply to --transport http only', 'serve');
  const flagLevel = logLevelOption(values['log-level'], '--log-level', 'serve');
  const envLevel = logLevelOption(io.env.LOG_LEVEL, 'LOG_LEVEL', 'serve');

  const config = await loadConfig(values.config, { env: io.env });
  // One secret set for the gateway and the log: whatever code logs a value from ${ENV}, the line
  // shows [REDACTED] (in every encoding the gateway knows); a reload's new values join it.
  const { Redactor, SecretSet, scrubJsonLine } = await import('../http/index.js');
  const secrets = new SecretSet(configSecrets(config));
  const lineScrub = new Redactor([], [], [], secrets);
  const level = flagLevel ?? envLevel ?? config.logging.level;
  const baseLogger: Logger = (deps.createLogger ?? createLogger)({
    level,
    name: 'conduit',
    scrub: (line) => scrubJsonLine(line, lineScrub),
  });
  // An outage can fail thousands of calls a second: identical failures become one count per interval.
  const interval = config.logging.summaryInterval;
  const summarized = interval > 0 ? summarizingLogger(baseLogger, { intervalMs: interval }) : undefined;
  const logger: Logger = summarized ?? baseLogger;
  held.useLogger(logger);
  // Loaded lazily: `validate` and `--help` should not pay for the MCP SDK.
  const { startGateway } = await import('../mcp/index.js');
  let running: Awaited<ReturnType<typeof startGateway>>;
  try {
    running = await startGateway(config, {
      transport,
      logger,
      secrets,
      ...(port !== undefined ? { port } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
    });
  } catch (err) {
    // The hint may quote the error's port or address, which may come from ${ENV}: scrubbed whole.
    const why = lineScrub.scrub(`${errorMessage(err)}${listenHint(err, transport)}`);
    const { message: _, ...fields } = serveFailureOf(err, ExitCode.RUNTIME);
    logger.error({ ...fields, err: why }, 'gateway failed to start');
    // Over stdio, stderr holds JSON log lines only; with HTTP a person started it and reads this line.
    if (transport === 'http') io.stderr(`conduit serve: could not start: ${why}\n`);
    // Silent is for the running gateway's lines: one that never ran still says why, as a log line.
    else if (level === 'silent') io.stderr(`${failureLine({ ...fields, message: why })}\n`);
    held.stop();
    return ExitCode.RUNTIME;
  }
  if (running.url) {
    // What tools/list answers: the configured tools and those the gateway serves itself.
    const tools = running.gateway.toolNames.length;
    logger.info({ url: running.url, tools }, 'MCP Streamable HTTP server listening');
    io.stderr(
      `Conduit MCP server on ${running.url} (${tools} tool${tools === 1 ? '' : 's'}); Ctrl-C to stop\n`,
    );
  }

  // Signal listeners stay attached during close() so a second signal can force the exit.
  const cleanups: (() => void)[] = [
    // Each reload answers an operator's SIGHUP or edit: its lines are never summarised as repeats
    // (trying the same broken file twice must say twice why it was refused).
    await startReloads(running, io, {
      file: values.config,
      config,
      logger: baseLogger,
      watcher: deps.watcher,
      held,
      binding: { transport, port, host: values.host },
    }),
  ];
  const reason = await new Promise<string>((resolve) => {
    let stops = 0;
    const stop = (why: string) => {
      stops++;
      if (stops === 1) resolve(why);
      else if (why !== 'stdin closed') {
        logger.warn({ signal: why }, 'second stop request: exiting without waiting for calls in flight');
        io.exit?.(ExitCode.FORCED);
      }
    };
    if (io.onStopRequest) cleanups.push(io.onStopRequest(stop));
    if (transport === 'stdio') stdinEnd.onEnd(() => stop('stdin closed'));
  });
  logger.info({ reason }, 'shutting down');
  try {
    await running.close();
  } finally {
    for (const cleanup of cleanups) cleanup();
  }
  summarized?.close();
  logger.info({}, 'stopped');
  return ExitCode.OK;
}
