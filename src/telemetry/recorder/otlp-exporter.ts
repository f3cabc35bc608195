import { Agent, type Dispatcher } from 'undici';
import {
  type Clock,
  ConfigError,
  isRefusedRequest,
  type Logger,
  systemClock,
  type TimerHandle,
} from '../../core/index.js';
import { spanJson } from './otlp-json.js';
import type { RecordedSpan } from './recorded-span.js';
import { BATCH_BYTES, SpanBatch } from './span-batch.js';

/** Why spans were not sent: the queue held no more (`queue_full`), or their batch failed for good. */
export type SpanDropReason = 'queue_full' | 'export_failed';

/** Where and how ended spans are sent: OTLP/HTTP with the JSON encoding. */
export interface OtlpExporterOptions {
  /** The traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  endpoint: string;
  /** Sent with every export (a collector's key): never logged. */
  headers?: Readonly<Record<string, string>>;
  /** How long one export request may take, and `close()`'s final export in all. Default 10 s. */
  timeoutMs?: number;
  /** Spans per request. Default 512. */
  maxBatch?: number;
  /** Spans held while the receiver is slow or down; past it new spans are dropped (and counted). Default 2048. */
  maxQueue?: number;
  /**
   * Bytes the waiting spans' buffers may take (1 MiB per shared batch buffer, a span too large for
   * one its own size); a span that would take more is dropped (and counted). Default 16 MiB.
   */
  maxQueueBytes?: number;
  /** How long an ended span waits for a full batch. Default 1 s. */
  delayMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** Told of spans that will never be sent, as they are given up (a metric counts them). */
  onDropped?: (spans: number, reason: SpanDropReason) => void;
  /** Tests: the dispatcher requests go through. Default: an agent of the exporter's own. */
  dispatcher?: Dispatcher;
}

/** How a batch's last attempt failed: the status the receiver answered, or the error's code. */
interface Failure {
  attempts: number;
  status?: number;
  code?: string;
}

/** Statuses the OTLP/HTTP spec calls retryable. */
const RETRYABLE = new Set([429, 502, 503, 504]);
/** Attempts per batch while the exporter runs (one at close). */
const ATTEMPTS = 3;
const BACKOFF_MS = 1000;
/**
 * Default `maxQueueBytes`. Spans of ordinary calls reach `maxQueue` first (2048 of them fill about 5
 * batch buffers); the bytes bound is for spans a client made large (values up to 4096 units, 128 of
 * them per span and per event), which 2048 at a time could otherwise make gigabytes.
 */
const MAX_QUEUE_BYTES = 16 << 20;

/**
 * The headers of every export: the configured ones by lower-case name (HTTP names are
 * case-insensitive, so `User-Agent` replaces ours instead of going out beside it), copied so later
 * changes to the caller's object are not sent; `content-type` is always JSON, which is what is sent.
 */
function requestHeaders(configured: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'conduit-mcp' };
  for (const name in configured) headers[name.toLowerCase()] = configured[name]!;
  headers['content-type'] = 'application/json';
  return headers;
}

/**
 * Batches ended spans and posts them to an OTLP/HTTP receiver, one request at a time: a batch goes
 * when `maxBatch` spans wait or `delayMs` after the first of them. A failed request is retried
 * (retryable statuses and network errors, with backoff) while the exporter runs; a batch that still
 * fails is dropped, counted and logged by the status or error code only (the endpoint, its host too, and
 * the headers may carry secrets: a whole endpoint from `${ENV}` is one secret, which no scrub of its
 * parts would find). At close each batch has one
 * attempt, all of them within `timeoutMs`.
 */
export class OtlpExporter {
  /** The batch spans are written into, and the closed ones waiting for their request. */
  private open: SpanBatch | undefined;
  private readonly closed: SpanBatch[] = [];
  /** Spans in `open` and `closed`. */
  private waiting = 0;
  /** Bytes of the buffers of `open` and `closed`. */
  private held = 0;
  private readonly prefixBytes: number;
  /** Buffers of sent batches, for the next ones. */
  private readonly spare: Buffer[] = [];
  private running: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private dropped = 0;
  private closing = false;
  private readonly headers: Record<string, string>;
  private readonly dispatcher: Dispatcher;
  private readonly ownDispatcher: boolean;
  private readonly clock: Clock;
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly maxQueueBytes: number;
  private readonly delayMs: number;
  private readonly timeoutMs: number;
  private readonly origin: string;
  private readonly path: string;
  /** The final export, once `close()` began it. */
  private closingDone: Promise<void> | undefined;
  /** Aborts the final export's requests `timeoutMs` after `close()` began. */
  private finalDeadline: AbortSignal | undefined;
  /** Spans the final export gave up, and the failure that began it: one warning at the end. */
  private lost = 0;
  private lostTo: Failure | undefined;
  /** Ends a retry's backoff early (at close). */
  private wake: (() => void) | undefined;
  private kicked = false;
  private readonly sendFull = () => {
    this.kicked = false;
    void this.drain(false);
  };
  private readonly sendQueued = () => {
    this.timer = undefined;
    void this.drain(true);
  };

  constructor(
    private readonly prefix: string,
    private readonly options: OtlpExporterOptions,
  ) {
    this.headers = requestHeaders(options.headers);
    this.ownDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? new Agent({ connections: 2 });
    this.clock = options.clock ?? systemClock;
    this.maxBatch = options.maxBatch ?? 512;
    this.maxQueue = options.maxQueue ?? 2048;
    this.maxQueueBytes = options.maxQueueBytes ?? MAX_QUEUE_BYTES;
    this.prefixBytes = Buffer.byteLength(prefix, 'utf8');
    this.delayMs = options.delayMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const url = new URL(options.endpoint);
    // The origin would drop them silently; the message does not quote the URL (it holds a secret).
    if (url.username !== '' || url.password !== '')
      throw new ConfigError(
        'the OTLP endpoint may not carry credentials (user:password@): pass them in headers',
      );
    this.origin = url.origin;
    this.path = `${url.pathname}${url.search}`;
  }

  /** Bytes the buffers of the spans waiting to be sent take (at most `maxQueueBytes`). */
  get queuedBytes(): number {
    return this.held;
  }

  /**
   * Takes an ended span: its JSON is written into the open batch now. A full batch goes on the next
   * turn of the loop, a partial one after the delay. Past `maxQueue` spans, or when the span would
   * take a buffer beyond `maxQueueBytes`, it is dropped and counted.
   */
  add(span: RecordedSpan): void {
    if (this.closing) return;
    if (this.waiting >= this.maxQueue || !this.write(spanJson(span))) {
      this.dropped++;
      this.options.onDropped?.(1, 'queue_full');
      return;
    }
    this.waiting++;
    if (this.open !== undefined && this.open.spans >= this.maxBatch) this.closeOpen();
    if (this.closed.length > 0) this.kick();
    else if (this.timer === undefined && this.running === undefined)
      this.timer = this.clock.setTimeout(this.sendQueued, this.delayMs);
  }

  /**
   * Writes one span's JSON into the open batch, else into a new one (the open one is closed first, so
   * spans go in the order they ended), else, larger than a shared buffer holds, into a batch of its
   * own. False, with nothing written, when a new buffer would pass `maxQueueBytes`.
   */
  private write(json: string): boolean {
    if (this.open !== undefined && this.open.fits(json)) {
      this.open.add(json);
      return true;
    }
    const shared = SpanBatch.fitsShared(this.prefixBytes, json);
    const bytes = shared ? BATCH_BYTES : SpanBatch.singleBytes(this.prefixBytes, json);
    if (this.held + bytes > this.maxQueueBytes) return false;
    this.closeOpen();
    this.held += bytes;
    if (shared) {
      this.open = SpanBatch.open(this.prefix, this.spare.pop());
      this.open.add(json);
    } else this.closed.push(SpanBatch.single(this.prefix, json, bytes));
    return true;
  }

  /** Closes the open batch, if any (it holds a span: a batch is opened with one). */
  private closeOpen(): void {
    if (this.open !== undefined) this.closed.push(this.open);
    this.open = undefined;
  }

  /** Sends everything queued (after a request in flight). Never rejects. */
  flush(): Promise<void> {
    this.cancelTimer();
    return this.drain(true);
  }

  /**
   * The final export: each queued batch gets one attempt (a batch in its backoff at once), all within
   * `timeoutMs` of this call, so a receiver that is down or never answers cannot hold a shutdown
   * longer; once one fails, the batches behind it are given up unsent. What is given up is counted and
   * logged in one warning. Then the connections close. Idempotent; never rejects.
   */
  close(): Promise<void> {
    this.closingDone ??= this.finalExport();
    return this.closingDone;
  }

  private async finalExport(): Promise<void> {
    this.closing = true;
    const deadline = new AbortController();
    this.finalDeadline = deadline.signal;
    // Held: the caller awaits close(), and the timer is what bounds it.
    const timer = this.clock.setTimeout(
      () => deadline.abort(new DOMException('the final export took longer than timeoutMs', 'TimeoutError')),
      this.timeoutMs,
      { keepAlive: true },
    );
    this.wake?.();
    try {
      await this.flush();
    } finally {
      this.clock.clearTimeout(timer);
    }
    if (this.lostTo !== undefined) this.warnFailed(this.lost, this.lostTo);
    if (this.ownDispatcher) await this.dispatcher.close().catch(() => {});
  }

  /** Full batches go on the next turn of the event loop, not inside the `end()` that filled one. */
  private kick(): void {
    if (this.kicked || this.running !== undefined) return;
    this.kicked = true;
    this.cancelTimer();
    setImmediate(this.sendFull);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * One request at a time. Without `all`, only closed (full) batches are sent, so spans that arrive
   * while a request is in flight wait for a full batch (or the delay) instead of going out a few at a
   * time.
   */
  private async drain(all: boolean): Promise<void> {
    while (this.running !== undefined) await this.running;
    if (all) this.closeOpen();
    if (this.closed.length === 0) return;
    this.running = this.sendBatches().finally(() => {
      this.running = undefined;
      this.afterSend();
    });
    return this.running;
  }

  private afterSend(): void {
    if (this.closing) return;
    if (this.closed.length > 0) this.kick();
    else if (this.open !== undefined) this.timer ??= this.clock.setTimeout(this.sendQueued, this.delayMs);
  }

  private async sendBatches(): Promise<void> {
    for (let batch = this.closed.shift(); batch !== undefined; batch = this.closed.shift()) {
      // At close the receiver has had its one chance once a batch failed: the rest would only wait too.
      const failure = this.closing && this.lostTo !== undefined ? this.lostTo : await this.send(batch.body());
      if (failure !== undefined) this.giveUp(batch.spans, failure);
      this.waiting -= batch.spans;
      this.held -= batch.bytes;
      const buffer = batch.release();
      if (buffer !== undefined && this.spare.length < 2) this.spare.push(buffer);
    }
    if (this.dropped > 0) {
      this.options.logger?.warn(
        { dropped: this.dropped, maxQueue: this.maxQueue, maxQueueBytes: this.maxQueueBytes },
        'traces: spans dropped: more waited to be sent than the queue holds (the OTLP receiver is slower than the spans arrive, or they are large)',
      );
      this.dropped = 0;
    }
  }

  /** Posts one batch, retried while the exporter runs; how it failed for good, if it did. */
  private async send(body: Buffer): Promise<Failure | undefined> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.post(body);
      if (outcome.ok) return undefined;
      if (this.closing || attempt >= ATTEMPTS || !outcome.retryable)
        return outcome.status !== undefined
          ? { attempts: attempt, status: outcome.status }
          : { attempts: attempt, code: outcome.code ?? 'EXPORT_FAILED' };
      await this.backoff(BACKOFF_MS * 2 ** (attempt - 1));
    }
  }

  /** Counts a batch that will never be sent; at close, its warning waits for the final export's end. */
  private giveUp(spans: number, failure: Failure): void {
    this.options.onDropped?.(spans, 'export_failed');
    if (this.closing) {
      this.lost += spans;
      this.lostTo ??= failure;
    } else this.warnFailed(spans, failure);
  }

  private warnFailed(spans: number, failure: Failure): void {
    this.options.logger?.warn({ spans, ...failure }, 'traces: sending spans failed');
  }

  /**
   * The wait between attempts holds the process, as the request itself does: a script awaiting
   * `flush()` would otherwise end mid-wait (exit 13, a top-level await never settled). At most 3 s.
   */
  private backoff(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.clock.setTimeout(() => this.wake?.(), ms, { keepAlive: true });
      this.wake = () => {
        this.wake = undefined;
        this.clock.clearTimeout(timer);
        resolve();
      };
    });
  }

  private async post(
    body: Buffer,
  ): Promise<{ ok: boolean; retryable: boolean; status?: number; code?: string }> {
    try {
      const res = await this.dispatcher.request({
        origin: this.origin,
        path: this.path,
        method: 'POST',
        headers: this.headers,
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        // At close the final export's deadline, which ends no later than a timeout begun now would.
        signal: this.finalDeadline ?? AbortSignal.timeout(this.timeoutMs),
      });
      // The answer is read and dropped: partial-success details are not acted on.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => {});
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return { ok, retryable: RETRYABLE.has(res.statusCode), status: res.statusCode };
    } catch (err) {
      const e = err as { code?: unknown; name?: unknown };
      const code =
        typeof e.code === 'string' ? e.code : e.name === 'TimeoutError' ? 'TIMEOUT' : 'EXPORT_FAILED';
      return { ok: false, retryable: !isRefusedRequest(err), code };
    }
  }
}
