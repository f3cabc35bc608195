// Preloaded (`node --import`, see crashMonitorArgs in guard.ts) into every gateway process the chaos
// suite spawns. Node's own crash output names neither "unhandled rejection" nor "uncaught exception"
// for an Error (it prints the throwing source line and the stack), so a stderr scan alone would miss
// both: this monitor writes one marker line first. `uncaughtExceptionMonitor` only observes, so the
// process still crashes as it would without it, and it fires for unhandled rejections too (Node's
// default mode raises them as uncaught exceptions). The exit line lets a test check the exit code of a
// process it cannot wait on itself (the SDK's stdio transport owns that child).
process.on('uncaughtExceptionMonitor', (err, origin) => {
  const what = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`\nCONDUIT-CHAOS-CRASH ${origin}: ${what.split('\n').join(' | ')}\n`);
});
process.on('exit', (code) => {
  process.stderr.write(`\nCONDUIT-CHAOS-EXIT ${code}\n`);
});
