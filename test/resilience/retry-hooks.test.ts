import { describe, expect, it } from 'vitest';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import { retry } from '../../src/resilience/index.js';
import { drive } from './helpers.js';

class Boom extends Error {}

describe('retry hooks that throw', () => {
  it('a throwing onRetry neither replaces the error nor stops retrying; it is logged at warn', async () => {
    const clock = new ManualClock();
    const logger = createRecordingLogger();
    let calls = 0;
    const policy = retry({
      maxAttempts: 3,
      baseDelayMs: 10,
      jitter: 'none',
      clock,
      logger,
      onRetry: () => {
        throw new Error('hook broke');
      },
    });
    const r = await drive(
      clock,
      policy.execute(() => {
        calls++;
        if (calls < 3) throw new Boom('upstream');
        return 'ok';
      }),
    );
    expect(r).toMatchObject({ value: 'ok' });
    expect(calls).toBe(3);
    const warns = logger.records.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(2);
    expect(warns[0]).toMatchObject({ hook: 'retry.onRetry', err: { name: 'Error', message: 'hook broke' } });
  });

  it('a throwing onGiveUp leaves the real error (every give-up reason path)', async () => {
    const clock = new ManualClock();
    const logger = createRecordingLogger();
    const real = new Boom('the real one');
    const throwing = () => {
      throw new Error('hook broke');
    };
    // max-attempts
    const a = retry({ maxAttempts: 2, baseDelayMs: 1, clock, logger, onGiveUp: throwing });
    expect(
      await drive(
        clock,
        a.execute(() => Promise.reject(real)),
      ),
    ).toMatchObject({ error: real });
    // not-retryable
    const b = retry({ retryOn: () => false, clock, logger, onGiveUp: throwing });
    expect(
      await drive(
        clock,
        b.execute(() => Promise.reject(real)),
      ),
    ).toMatchObject({ error: real });
    // result give-up returns the result
    const c = retry({ maxAttempts: 1, retryOnResult: () => true, clock, logger, onGiveUp: throwing });
    expect(
      await drive(
        clock,
        c.execute(() => 'last'),
      ),
    ).toMatchObject({ value: 'last' });
    // aborted during the wait: the abort error stands, not the hook's
    const ac = new AbortController();
    const d = retry({ maxAttempts: 3, baseDelayMs: 1000, clock, logger, onGiveUp: throwing });
    const p = d.execute(() => Promise.reject(real), { signal: ac.signal });
    await clock.advanceAsync(1);
    ac.abort();
    const r = await drive(clock, p, 10);
    expect((r.error as Error).message).not.toBe('hook broke');
    expect(logger.records.filter((l) => l.hook === 'retry.onGiveUp')).toHaveLength(4);
  });
});
