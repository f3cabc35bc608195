#!/usr/bin/env node
/** The `conduit` command (package.json bin). See `conduit --help` and docs/cli.md. */
import { countEarlyHangups } from './early-hangups.js';

// Only `serve` reloads on SIGHUP; for it, one that arrives while the modules below load is held.
const early = process.argv[2] === 'serve' ? countEarlyHangups() : undefined;
const { processIo } = await import('./io.js');
const { runCli } = await import('./run.js');

const io = processIo(early, { quietPipe: process.argv[2] !== 'serve' });
const code = await runCli(process.argv.slice(2), io, {
  onStdinEnd(listener) {
    process.stdin.once('end', listener);
    process.stdin.once('close', listener);
    return () => {
      process.stdin.off('end', listener);
      process.stdin.off('close', listener);
    };
  },
});
// A serve that never listened (a usage error, a config refused) leaves SIGHUP to its default again.
early?.takeOver();
process.exitCode = code;
// Everything should be closed by now and the process ends by itself. If a stray handle keeps it
// alive, say so (a bug to report) rather than hang the shell.
// Over stdio it is a JSON line, as every other line on serve's stderr there.
const { failsAsJson, logLine } = await import('./failure-line.js');
const stray = 'a handle was still open 2 s after the command finished; exiting anyway';
const strayLine = failsAsJson(process.argv.slice(2), process.stderr.isTTY)
  ? logLine(40, stray, { exitCode: code })
  : `conduit: ${stray}`;
setTimeout(() => {
  process.stderr.write(`${strayLine}\n`);
  process.exit(code);
}, 2000).unref();
