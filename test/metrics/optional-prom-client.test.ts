import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Counter as PromCounter, Gauge as PromGauge, Registry as PromRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Counter, Gauge } from '../../src/metrics/labeled-metrics.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { hiddenScenario } from '../helpers/hidden-packages.js';

// Conduit exposes its metrics itself; prom-client is an optional peer dependency, needed only for its
// process and Node.js collectors (metrics.defaultMetrics). Hidden from a child process as in
// test/helpers/hide-packages.mjs.
const child = fileURLToPath(new URL('./fixtures/optional-prom-child.ts', import.meta.url));

const scenario = (name: string, hidden: string[]) => hiddenScenario(child, name, hidden);

describe('metrics without prom-client', () => {
  it('the gateway metrics are exposed with prom-client missing', async () => {
    expect(await scenario('gatewayMetrics', ['prom-client'])).toEqual({
      ok: true,
      value: ['conduit_tool_calls_total{tool="get_user",upstream="api",outcome="ok"} 1'],
    });
  });

  it('defaultMetrics names prom-client when it is missing, and exports process_* when it is there', async () => {
    const missing = await scenario('defaultMetrics', ['prom-client']);
    expect(missing).toMatchObject({ ok: false, missing: true, code: 'MISSING_DEPENDENCY' });
    expect(missing.packageName).toBe('prom-client');
    expect(missing.message).toContain('npm install prom-client');
    expect(await scenario('defaultMetrics', [])).toEqual({ ok: true, value: true });
  });
});

const label = fc.string({ maxLength: 6 }).map((s) => s.replace(/\0/g, ''));
const op = fc.record({
  gauge: fc.boolean(),
  a: fc.constantFrom('x', 'y\n"z\\', ''),
  b: label,
  v: fc.oneof(fc.nat(1000), fc.double({ noNaN: false })),
});

describe('the text exposition', () => {
  it('property: counters and gauges read exactly as prom-client writes them for the same updates', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 20 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (ops, help) => {
          const ours = new MetricRegistry();
          const theirs = new PromRegistry();
          const c = new Counter({ name: 'c_total', help, labelNames: ['a', 'b'], registers: [ours] });
          const g = new Gauge({ name: 'g', help, labelNames: ['a', 'b'], registers: [ours] });
          const bare = new Counter({ name: 'bare_total', help: 'no labels', registers: [ours] });
          const pc = new PromCounter({ name: 'c_total', help, labelNames: ['a', 'b'], registers: [theirs] });
          const pg = new PromGauge({ name: 'g', help, labelNames: ['a', 'b'], registers: [theirs] });
          const pbare = new PromCounter({ name: 'bare_total', help: 'no labels', registers: [theirs] });
          for (const o of ops) {
            const labels = { a: o.a, b: o.b };
            if (o.gauge) {
              g.set(labels, o.v);
              pg.set(labels, o.v);
            } else if (Number.isFinite(o.v) && o.v >= 0) {
              c.inc(labels, o.v);
              pc.inc(labels, o.v);
              bare.inc(o.v);
              pbare.inc(o.v);
            }
          }
          // prom-client writes NaN as "Nan"; Prometheus reads either.
          expect(await ours.metrics()).toBe((await theirs.metrics()).replace(/ Nan$/gm, ' NaN'));
        },
      ),
      { numRuns: 200 },
    );
  });
});
