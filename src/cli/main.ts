#!/usr/bin/env node
/** The `conduit` command (package.json bin). See `conduit --help` and docs/cli.md. */
import { processIo } from './io.js';
import { runCli } from './run.js';

const io = processIo();
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
process.exitCode = code;
// Everything should be closed by now and the process ends by itself. If a stray handle keeps it
// alive, say so (a bug to report) rather than hang the shell.
setTimeout(() => {
  process.stderr.write('conduit: a handle was still open 2 s after the command finished; exiting anyway\n');
  process.exit(code);
}, 2000).unref();
