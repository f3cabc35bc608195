import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** The comment an idle SSE stream is kept open with (proxies drop streams that stay silent). */
const KEEP_ALIVE = ': keepalive\n\n';
/** Node's largest timer delay; a longer interval would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** One `message` event carrying a JSON-RPC message. */
export function sseEvent(message: unknown): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

/**
 * An SSE answer written straight to a node response. With `deferHeaders` the status line and headers
 * leave with the first write (an event or the keep-alive comment), and a stream whose only write is
 * its last event goes out as one write with a Content-Length; otherwise they are flushed at once (a
 * stream that may wait long for its first event must show the client it started).
 */
export class SseResponse {
  private headersSent = false;
  private ended = false;
  private readonly timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: OutgoingHttpHeaders,
    keepAliveMs: number,
    deferHeaders: boolean,
  ) {
    if (!deferHeaders) {
      this.sendHeaders();
      res.flushHeaders();
    }
    if (Number.isFinite(keepAliveMs) && keepAliveMs >= 1) {
      this.timer = setInterval(() => this.write(KEEP_ALIVE), Math.min(keepAliveMs, MAX_TIMER_MS));
      this.timer.unref();
    }
  }

  /** False once the stream ended or the client went away: nothing written reaches anyone. */
  get open(): boolean {
    return !this.ended && !this.res.destroyed;
  }

  /** Writes one chunk of the stream. */
  write(chunk: string): void {
    if (!this.open) return;
    if (!this.headersSent) this.sendHeaders();
    this.res.write(chunk);
  }

  /** Ends the stream, with `last` as its final chunk when given. */
  end(last?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.res.destroyed) return;
    if (this.headersSent) {
      this.res.end(last);
      return;
    }
    this.headersSent = true;
    const body = last ?? '';
    this.res.writeHead(200, { ...this.headers, 'content-length': Buffer.byteLength(body) });
    this.res.end(body);
  }

  /** Stops the keep-alive once the client closed the stream. */
  dropped(): void {
    this.ended = true;
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  // The headers leave with the next write (or at once, flushed by the caller).
  private sendHeaders(): void {
    this.headersSent = true;
    this.res.writeHead(200, this.headers);
  }
}
