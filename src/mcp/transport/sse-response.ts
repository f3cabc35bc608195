import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** The comment an idle SSE stream is kept open with (proxies drop streams that stay silent). */
const KEEP_ALIVE = ': keepalive\n\n';
/** Node's largest timer delay; a longer interval would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The headers of a stream answered in one write, as a flat name/value list ending in a
 * `content-length` slot that `end` fills: built once per session, so the answer of a call spreads
 * and validates no header object of its own (node reads the list synchronously in `writeHead`).
 */
export function oneWriteHeaders(headers: Readonly<Record<string, string>>): string[] {
  const list: string[] = [];
  for (const name of Object.keys(headers)) list.push(name, headers[name]!);
  list.push('content-length', '0');
  return list;
}

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
    /** `headers` as {@link oneWriteHeaders} lists them, for an answer that leaves in one write. */
    private readonly oneWrite?: string[],
    /** Bytes written but not yet taken by the client past which the stream is dropped (see `write`). */
    private readonly maxBacklogBytes = Number.POSITIVE_INFINITY,
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

  /**
   * Writes one chunk of the stream. A client that stopped reading while more keeps coming would have
   * it all buffered here: past `maxBacklogBytes` still unsent the stream is dropped instead (the client
   * opens it again once it reads, as after any dropped stream).
   */
  write(chunk: string): void {
    if (!this.open) return;
    if (this.res.writableLength > this.maxBacklogBytes) {
      this.res.destroy();
      return;
    }
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
    const length = Buffer.byteLength(body);
    if (this.oneWrite === undefined) {
      this.res.writeHead(200, { ...this.headers, 'content-length': length });
    } else {
      this.oneWrite[this.oneWrite.length - 1] = String(length);
      this.res.writeHead(200, this.oneWrite);
    }
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
