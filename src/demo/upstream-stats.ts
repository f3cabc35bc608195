/** Requests seen by the API (control requests excluded). */
export interface UpstreamStats {
  requests: number;
  /** By route, e.g. `GET /assignments/{id}`. */
  byRoute: Record<string, number>;
  /** By answered status; faults that never answer (hang, reset) count under their kind. */
  byStatus: Record<string, number>;
  faultsInjected: number;
  /** Requests being handled or held (slow, hang) right now. */
  inFlight: number;
  created: number;
  updated: number;
  /** POSTs answered from the idempotency store. */
  idempotentReplays: number;
}

function emptyStats(): UpstreamStats {
  return {
    requests: 0,
    byRoute: {},
    byStatus: {},
    faultsInjected: 0,
    inFlight: 0,
    created: 0,
    updated: 0,
    idempotentReplays: 0,
  };
}

/** The upstream's counters, and who waits for a request count (no polling). */
export class StatsRecorder {
  current = emptyStats();
  private readonly waiters: { n: number; resolve: () => void }[] = [];

  /** Counts one API request and wakes those waiting for this many. */
  request(route: string): void {
    const s = this.current;
    s.requests++;
    s.byRoute[route] = (s.byRoute[route] ?? 0) + 1;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (s.requests >= w.n) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Counts an answer by status, or a fault that never answers by its kind. */
  outcome(statusOrKind: number | string): void {
    const by = this.current.byStatus;
    by[statusOrKind] = (by[statusOrKind] ?? 0) + 1;
  }

  snapshot(): UpstreamStats {
    const s = this.current;
    return { ...s, byRoute: { ...s.byRoute }, byStatus: { ...s.byStatus } };
  }

  /** Zeroes the counters; requests still running stay counted as in flight. */
  reset(): void {
    const inFlight = this.current.inFlight;
    this.current = emptyStats();
    this.current.inFlight = inFlight;
  }

  waitForRequests(n: number): Promise<void> {
    if (this.current.requests >= n) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push({ n, resolve }));
  }
}
