import { ConfigError } from '../core/index.js';

/** How the closed breaker decides to open. */
export type BreakerModel =
  | {
      /** Open after `threshold` failures in a row. */
      kind: 'consecutive';
      threshold: number;
    }
  | {
      /** Failure rate over the last `size` calls. */
      kind: 'count';
      size: number;
      /** Opens when failures / calls >= this (0..1). */
      failureRateThreshold: number;
      /** Never opens with fewer calls in the window. Default `size`. */
      minimumCalls?: number;
      /** Also opens when slow calls / calls >= this (0..1); needs the breaker's `slowCallMs`. */
      slowCallRateThreshold?: number;
    }
  | {
      /** Failure rate over the last `windowMs`, kept in `buckets` slices that expire one by one. */
      kind: 'time';
      windowMs: number;
      /** Default 10. */
      buckets?: number;
      failureRateThreshold: number;
      /** Never opens with fewer calls in the window. Default 10. */
      minimumCalls?: number;
      /** Also opens when slow calls / calls >= this (0..1); needs the breaker's `slowCallMs`. */
      slowCallRateThreshold?: number;
    };

/** Counts of a window at one moment. */
export interface WindowStats {
  calls: number;
  failures: number;
  /** Calls slower than `slowCallMs` (they also count as failures). */
  slowCalls: number;
  consecutiveFailures: number;
}

/** @internal One failure model's bookkeeping. */
export interface OutcomeWindow {
  /** Records an outcome; returns true when the breaker should open. */
  record(failure: boolean, slow: boolean, now: number): boolean;
  stats(now: number): WindowStats;
  reset(): void;
}

/** @internal */
export function createWindow(model: BreakerModel): OutcomeWindow {
  switch (model.kind) {
    case 'consecutive':
      return consecutiveWindow(model.threshold);
    case 'count':
      return countWindow(
        model.size,
        model.failureRateThreshold,
        model.minimumCalls ?? model.size,
        slowRate(model.slowCallRateThreshold),
      );
    case 'time':
      return timeWindow(
        model.windowMs,
        model.buckets ?? 10,
        model.failureRateThreshold,
        model.minimumCalls ?? 10,
        slowRate(model.slowCallRateThreshold),
      );
    default:
      throw new ConfigError(
        `circuitBreaker: model.kind must be 'consecutive', 'count' or 'time' (got ${String((model as { kind?: unknown }).kind)})`,
      );
  }
}

// Slow calls already count as failures; a separate slow-call rate can open the breaker earlier.
// Without one, the slow-rate test never passes (threshold above 1).
function slowRate(rate: number | undefined): number {
  if (rate === undefined) return 2;
  if (!(rate > 0 && rate <= 1))
    throw new ConfigError(`circuitBreaker: slowCallRateThreshold must be in (0, 1], e.g. 0.3 (got ${rate})`);
  return rate;
}

function checkRate(rate: number): void {
  if (!(rate > 0 && rate <= 1))
    throw new ConfigError(
      `circuitBreaker: failureRateThreshold must be in (0, 1], e.g. 0.5 for 50% (got ${rate})`,
    );
}

function consecutiveWindow(threshold: number): OutcomeWindow {
  if (!(Number.isInteger(threshold) && threshold >= 1))
    throw new ConfigError(`circuitBreaker: consecutive threshold must be an integer >= 1 (got ${threshold})`);
  let consecutive = 0;
  let calls = 0;
  let failures = 0;
  let slowCalls = 0;
  return {
    record(failure, slow) {
      calls++;
      if (slow) slowCalls++;
      if (failure || slow) {
        failures++;
        consecutive++;
        return consecutive >= threshold;
      }
      consecutive = 0;
      return false;
    },
    stats: () => ({ calls, failures, slowCalls, consecutiveFailures: consecutive }),
    reset() {
      consecutive = calls = failures = slowCalls = 0;
    },
  };
}

const FAIL = 1;
const SLOW = 2;

function countWindow(size: number, rate: number, minimumCalls: number, slowRateMax: number): OutcomeWindow {
  if (!(Number.isInteger(size) && size >= 1))
    throw new ConfigError(`circuitBreaker: count window size must be an integer >= 1 (got ${size})`);
  checkRate(rate);
  if (!(Number.isInteger(minimumCalls) && minimumCalls >= 1 && minimumCalls <= size))
    throw new ConfigError(
      `circuitBreaker: minimumCalls must be an integer in [1, size=${size}] (got ${minimumCalls})`,
    );
  // A ring of outcome flags with running totals: O(1) per call, no allocation.
  const ring = new Uint8Array(size);
  let next = 0;
  let calls = 0;
  let failures = 0;
  let slowCalls = 0;
  let consecutive = 0;
  return {
    record(failure, slow) {
      if (calls === size) {
        const old = ring[next]!;
        if (old & FAIL) failures--;
        if (old & SLOW) slowCalls--;
      } else calls++;
      const bad = failure || slow;
      ring[next] = (bad ? FAIL : 0) | (slow ? SLOW : 0);
      next = next + 1 === size ? 0 : next + 1;
      if (bad) {
        failures++;
        consecutive++;
      } else consecutive = 0;
      if (slow) slowCalls++;
      return bad && calls >= minimumCalls && (failures / calls >= rate || slowCalls / calls >= slowRateMax);
    },
    stats: () => ({ calls, failures, slowCalls, consecutiveFailures: consecutive }),
    reset() {
      ring.fill(0);
      next = calls = failures = slowCalls = consecutive = 0;
    },
  };
}

function timeWindow(
  windowMs: number,
  buckets: number,
  rate: number,
  minimumCalls: number,
  slowRateMax: number,
): OutcomeWindow {
  if (!(windowMs > 0)) throw new ConfigError(`circuitBreaker: time windowMs must be > 0 (got ${windowMs})`);
  if (!(Number.isInteger(buckets) && buckets >= 1 && buckets <= 1000))
    throw new ConfigError(`circuitBreaker: buckets must be an integer in [1, 1000] (got ${buckets})`);
  checkRate(rate);
  if (!(Number.isInteger(minimumCalls) && minimumCalls >= 1))
    throw new ConfigError(`circuitBreaker: minimumCalls must be an integer >= 1 (got ${minimumCalls})`);
  const sliceMs = windowMs / buckets;
  const bCalls = new Uint32Array(buckets);
  const bFailures = new Uint32Array(buckets);
  const bSlow = new Uint32Array(buckets);
  let calls = 0;
  let failures = 0;
  let slowCalls = 0;
  let consecutive = 0;
  let epoch = Number.NEGATIVE_INFINITY;

  // Expires the slices that fell out of the window since the last call: O(1) amortised.
  const roll = (now: number) => {
    const e = Math.floor(now / sliceMs);
    if (e <= epoch) return;
    const steps = epoch === Number.NEGATIVE_INFINITY ? buckets : Math.min(buckets, e - epoch);
    for (let i = 1; i <= steps; i++) {
      const idx = (((e - steps + i) % buckets) + buckets) % buckets;
      calls -= bCalls[idx]!;
      failures -= bFailures[idx]!;
      slowCalls -= bSlow[idx]!;
      bCalls[idx] = 0;
      bFailures[idx] = 0;
      bSlow[idx] = 0;
    }
    epoch = e;
  };

  return {
    record(failure, slow, now) {
      roll(now);
      const idx = ((epoch % buckets) + buckets) % buckets;
      const bad = failure || slow;
      bCalls[idx]!++;
      calls++;
      if (bad) {
        bFailures[idx]!++;
        failures++;
        consecutive++;
      } else consecutive = 0;
      if (slow) {
        bSlow[idx]!++;
        slowCalls++;
      }
      return bad && calls >= minimumCalls && (failures / calls >= rate || slowCalls / calls >= slowRateMax);
    },
    stats(now) {
      roll(now);
      return { calls, failures, slowCalls, consecutiveFailures: consecutive };
    },
    reset() {
      bCalls.fill(0);
      bFailures.fill(0);
      bSlow.fill(0);
      calls = failures = slowCalls = consecutive = 0;
      epoch = Number.NEGATIVE_INFINITY;
    },
  };
}
