import { randomFillSync } from 'node:crypto';

/** Random bytes drawn per refill: about 170 traced hits' ids (a trace id and two span ids each). */
const POOL_BYTES = 4096;

/** All-zero ids are invalid in W3C Trace Context; a random one is redrawn. */
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * Trace and span ids for the SDK's tracer (its `IdGenerator` interface, by shape: this module must not
 * import the optional SDK). Random from the CSPRNG, drawn 4 KiB at a time and hex-encoded once per
 * draw; each id is a slice of that hex string. The SDK's own generator writes `Math.random()` words
 * into a buffer and hex-encodes each id apart, a native call per id: measurable on a traced hit.
 */
export class PooledIdGenerator {
  private hex = '';
  private at = 0;
  private readonly bytes = Buffer.allocUnsafe(POOL_BYTES);

  /** `fill` fills a buffer with random bytes (tests give one that draws zeros). */
  constructor(private readonly fill: (bytes: Buffer) => Buffer = randomFillSync) {}

  /** 32 lowercase hex characters, never all zero. */
  generateTraceId(): string {
    let id = this.take(32);
    while (id === ZERO_TRACE_ID) id = this.take(32);
    return id;
  }

  /** 16 lowercase hex characters, never all zero. */
  generateSpanId(): string {
    let id = this.take(16);
    while (id === ZERO_SPAN_ID) id = this.take(16);
    return id;
  }

  private take(chars: number): string {
    if (this.at + chars > this.hex.length) {
      this.hex = this.fill(this.bytes).toString('hex');
      this.at = 0;
    }
    const id = this.hex.slice(this.at, this.at + chars);
    this.at += chars;
    return id;
  }
}
