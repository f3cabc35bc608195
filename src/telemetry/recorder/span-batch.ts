import { BATCH_SUFFIX } from './otlp-json.js';

/** Bytes of one batch's buffer: 512 spans of a traced call take about 400 KB. */
export const BATCH_BYTES = 1 << 20;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit. */
const MAX_BYTES_PER_UNIT = 3;

/**
 * One export request's body, written as spans end: each span's JSON goes into a buffer outside the
 * JS heap at once, so an ended span is garbage right away instead of living (and being copied by the
 * collector, then promoted) until its batch is sent.
 */
export class SpanBatch {
  spans = 0;
  private length: number;

  private constructor(
    private readonly buffer: Buffer,
    prefix: string,
  ) {
    this.length = buffer.write(prefix, 0, 'utf8');
  }

  /** A batch opened with `prefix` (a batch's opening up to its `spans` array). */
  static open(prefix: string, reuse?: Buffer): SpanBatch {
    return new SpanBatch(reuse ?? Buffer.allocUnsafe(BATCH_BYTES), prefix);
  }

  /** Whether `json` surely fits a shared buffer of its own, after a prefix of `prefixBytes`. */
  static fitsShared(prefixBytes: number, json: string): boolean {
    return prefixBytes + (json.length + 1 + BATCH_SUFFIX.length) * MAX_BYTES_PER_UNIT <= BATCH_BYTES;
  }

  /**
   * The bytes of the buffer `single` takes for `json`: exact (a pass over it), since such a span is
   * rare and large, and the worst case would triple an ASCII one.
   */
  static singleBytes(prefixBytes: number, json: string): number {
    return prefixBytes + Buffer.byteLength(json, 'utf8') + BATCH_SUFFIX.length;
  }

  /** A batch for one span too large for a shared buffer, of `bytes` (from `singleBytes`). */
  static single(prefix: string, json: string, bytes: number): SpanBatch {
    const batch = new SpanBatch(Buffer.allocUnsafe(bytes), prefix);
    batch.add(json);
    return batch;
  }

  /** Whether `json` (and the closing suffix) surely fits. */
  fits(json: string): boolean {
    return this.length + (json.length + 1 + BATCH_SUFFIX.length) * MAX_BYTES_PER_UNIT <= this.buffer.length;
  }

  /** Appends one span's JSON; `fits` must have said yes (or the batch was made for it by `single`). */
  add(json: string): void {
    if (this.spans > 0) this.buffer[this.length++] = 0x2c; // ','
    this.length += this.buffer.write(json, this.length, 'utf8');
    this.spans++;
  }

  /** The request body: the spans so far, closed. The batch takes no more spans after this. */
  body(): Buffer {
    const end = this.length + this.buffer.write(BATCH_SUFFIX, this.length, 'latin1');
    return this.buffer.subarray(0, end);
  }

  /** Bytes of memory the batch holds: its buffer's. */
  get bytes(): number {
    return this.buffer.length;
  }

  /** The buffer, for the next batch once this one's request is done (shared buffers only). */
  release(): Buffer | undefined {
    return this.buffer.length === BATCH_BYTES ? this.buffer : undefined;
  }
}
