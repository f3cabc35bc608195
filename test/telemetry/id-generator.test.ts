import { randomFillSync } from 'node:crypto';
import { isValidSpanId, isValidTraceId } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { PooledIdGenerator } from '../../src/telemetry/id-generator.js';

describe('PooledIdGenerator', () => {
  it('makes W3C-valid lowercase hex ids, unique across many refills of its pool', () => {
    const ids = new PooledIdGenerator();
    const traces = new Set<string>();
    const spans = new Set<string>();
    // 20,000 of each: 720 KB of ids, about 180 refills of the 4 KiB pool.
    for (let i = 0; i < 20_000; i++) {
      const t = ids.generateTraceId();
      const s = ids.generateSpanId();
      expect(t).toMatch(/^[0-9a-f]{32}$/);
      expect(s).toMatch(/^[0-9a-f]{16}$/);
      expect(isValidTraceId(t) && isValidSpanId(s)).toBe(true);
      traces.add(t);
      spans.add(s);
    }
    expect(traces.size).toBe(20_000);
    expect(spans.size).toBe(20_000);
  });

  it('two generators draw different ids (the pool is random, not a sequence)', () => {
    const a = new PooledIdGenerator();
    const b = new PooledIdGenerator();
    expect(a.generateTraceId()).not.toBe(b.generateTraceId());
  });

  it('redraws an all-zero id instead of returning it', () => {
    let draws = 0;
    // The first draw is all zeros but for the bytes after the first trace id and span id.
    const fill = (bytes: Buffer): Buffer => {
      draws++;
      randomFillSync(bytes);
      if (draws === 1) bytes.fill(0, 0, 24);
      return bytes;
    };
    const ids = new PooledIdGenerator(fill);
    const t = ids.generateTraceId();
    expect(t).not.toBe('0'.repeat(32));
    expect(isValidTraceId(t)).toBe(true);
    const fresh = new PooledIdGenerator((bytes) => {
      bytes.fill(0, 0, 16);
      randomFillSync(bytes, 16);
      return bytes;
    });
    // Two zero span ids in a row: both redrawn.
    const s = fresh.generateSpanId();
    expect(s).not.toBe('0'.repeat(16));
    expect(isValidSpanId(s)).toBe(true);
  });
});
