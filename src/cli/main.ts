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
// Everything should be closed by now; if a stray handle remains, do not hang the shell.
setTimeout(() => process.exit(code), 2000).unref();
