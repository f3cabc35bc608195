import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Records every unhandled rejection and uncaught exception in this test process; the suite asserts
 * the list is empty at the end of each file. Spawned gateways are checked by scanning their stderr.
 */
export const processFailures: string[] = [];

let installed = false;
export function installProcessGuard(): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    processFailures.push(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  });
  process.on('uncaughtException', (err) => {
    processFailures.push(`uncaughtException: ${err.stack ?? String(err)}`);
  });
}

/**
 * Node options that preload `crash-monitor.mjs` into a spawned gateway (they go before the script):
 * it writes a `CONDUIT-CHAOS-CRASH` line on an uncaught exception or unhandled rejection, and a
 * `CONDUIT-CHAOS-EXIT <code>` line when the process exits.
 */
export const crashMonitorArgs: readonly string[] = [
  '--import',
  pathToFileURL(join(import.meta.dirname, 'crash-monitor.mjs')).href,
];

/**
 * Lines of a gateway's stderr that report a crash-class failure: the monitor's marker, and Node's own
 * crash output for a process started without it (`UnhandledPromiseRejection`, the `Node.js vX` footer
 * Node prints after a fatal exception, V8 fatal errors).
 */
export function crashLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) =>
      /CONDUIT-CHAOS-CRASH|unhandled ?(promise ?)?rejection|ERR_UNHANDLED_REJECTION|uncaught ?exception|FATAL ERROR|RangeError: Maximum call stack|^Node\.js v\d/i.test(
        l,
      ),
    );
}

/** The exit code the crash monitor saw (its last `CONDUIT-CHAOS-EXIT` line), or undefined. */
export function monitoredExitCode(stderr: string): number | undefined {
  const codes = [...stderr.matchAll(/^CONDUIT-CHAOS-EXIT (\d+)$/gm)];
  return codes.length ? Number(codes.at(-1)![1]) : undefined;
}
