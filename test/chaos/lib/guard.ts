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

/** Lines of a gateway's stderr that report a crash-class failure. */
export function crashLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) =>
      /unhandled ?rejection|uncaught ?exception|FATAL ERROR|RangeError: Maximum call stack/i.test(l),
    );
}
