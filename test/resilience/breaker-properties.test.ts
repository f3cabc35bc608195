import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { type BreakerModel, CircuitOpenError, circuitBreaker } from '../../src/resilience/index.js';

type Action =
  | { type: 'start' }
  | { type: 'settle'; index: number; fail: boolean }
  | { type: 'advance'; ms: number }
  | { type: 'sync'; fail: boolean }
  | { type: 'reset' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.constant({ type: 'start' as const }), weight: 3 },
  {
    arbitrary: fc.record({ type: fc.constant('settle' as const), index: fc.nat(20), fail: fc.boolean() }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 400 }) }),
    weight: 2,
  },
  { arbitrary: fc.record({ type: fc.constant('sync' as const), fail: fc.boolean() }), weight: 2 },
  // reset() while probes run: they keep their slots after the breaker reopens.
  { arbitrary: fc.constant({ type: 'reset' as const }), weight: 1 },
);

const model: fc.Arbitrary<BreakerModel> = fc.oneof(
  fc.record({ kind: fc.constant('consecutive' as const), threshold: fc.integer({ min: 1, max: 5 }) }),
  fc.integer({ min: 1, max: 8 }).chain((size) =>
    fc.record({
      kind: fc.constant('count' as const),
      size: fc.constant(size),
      failureRateThreshold: fc.double({ min: 0.1, max: 1, noNaN: true }),
      minimumCalls: fc.integer({ min: 1, max: size }),
    }),
  ),
  fc.record({
    kind: fc.constant('time' as const),
    windowMs: fc.integer({ min: 100, max: 2000 }),
    buckets: fc.integer({ min: 1, max: 10 }),
    failureRateThreshold: fc.double({ min: 0.1, max: 1, noNaN: true }),
    minimumCalls: fc.integer({ min: 1, max: 6 }),
  }),
);

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('circuit breaker invariants under random outcomes and time steps', () => {
  it('never exceeds the half-open probe limit, never opens below minimumCalls, never runs a rejected call', async () => {
    await fc.assert(
      fc.asyncProperty(
        model,
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(action, { minLength: 1, maxLength: 80 }),
        async (m, halfOpenMax, successThreshold, actions) => {
          const clock = new ManualClock(1_000_000);
          const b = circuitBreaker({
            model: m,
            halfOpenMaxConcurrent: halfOpenMax,
            successThreshold,
            recoveryMs: 300,
            clock,
          });
          const minimumCalls = m.kind === 'consecutive' ? m.threshold : (m.minimumCalls ?? 1);
          const pending: { settle: (fail: boolean) => void; probe: boolean }[] = [];
          let probesInFlight = 0;
          // Checks inside callbacks would be swallowed as call failures: collect and assert outside.
          const problems: string[] = [];
          const check = (ok: boolean, what: string) => {
            if (!ok) problems.push(what);
          };
          // probesInFlight counts exactly the calls admitted while half-open that are still running,
          // whatever state the breaker moved to since: the limit is on probes hitting the dependency.
          // Calls admitted while closed are not probes and are not counted.
          b.on('stateChange', (e) => {
            if (e.from === 'closed' && e.to === 'open') {
              const s = b.snapshot();
              check(s.calls >= minimumCalls, `opened with ${s.calls} < ${minimumCalls} calls`);
              if (m.kind !== 'consecutive')
                check(s.failureRate >= m.failureRateThreshold, `opened at failure rate ${s.failureRate}`);
              else
                check(s.consecutiveFailures >= m.threshold, `opened after ${s.consecutiveFailures} failures`);
            }
          });
          const runCall = (body: (probe: boolean) => Promise<string>) => {
            const stateBefore = b.state;
            let ran = false;
            const p = b.execute(() => {
              ran = true;
              return body(b.state === 'half-open');
            });
            p.catch((err) => {
              if (!ran) {
                // Rejected by the breaker itself: only ever when it was not closed.
                check(err instanceof CircuitOpenError, `rejected without running: ${String(err)}`);
                check(stateBefore !== 'closed', 'rejected while closed');
              }
            });
          };
          for (const a of actions) {
            if (a.type === 'start') {
              runCall((probe) => {
                const entry = { settle: (_: boolean) => {}, probe };
                if (probe) probesInFlight++;
                check(probesInFlight <= halfOpenMax, `${probesInFlight} probes in flight > ${halfOpenMax}`);
                check(
                  b.snapshot().halfOpenInFlight <= halfOpenMax,
                  'snapshot halfOpenInFlight over the limit',
                );
                return new Promise<string>((resolve, reject) => {
                  entry.settle = (fail) => {
                    if (entry.probe) probesInFlight--;
                    if (fail) reject(new Error('x'));
                    else resolve('ok');
                  };
                  pending.push(entry);
                });
              });
            } else if (a.type === 'settle' && pending.length > 0) {
              const [entry] = pending.splice(a.index % pending.length, 1);
              entry!.settle(a.fail);
            } else if (a.type === 'advance') {
              clock.advance(a.ms);
            } else if (a.type === 'reset') {
              b.reset();
            } else if (a.type === 'sync') {
              runCall((probe) => {
                if (probe) probesInFlight++;
                check(probesInFlight <= halfOpenMax, `${probesInFlight} probes in flight > ${halfOpenMax}`);
                const settled = a.fail ? Promise.reject(new Error('y')) : Promise.resolve('ok');
                return settled.finally(() => {
                  if (probe) probesInFlight--;
                });
              });
            }
            await flush();
            expect(problems).toEqual([]);
            const s = b.snapshot();
            expect(s.halfOpenInFlight).toBeLessThanOrEqual(halfOpenMax);
            expect(s.halfOpenInFlight).toBeGreaterThanOrEqual(0);
            // The breaker's own count of running probes is exactly the test's.
            if (s.state === 'half-open') expect(s.halfOpenInFlight).toBe(probesInFlight);
            expect(s.failures).toBeLessThanOrEqual(s.calls);
          }
          for (const p of pending.splice(0)) p.settle(false);
          await flush();
          expect(problems).toEqual([]);
        },
      ),
      {
        numRuns: 300,
        examples: [
          // The regression the review found: a probe still running when the breaker is reset, reopens
          // and goes half-open again must keep its slot (limit 1: the new probe would be a second one).
          [
            { kind: 'consecutive', threshold: 1 },
            1,
            1,
            [
              { type: 'sync', fail: true },
              { type: 'advance', ms: 300 },
              { type: 'start' },
              { type: 'reset' },
              { type: 'sync', fail: true },
              { type: 'advance', ms: 300 },
              { type: 'start' },
            ],
          ],
        ],
      },
    );
  });

  it('closed with only successes stays closed and counts every call', async () => {
    await fc.assert(
      fc.asyncProperty(model, fc.integer({ min: 1, max: 50 }), async (m, n) => {
        const b = circuitBreaker({ model: m, clock: new ManualClock() });
        for (let i = 0; i < n; i++) await b.execute(() => 'ok');
        expect(b.state).toBe('closed');
        const s = b.snapshot();
        expect(s.failures).toBe(0);
        if (m.kind === 'count') expect(s.calls).toBe(Math.min(n, m.size));
        else expect(s.calls).toBe(n);
      }),
      { numRuns: 100 },
    );
  });
});
