import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS_SECONDS } from '../../src/metrics/index.js';
import { FastHistogram } from '../../src/metrics/fast-histogram.js';
import { parseExposition } from './exposition.js';

describe('FastHistogram', () => {
  it('property: exposes exactly what prom-client’s Histogram exposes for the same observations', async () => {
    const observation = fc.record({
      route: fc.constantFrom('/a', '/b/{id}', 'quote"back\\slash'),
      seconds: fc.oneof(
        fc.constantFrom(...LATENCY_BUCKETS_SECONDS, 0, 61),
        fc.double({ min: 0, max: 100, noNaN: true }),
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 80 }), async (obs) => {
        const ours = new Registry();
        const theirs = new Registry();
        const fast = new FastHistogram('h_seconds', 'Help.', LATENCY_BUCKETS_SECONDS, ours);
        const reference = new Histogram({
          name: 'h_seconds',
          help: 'Help.',
          labelNames: ['route'],
          buckets: [...LATENCY_BUCKETS_SECONDS],
          registers: [theirs],
        });
        for (const o of obs) {
          fast.bind({ route: o.route }).observe(o.seconds);
          reference.observe({ route: o.route }, o.seconds);
        }
        const text = await ours.metrics();
        parseExposition(text); // strict: ascending le, monotonic counts, _count == +Inf
        const sorted = (t: string) => t.split('\n').sort().join('\n');
        // Sums may differ in the last bit when added in another order; compare them apart.
        const noSums = (t: string) => sorted(t.replace(/^h_seconds_sum.*$/gm, ''));
        expect(noSums(text)).toBe(noSums(await theirs.metrics()));
        const sums = (t: string) =>
          [...t.matchAll(/^h_seconds_sum(\{.*\}) (.+)$/gm)].map((m) => [m[1], Number(m[2])] as const).sort();
        const a = sums(text);
        const b = sums(await theirs.metrics());
        expect(a.map((x) => x[0])).toEqual(b.map((x) => x[0]));
        for (const [i, x] of a.entries()) expect(x[1]).toBeCloseTo(b[i]![1], 9);
      }),
      { numRuns: 40 },
    );
  });

  it('binds one series per label set and zeroes on registry reset', async () => {
    const registry = new Registry();
    const h = new FastHistogram('x_seconds', 'Help.', [1, 2], registry);
    expect(h.bind({ a: '1' })).toBe(h.bind({ a: '1' }));
    h.bind({ a: '1' }).observe(1.5);
    expect(await registry.metrics()).toContain('x_seconds_bucket{le="2",a="1"} 1');
    const json = await registry.getMetricsAsJSON();
    expect(json[0]?.type).toBe('histogram');
    h.bind({ a: '2' }).observe(Number.NaN);
    h.bind({ a: '2' }).observe(-5);
    expect(await registry.metrics()).toContain('x_seconds_sum{a="2"} 0');
    expect(await registry.metrics()).toContain('x_seconds_bucket{le="1",a="2"} 2');
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('x_seconds_count{a="1"} 0');
  });
});
