import type { MetricsRegistry as Registry } from './registry.js';
import type { HttpMetricsEvent } from '../http/index.js';
import { BufferedCounter, type CounterSlot } from './buffered-counter.js';
import { LATENCY_BUCKETS_SECONDS } from './buckets.js';
import { FastHistogram } from './fast-histogram.js';
import { LabelGuard, OTHER_LABEL } from './label-guard.js';

interface RouteSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly duration: { observe(value: number): void };
  readonly retries: CounterSlot;
  /** By final status (number) or error code (string). */
  readonly byStatus: Map<number | string, CounterSlot>;
  /** Calls refused before any request left the process, by error code. */
  readonly rejected: Map<string, CounterSlot>;
}

const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,47}$/;

/**
 * `upstream_requests_total{upstream,method,route,status}`, `upstream_request_duration_seconds` and
 * `upstream_retries_total{upstream,method,route}` for calls that reached the upstream, and
 * `upstream_rejections_total{upstream,method,route,code}` for calls refused before any request was
 * sent (an open breaker, a rate-limit hold, a full bulkhead), fed by the HTTP client's `onMetrics`
 * hook. Keeping the two apart keeps the request count equal to what the upstream saw.
 */
export class HttpMetrics {
  private readonly requests = new BufferedCounter();
  private readonly retries = new BufferedCounter();
  private readonly rejections = new BufferedCounter();
  private readonly duration: FastHistogram;
  private readonly tree = new Map<string, Map<string, Map<string, RouteSeries>>>();
  private readonly routeGuards = new Map<string, LabelGuard>();
  private readonly upstreams: LabelGuard;
  private readonly codes: LabelGuard;
  private readonly others = new Map<string, RouteSeries>();

  constructor(
    registry: Registry,
    prefix: string,
    private readonly maxRoutesPerUpstream: number,
    private readonly warn: (what: string) => void,
  ) {
    const { requests, retries, rejections } = this;
    requests.register(registry, {
      name: `${prefix}upstream_requests_total`,
      help: 'Calls to upstream APIs by upstream, method, route template and final status (or error code when no response arrived), retries included in one call.',
      labelNames: ['upstream', 'method', 'route', 'status'],
    });
    retries.register(registry, {
      name: `${prefix}upstream_retries_total`,
      help: 'Retries of upstream calls (attempts beyond the first).',
      labelNames: ['upstream', 'method', 'route'],
    });
    rejections.register(registry, {
      name: `${prefix}upstream_rejections_total`,
      help: 'Upstream calls refused before any request was sent (open breaker, rate limit, full bulkhead), by error code; not in upstream_requests_total.',
      labelNames: ['upstream', 'method', 'route', 'code'],
    });
    this.duration = new FastHistogram(
      `${prefix}upstream_request_duration_seconds`,
      'Upstream call duration in seconds, all attempts and backoff included.',
      LATENCY_BUCKETS_SECONDS,
      registry,
    );
    this.upstreams = new LabelGuard(200, (v) =>
      warn(`more than 200 upstream names (latest ${JSON.stringify(v)})`),
    );
    this.codes = new LabelGuard(48, (v) => warn(`more than 48 distinct error codes (latest ${v})`));
  }

  record(e: HttpMetricsEvent): void {
    const s = this.route(e.upstream, e.method, e.route);
    if (e.attempts === 0) {
      this.recordRejection(s, e.errorCode ?? 'UNKNOWN');
      return;
    }
    const key = e.status ?? e.errorCode ?? 'UNKNOWN';
    let slot = s.byStatus.get(key);
    if (slot === undefined) {
      slot = this.requests.slot({ ...s.labels, status: this.statusLabel(key) });
      s.byStatus.set(key, slot);
    }
    slot.inc();
    if (e.attempts > 1) s.retries.inc(e.attempts - 1);
    s.duration.observe(e.durationMs / 1000);
  }

  private recordRejection(s: RouteSeries, code: string): void {
    let slot = s.rejected.get(code);
    if (slot === undefined) {
      slot = this.rejections.slot({ ...s.labels, code: this.statusLabel(code) });
      s.rejected.set(code, slot);
    }
    slot.inc();
  }

  private statusLabel(key: number | string): string {
    if (typeof key === 'number')
      return Number.isInteger(key) && key >= 100 && key <= 599 ? String(key) : 'invalid';
    return ERROR_CODE.test(key) ? this.codes.value(key) : OTHER_LABEL;
  }

  private route(upstream: string, method: string, route: string): RouteSeries {
    let byMethod = this.tree.get(upstream);
    let byRoute = byMethod?.get(method);
    const found = byRoute?.get(route);
    if (found !== undefined) return found;
    const u = this.upstreams.value(upstream);
    let guard = this.routeGuards.get(u);
    if (guard === undefined) {
      guard = new LabelGuard(this.maxRoutesPerUpstream, (v) =>
        this.warn(
          `upstream "${u}" has more than ${this.maxRoutesPerUpstream} routes (latest ${JSON.stringify(v.slice(0, 80))}); pass path templates ("/users/{id}") with params, not expanded paths`,
        ),
      );
      this.routeGuards.set(u, guard);
    }
    const m = /^[A-Z]{1,16}$/.test(method) ? method : OTHER_LABEL;
    const r = guard.value(route);
    const labels = { upstream: u, method: m, route: r };
    if (u === OTHER_LABEL || r === OTHER_LABEL || m === OTHER_LABEL) {
      // Overflowing names share one series per label set and are not remembered one by one.
      const k = `${u}\u0000${m}\u0000${r}`;
      let other = this.others.get(k);
      if (other === undefined) {
        other = this.bind(labels);
        this.others.set(k, other);
      }
      return other;
    }
    const s = this.bind(labels);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.tree.set(upstream, byMethod);
    }
    if (byRoute === undefined) {
      byRoute = new Map();
      byMethod.set(method, byRoute);
    }
    byRoute.set(route, s);
    return s;
  }

  private bind(labels: Record<string, string>): RouteSeries {
    return {
      labels,
      duration: this.duration.bind(labels),
      retries: this.retries.slot(labels),
      byStatus: new Map(),
      rejected: new Map(),
    };
  }
}
