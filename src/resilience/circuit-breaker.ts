import { randomUUID } from 'node:crypto';
import {
  type Clock,
  ConfigError,
  isAbortError,
  type Logger,
  noopLogger,
  systemClock,
  errorForLog,
  Emitter,
} from '../core/index.js';
import {
  MemoryBreakerStateStore,
  type BreakerState,
  type BreakerStateStore,
  type SharedBreakerState,
  supersedes,
} from './breaker-store.js';
import {
  type ComposablePolicy,
  type ExecContext,
  type ExecuteOptions,
  executeRoot,
  type Operation,
  type PolicyContext,
  RUN,
} from './context.js';
import { CircuitOpenError } from './errors.js';
import { type BreakerModel, createWindow, type OutcomeWindow } from './failure-window.js';

/** Options of `circuitBreaker`. */
export interface BreakerOptions {
  /** Shown in errors, logs and snapshots. */
  name?: string;
  /** When the closed breaker opens. Default `{ kind: 'consecutive', threshold: 5 }`. */
  model?: BreakerModel;
  /** A call that takes longer than this counts as a failure (slow call), even if it succeeded. */
  slowCallMs?: number;
  /** How long the breaker stays open before admitting a probe. Default 30 000 ms. */
  recoveryMs?: number;
  /** Each reopen without closing in between multiplies the recovery time by this. Default 1 (constant). */
  recoveryMultiplier?: number;
  /** Cap of the growing recovery time. Default 10 × recoveryMs. */
  maxRecoveryMs?: number;
  /**
   * Probe calls allowed to run at once. A probe is a call admitted while the breaker is half-open; it
   * holds its slot until it settles, even if the breaker changed state meanwhile. Calls admitted while
   * closed are not probes and do not take slots. Default 1.
   */
  halfOpenMaxConcurrent?: number;
  /**
   * The retry hint (`retryAfterMs`) of a call rejected because every probe slot is taken: the
   * running probe decides the state soon, so this is short. Default `min(1000, recoveryMs)`. When a
   * `slowCallMs` is set and smaller, that is used (a probe slower than it fails anyway).
   */
  probeWaitMs?: number;
  /** Successful probes needed to close again. Default 1. */
  successThreshold?: number;
  /**
   * Whether an error counts as a failure. Errors that do not count are treated as successes (the
   * dependency answered). Default: every error. Aborts by the caller never count either way.
   */
  isFailure?: (error: unknown) => boolean;
  /**
   * Errors that say nothing about the dependency's health either way, counted neither as a failure
   * nor as a success (like aborts): e.g. a 429 — the upstream is up, it asked the caller to slow
   * down. A probe that ends so frees its slot and the breaker stays half-open. Default: none.
   */
  isNeutral?: (error: unknown) => boolean;
  /** Whether a returned result counts as a failure (e.g. a 503 response). Default: never. */
  isResultFailure?: (result: unknown) => boolean;
  /** Served instead of rejecting when the breaker rejects a call. */
  fallback?: (error: CircuitOpenError, ctx: PolicyContext) => unknown;
  /** Shared state seam; default a private `MemoryBreakerStateStore`. */
  store?: BreakerStateStore;
  /** This instance's id in shared records (tie-break between instances). Default a random UUID. */
  instanceId?: string;
  clock?: Clock;
  logger?: Logger;
}

/** A state change, as emitted on `stateChange`. */
export interface StateChangeEvent {
  from: BreakerState;
  to: BreakerState;
  /** What caused it: 'failures', 'probe-failed', 'probe-succeeded', 'recovery-elapsed', 'isolate', 'reset', 'store'. */
  reason: string;
  at: number;
}

/** Breaker events. */
export interface BreakerEvents extends Record<string, unknown> {
  stateChange: StateChangeEvent;
  /** A call rejected by the breaker itself. */
  rejected: { error: CircuitOpenError };
  /** A call that counted as a failure. */
  failure: { error?: unknown; result?: unknown; slow: boolean };
  /** A call that counted as a success (an error `isFailure` rejected counts as one, with `error` set). */
  success: { error?: unknown; result?: unknown };
}

/** Everything a breaker knows, for dashboards and health endpoints. */
export interface BreakerSnapshot {
  name: string | undefined;
  state: BreakerState;
  /** Counts in the current window (the consecutive model: since it last closed). */
  calls: number;
  failures: number;
  slowCalls: number;
  consecutiveFailures: number;
  /** failures / calls, 0 when there were none. */
  failureRate: number;
  openedAt: number | undefined;
  /** When an open breaker admits its next probe. */
  nextAttemptAt: number | undefined;
  lastFailure: { at: number; name: string; code: string | undefined; message: string } | undefined;
  halfOpenInFlight: number;
  halfOpenSuccesses: number;
  reopenCount: number;
}

/** A circuit breaker. */
export interface CircuitBreaker extends ComposablePolicy {
  readonly name: string | undefined;
  /** The current state; an open breaker whose recovery time elapsed still reads 'open' until a call arrives. */
  readonly state: BreakerState;
  /** Forces the breaker open until `reset()`. */
  isolate(): void;
  /** Closes the breaker and clears its counts. */
  reset(): void;
  snapshot(): BreakerSnapshot;
  on<K extends keyof BreakerEvents>(event: K, listener: (e: BreakerEvents[K]) => void): () => void;
  /** Detaches from the store and drops listeners. The breaker schedules no timers itself. */
  dispose(): void;
}

class Breaker implements CircuitBreaker {
  readonly name: string | undefined;
  private st: BreakerState = 'closed';
  private gen = 0;
  private version = 0;
  private openedAt: number | undefined = undefined;
  private nextAttemptAt: number | undefined = undefined;
  private reopenCount = 0;
  private inFlight = 0;
  private successes = 0;
  /** Until when another instance's probe (its half-open, adopted from the store) stands for ours. */
  private peerProbeUntil = 0;
  private lastFailure: BreakerSnapshot['lastFailure'] = undefined;
  private readonly window: OutcomeWindow;
  private readonly windowNeedsTime: boolean;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly store: BreakerStateStore;
  private readonly unsubscribe: () => void;
  private readonly events: Emitter<BreakerEvents>;
  private readonly slowMs: number;
  private readonly recoveryMs: number;
  private readonly recoveryMultiplier: number;
  private readonly maxRecoveryMs: number;
  private readonly halfOpenMax: number;
  private readonly successThreshold: number;
  private readonly probeWaitMs: number;
  private readonly instanceId: string;
  /** The last shared record this instance wrote or adopted. */
  private current: SharedBreakerState | undefined = undefined;
  private readonly isFailure: ((e: unknown) => boolean) | undefined;
  private readonly isNeutral: ((e: unknown) => boolean) | undefined;
  private readonly isResultFailure: ((r: unknown) => boolean) | undefined;
  private readonly fallback: BreakerOptions['fallback'];

  constructor(o: BreakerOptions) {
    this.name = o.name;
    const model = o.model ?? { kind: 'consecutive', threshold: 5 };
    this.window = createWindow(model);
    this.windowNeedsTime = model.kind === 'time';
    this.clock = o.clock ?? systemClock;
    this.logger = (o.logger ?? noopLogger).child({ breaker: o.name });
    this.slowMs = o.slowCallMs ?? 0;
    this.recoveryMs = o.recoveryMs ?? 30_000;
    this.recoveryMultiplier = o.recoveryMultiplier ?? 1;
    this.maxRecoveryMs = o.maxRecoveryMs ?? this.recoveryMs * 10;
    this.halfOpenMax = o.halfOpenMaxConcurrent ?? 1;
    this.successThreshold = o.successThreshold ?? 1;
    this.probeWaitMs =
      o.probeWaitMs ??
      Math.min(1000, this.recoveryMs, this.slowMs > 0 ? this.slowMs : Number.POSITIVE_INFINITY);
    this.instanceId = o.instanceId ?? randomUUID();
    this.isFailure = o.isFailure;
    this.isNeutral = o.isNeutral;
    this.isResultFailure = o.isResultFailure;
    this.fallback = o.fallback;
    if (!(this.slowMs >= 0))
      throw new ConfigError(`circuitBreaker: slowCallMs must be >= 0 (got ${this.slowMs})`);
    if (!(this.recoveryMs >= 0))
      throw new ConfigError(`circuitBreaker: recoveryMs must be >= 0 (got ${this.recoveryMs})`);
    if (!(this.recoveryMultiplier >= 1))
      throw new ConfigError(
        `circuitBreaker: recoveryMultiplier must be >= 1 (got ${this.recoveryMultiplier})`,
      );
    if (!(this.maxRecoveryMs >= this.recoveryMs))
      throw new ConfigError(
        `circuitBreaker: maxRecoveryMs must be >= recoveryMs (got ${this.maxRecoveryMs})`,
      );
    if (!(Number.isInteger(this.halfOpenMax) && this.halfOpenMax >= 1))
      throw new ConfigError(
        `circuitBreaker: halfOpenMaxConcurrent must be an integer >= 1 (got ${this.halfOpenMax})`,
      );
    if (!(this.probeWaitMs >= 0))
      throw new ConfigError(`circuitBreaker: probeWaitMs must be >= 0 (got ${this.probeWaitMs})`);
    if (!(Number.isInteger(this.successThreshold) && this.successThreshold >= 1))
      throw new ConfigError(
        `circuitBreaker: successThreshold must be an integer >= 1 (got ${this.successThreshold})`,
      );
    this.events = new Emitter((err) =>
      this.logger.error({ err: errorForLog(err) }, 'breaker event listener threw'),
    );
    this.store = o.store ?? new MemoryBreakerStateStore();
    this.makeHandlers();
    const initial = this.store.get();
    if (initial) this.adopt(initial);
    this.unsubscribe = this.store.subscribe((r) => {
      if (supersedes(r, this.current)) this.adopt(r);
    });
  }

  get state(): BreakerState {
    return this.st;
  }

  execute<T>(fn: Operation<T>, options?: ExecuteOptions): Promise<T> {
    return executeRoot(this, fn, options);
  }

  [RUN]<T>(ctx: ExecContext, fn: Operation<T>): Promise<T> {
    if (this.st !== 'closed' || this.slowMs > 0) return this.runGuarded(ctx, fn);
    // Closed, no slow-call timing: the hot path. The settle handlers are made once per closed period
    // (they carry its generation), so a call allocates nothing but the promise `then` returns.
    let r: T | PromiseLike<T>;
    try {
      r = fn(ctx);
    } catch (error) {
      this.settleError(this.gen, false, 0, error);
      return Promise.reject(error);
    }
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<T>).then === 'function')
      return Promise.resolve(r).then(this.onOk as (v: T) => T, this.onErr);
    this.onOk(r);
    return Promise.resolve(r);
  }

  private onOk: (v: unknown) => unknown = () => undefined;
  private onErr: (e: unknown) => never = (e) => {
    throw e;
  };

  private makeHandlers(): void {
    const gen = this.gen;
    this.onOk = (v) => {
      this.settleResult(gen, false, 0, v);
      return v;
    };
    this.onErr = (e) => {
      this.settleError(gen, false, 0, e);
      throw e;
    };
  }

  private async runGuarded<T>(ctx: ExecContext, fn: Operation<T>): Promise<T> {
    if (this.st !== 'closed') {
      const rejection = this.admit();
      if (rejection) {
        this.events.emit('rejected', { error: rejection });
        if (this.fallback) return this.fallback(rejection, ctx) as T;
        throw rejection;
      }
    }
    const gen = this.gen;
    const probe = this.st === 'half-open';
    const start = this.slowMs > 0 ? this.clock.now() : 0;
    let result: T;
    try {
      result = await fn(ctx);
    } catch (error) {
      this.settleError(gen, probe, start, error);
      throw error;
    }
    this.settleResult(gen, probe, start, result);
    return result;
  }

  private settleResult(gen: number, probe: boolean, start: number, result: unknown): void {
    if (this.isResultFailure?.(result)) this.record(gen, probe, true, start, undefined, result);
    else this.record(gen, probe, false, start, undefined, result);
  }

  private settleError(gen: number, probe: boolean, start: number, error: unknown): void {
    // An abort says nothing about the dependency's health: it frees a probe slot and counts neither way.
    if (isAbortError(error) || this.isNeutral?.(error) === true) this.release(gen, probe);
    else if (this.isFailure === undefined || this.isFailure(error))
      this.record(gen, probe, true, start, error, undefined);
    else this.record(gen, probe, false, start, error, undefined);
  }

  /** Decides a call while not closed; returns the rejection, or undefined when admitted. */
  private admit(): CircuitOpenError | undefined {
    const now = this.clock.now();
    if (this.st === 'open' && now >= (this.nextAttemptAt ?? 0))
      this.transition('half-open', 'recovery-elapsed', now);
    if (this.st === 'half-open') {
      // Another instance is probing: its outcome decides for every instance, so none of ours is sent
      // unless that outcome does not come within a recovery time (that instance died mid-probe).
      if (this.inFlight < this.halfOpenMax && now >= this.peerProbeUntil) {
        this.inFlight++;
        return undefined;
      }
      // Every probe slot is taken: the running probe decides soon, so the hint is a short wait.
      return new CircuitOpenError({
        retryAt: now + this.probeWaitMs,
        now,
        state: 'half-open',
        breaker: this.name,
      });
    }
    if (this.st === 'isolated')
      return new CircuitOpenError({
        retryAt: Number.POSITIVE_INFINITY,
        now,
        state: 'isolated',
        breaker: this.name,
      });
    return new CircuitOpenError({
      retryAt: this.nextAttemptAt ?? now,
      now,
      state: 'open',
      breaker: this.name,
    });
  }

  private release(_gen: number, probe: boolean): void {
    // A probe holds its slot until it settles, whatever state the breaker is in by then.
    if (probe) this.inFlight--;
  }

  private record(
    gen: number,
    probe: boolean,
    failure: boolean,
    start: number,
    error: unknown,
    result: unknown,
  ): void {
    // Outcomes of calls admitted under an earlier state say nothing about the current one, but a
    // probe frees its slot whenever it settles.
    if (gen !== this.gen) {
      if (probe) this.inFlight--;
      return;
    }
    let now = 0;
    let slow = false;
    if (this.slowMs > 0) {
      now = this.clock.now();
      slow = now - start > this.slowMs;
    }
    if (failure || slow) {
      if (now === 0) now = this.clock.now();
      this.lastFailure = describeFailure(failure ? error : undefined, slow, now);
      if (this.events.has('failure')) this.events.emit('failure', { error, result, slow });
    } else if (this.events.has('success')) this.events.emit('success', { error, result });
    if (probe) {
      this.inFlight--;
      if (failure || slow) {
        this.reopenCount++;
        this.open('probe-failed', now);
      } else if (++this.successes >= this.successThreshold) {
        this.reopenCount = 0;
        this.transition('closed', 'probe-succeeded', this.clock.now());
      }
      return;
    }
    const t = this.windowNeedsTime && now === 0 ? this.clock.now() : now;
    if (this.window.record(failure, slow, t)) this.open('failures', t || this.clock.now());
  }

  private open(reason: string, now: number): void {
    this.openedAt = now;
    this.nextAttemptAt = now + this.recoveryDelay();
    this.transition('open', reason, now);
  }

  /** How long the breaker stays open now: the recovery time, grown by each reopen, capped. */
  private recoveryDelay(): number {
    return Math.min(this.maxRecoveryMs, this.recoveryMs * this.recoveryMultiplier ** this.reopenCount);
  }

  private transition(to: BreakerState, reason: string, now: number, fromStore = false): void {
    const from = this.st;
    this.st = to;
    this.gen++;
    this.successes = 0;
    this.peerProbeUntil = 0;
    if (to === 'closed') {
      this.makeHandlers();
      this.window.reset();
      this.openedAt = undefined;
      this.nextAttemptAt = undefined;
    }
    if (!fromStore) {
      // A hybrid logical clock: above every version seen here, and at least the transition's time, so
      // an instance that starts fresh (or whose Redis lost the key) is not outranked by peers that
      // counted higher before it existed: a later transition wins unless one causally after it exists.
      this.version = Math.max(this.version + 1, Math.floor(now));
      const record: SharedBreakerState = {
        state: to,
        openedAt: this.openedAt,
        nextAttemptAt: this.nextAttemptAt,
        reopenCount: this.reopenCount,
        version: this.version,
        writer: this.instanceId,
      };
      this.current = record;
      // A store failure (thrown or rejected) is logged; the call that caused the transition keeps its
      // own outcome.
      try {
        const write = this.store.set(record);
        if (write) write.catch(this.onStoreError);
      } catch (err) {
        this.onStoreError(err);
      }
    }
    this.logger.info({ from, to, reason }, 'circuit breaker state change');
    this.events.emit('stateChange', { from, to, reason, at: now });
  }

  private readonly onStoreError = (err: unknown): void => {
    this.logger.warn({ err: errorForLog(err) }, 'breaker store write failed');
  };

  private adopt(r: SharedBreakerState): void {
    this.current = { ...r };
    this.version = r.version;
    this.openedAt = r.openedAt;
    this.nextAttemptAt = r.nextAttemptAt;
    this.reopenCount = r.reopenCount;
    const now = this.clock.now();
    if (r.state !== this.st) this.transition(r.state, 'store', now, true);
    // Another instance went half-open: it sends the probe (docs/operations.md, shared breaker state).
    this.peerProbeUntil =
      r.state === 'half-open' && r.writer !== this.instanceId ? now + this.recoveryDelay() : 0;
  }

  isolate(): void {
    const now = this.clock.now();
    this.openedAt = now;
    this.nextAttemptAt = undefined;
    this.transition('isolated', 'isolate', now);
  }

  reset(): void {
    this.reopenCount = 0;
    this.transition('closed', 'reset', this.clock.now());
  }

  snapshot(): BreakerSnapshot {
    const s = this.window.stats(this.clock.now());
    return {
      name: this.name,
      state: this.st,
      calls: s.calls,
      failures: s.failures,
      slowCalls: s.slowCalls,
      consecutiveFailures: s.consecutiveFailures,
      failureRate: s.calls === 0 ? 0 : s.failures / s.calls,
      openedAt: this.openedAt,
      nextAttemptAt: this.nextAttemptAt,
      lastFailure: this.lastFailure,
      halfOpenInFlight: this.st === 'half-open' ? this.inFlight : 0,
      halfOpenSuccesses: this.st === 'half-open' ? this.successes : 0,
      reopenCount: this.reopenCount,
    };
  }

  on<K extends keyof BreakerEvents>(event: K, listener: (e: BreakerEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  dispose(): void {
    this.unsubscribe();
    this.events.clear();
  }
}

function describeFailure(error: unknown, slow: boolean, at: number): BreakerSnapshot['lastFailure'] {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      at,
      name: error.name,
      code: typeof code === 'string' ? code : undefined,
      message: error.message,
    };
  }
  if (error !== undefined) return { at, name: typeof error, code: undefined, message: String(error) };
  return {
    at,
    name: slow ? 'SlowCall' : 'ResultFailure',
    code: undefined,
    message: slow ? 'call slower than slowCallMs' : 'result counted as failure',
  };
}

/**
 * Creates a circuit breaker: closed → open (on failures) → half-open (after the recovery time, a
 * limited number of probes) → closed (enough successful probes) or open again (a failed probe, with
 * a recovery time growing by `recoveryMultiplier` up to `maxRecoveryMs`). It schedules no timers: the
 * open → half-open step happens when a call arrives after `nextAttemptAt`.
 */
export function circuitBreaker(options: BreakerOptions = {}): CircuitBreaker {
  return new Breaker(options);
}
