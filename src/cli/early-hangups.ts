/**
 * SIGHUPs counted from the first line of the `conduit` entry until `serve` listens for them itself.
 * The default action of SIGHUP ends the process, and loading the command's modules takes a while:
 * without this, a reload requested right after a start killed the gateway. No imports, so it is in
 * force before anything else loads.
 */
export interface EarlyHangups {
  /** Stops counting; returns how many arrived (the caller's own listener takes over). */
  takeOver(): number;
}

/** Starts counting SIGHUPs. */
export function countEarlyHangups(): EarlyHangups {
  let count = 0;
  const onSignal = () => {
    count++;
  };
  process.on('SIGHUP', onSignal);
  return {
    takeOver() {
      process.off('SIGHUP', onSignal);
      const arrived = count;
      count = 0;
      return arrived;
    },
  };
}
