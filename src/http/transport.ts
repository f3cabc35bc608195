import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';

/** What one attempt produced: status, headers and the whole (size-capped) body. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** Builds the error for an oversized body (it knows the method and redacted URL). */
export interface SizeLimitOwner {
  readonly method: string;
  tooLarge(declaredBytes?: number): Error;
}

/**
 * A dispatch handler that buffers the response body up to `maxBytes`, then settles a promise. Over the
 * limit it aborts the request, which destroys the socket instead of reading the rest: the body is
 * always either fully consumed or destroyed. `abort(reason)` works before the request reached a socket
 * too (it settles at once and aborts on start), so a deadline needs no AbortController.
 */
export class BufferingHandler implements Dispatcher.DispatchHandler {
  status = 0;
  headers: IncomingHttpHeaders = {};
  private chunks: Buffer[] | null = null;
  private first: Buffer | null = null;
  private size = 0;
  private controller: Dispatcher.DispatchController | null = null;
  private pendingAbort: Error | null = null;
  private settled = false;

  constructor(
    private readonly maxBytes: number,
    private readonly owner: SizeLimitOwner,
    private readonly resolve: (r: RawResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  /** Aborts the attempt with `reason` (settling the promise with it), whatever stage it is in. */
  abort(reason: Error): void {
    if (this.settled) return;
    if (this.controller) {
      this.controller.abort(reason);
    } else {
      this.pendingAbort = reason;
    }
    // undici reports the abort through onResponseError; settle now in case it already stopped listening.
    this.fail(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingAbort) controller.abort(this.pendingAbort);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    this.status = statusCode;
    this.headers = headers;
    const len = headers['content-length'];
    // HEAD, 204 and 304 declare a length without sending a body.
    if (len !== undefined && statusCode !== 204 && statusCode !== 304 && this.owner.method !== 'HEAD') {
      const declared = Number(len);
      if (declared > this.maxBytes) {
        const err = this.owner.tooLarge(declared);
        controller.abort(err);
        this.fail(err);
      }
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      const err = this.owner.tooLarge();
      this.chunks = null;
      this.first = null;
      controller.abort(err);
      this.fail(err);
      return;
    }
    // Most bodies are one chunk: keep it without an array.
    if (this.first === null && this.chunks === null) this.first = chunk;
    else {
      if (this.chunks === null) {
        this.chunks = [this.first!];
        this.first = null;
      }
      this.chunks.push(chunk);
    }
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    const body =
      this.first !== null ? this.first : this.chunks !== null ? Buffer.concat(this.chunks, this.size) : EMPTY;
    this.first = null;
    this.chunks = null;
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.first = null;
    this.chunks = null;
    this.reject(err);
  }
}
