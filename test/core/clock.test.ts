import { describe, expect, it } from 'vitest';
import { coarseClock, ManualClock, systemClock } from '../../src/core/index.js';

describe('systemClock', () => {
  it('its timers never keep the process alive and can be cleared', async () => {
    const t = systemClock.setTimeout(() => {}, 60_000) as NodeJS.Timeout;
    expect(t.hasRef()).toBe(false);
    systemClock.clearTimeout(t);
    // A due timer still runs its callback (we await the callback itself, no sleep).
    const fired = await new Promise<boolean>((resolve) => {
      const u = systemClock.setTimeout(() => resolve(true), 0) as NodeJS.Timeout;
      expect(u.hasRef()).toBe(false);
    });
    expect(fired).toBe(true);
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(1000);
  });
});

describe('ManualClock', () => {
  it('fires due timers in time order, ties in scheduling order, and only when advanced', () => {
    const clock = new ManualClock(1000);
    const log: string[] = [];
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => log.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => log.push(`c1@${clock.now()}`), 20);
    const cancelled = clock.setTimeout(() => log.push('never'), 15);
    clock.clearTimeout(cancelled);
    expect(clock.pending()).toBe(3);
    clock.advance(9);
    expect(log).toEqual([]);
    expect(clock.now()).toBe(1009);
    clock.advance(11);
    expect(log).toEqual(['a@1010', 'b@1020', 'c1@1020']);
    expect(clock.pending()).toBe(0);
  });

  it('a timer scheduled by a firing timer runs in the same advance when due; negative delays are 0', () => {
    const clock = new ManualClock();
    const log: number[] = [];
    clock.setTimeout(() => {
      log.push(clock.now());
      clock.setTimeout(() => log.push(clock.now()), 5);
      clock.setTimeout(() => log.push(clock.now()), 100);
    }, 5);
    clock.setTimeout(() => log.push(-clock.now()), -3);
    clock.advance(20);
    expect(log).toEqual([-0, 5, 10]);
    expect(clock.now()).toBe(20);
    expect(clock.pending()).toBe(1);
  });

  it('advanceAsync lets promise callbacks settle between timers', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    clock.setTimeout(() => {
      Promise.resolve().then(() => log.push('microtask after t5'));
    }, 5);
    clock.setTimeout(() => log.push('t6'), 6);
    await clock.advanceAsync(10);
    expect(log).toEqual(['microtask after t5', 't6']);
  });
});

describe('coarseClock', () => {
  /** A ManualClock that counts how often it is read. */
  function countingBase(start: number) {
    const base = new ManualClock(start);
    let reads = 0;
    const now = base.now.bind(base);
    base.now = () => {
      reads++;
      return now();
    };
    return { base, reads: () => reads };
  }

  it('reuses one reading until its resolution passes, then reads the base clock again', () => {
    const { base, reads } = countingBase(1000);
    const clock = coarseClock(base, { resolutionMs: 5, maxReuse: 1000 });
    expect(clock.now()).toBe(1000);
    base.advance(4);
    expect(clock.now()).toBe(1000);
    expect(reads()).toBe(1);
    base.advance(1);
    expect(clock.now()).toBe(1005);
    expect(reads()).toBe(2);
  });

  it('reads the base clock again after maxReuse calls even when no timer has run', () => {
    const { base, reads } = countingBase(0);
    const clock = coarseClock(base, { resolutionMs: 1000, maxReuse: 3 });
    expect(clock.now()).toBe(0);
    // Time moves without the coarse timer firing, as in a long synchronous run.
    base.advance(7);
    expect([clock.now(), clock.now()]).toEqual([0, 0]);
    expect(clock.now()).toBe(7);
    expect(reads()).toBe(2);
  });

  it('keeps at most one timer armed and schedules none while nobody reads', () => {
    const { base } = countingBase(0);
    const clock = coarseClock(base, { resolutionMs: 1, maxReuse: 1 });
    clock.now();
    clock.now();
    clock.now();
    expect(base.pending()).toBe(1);
    base.advance(1);
    expect(base.pending()).toBe(0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(base.now()), 10);
    base.advance(10);
    expect(fired).toEqual([11]);
  });
});
