import { Transform, type TransformCallback } from 'node:stream';
import { parseJSONRPCMessage, STDIO_DEFAULT_MAX_BUFFER_SIZE } from '@modelcontextprotocol/server';
import { requestIdOf } from './request-id.js';

const NEWLINE = 0x0a;

/**
 * Why a line is kept back: it is not JSON (`parse`), or it is JSON but no JSON-RPC message (`invalid`,
 * with the request id it names, if any, so the answer can reach the request the client waits on).
 */
export type RefusedLine = { kind: 'parse' } | { kind: 'invalid'; id: string | number | null };

/**
 * Stdin as the SDK's stdio transport is given it: the newline-delimited messages, less the lines
 * that are not JSON or no JSON-RPC message (a batch, params that are no object). The SDK's read buffer
 * skips such a line without a word (no answer, no error); here each is handed to `unparsable` (its
 * text without the line end, its length in bytes, and why) and kept back. A blank line is no message
 * and is dropped. A line longer than the SDK's read buffer is passed on as it comes, with all that
 * follows: that buffer refuses it and ends the connection.
 */
export class JsonLines extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private inspecting = true;

  constructor(
    private readonly unparsable: (line: string, bytes: number, why: RefusedLine) => void,
    private readonly maxLine = STDIO_DEFAULT_MAX_BUFFER_SIZE,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (!this.inspecting) {
      done(null, chunk);
      return;
    }
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl + 1);
      this.sort(this.pendingBytes > 0 ? Buffer.concat([...this.pending, piece]) : piece);
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > this.maxLine) {
        this.inspecting = false;
        const rest = Buffer.concat(this.pending);
        this.pending = [];
        done(null, rest);
        return;
      }
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    // A last line without its newline: the SDK never reads it as a message either.
    done(null, this.pendingBytes > 0 ? Buffer.concat(this.pending) : undefined);
  }

  /** Passes a whole line (newline included) on when it is a JSON-RPC message; reports it when not. */
  private sort(line: Buffer): void {
    const text = line.toString('utf8').replace(/\r?\n$/, '');
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.unparsable(text, Buffer.byteLength(text), { kind: 'parse' });
      return;
    }
    // The SDK's own check, which its read buffer applies next: what it refuses, it drops unanswered.
    try {
      parseJSONRPCMessage(value);
    } catch {
      this.unparsable(text, Buffer.byteLength(text), { kind: 'invalid', id: requestIdOf(value) });
      return;
    }
    this.push(line);
  }
}
