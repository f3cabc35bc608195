import { describe, expect, it } from 'vitest';
import { type Clock, ManualClock } from '../../src/core/index.js';
import { DeadlineQueue } from '../../src/resilience/deadline-queue.js';
import { timeout } from '../../src/resilience/index.js';

/** A ManualClock that counts how many timers were ever scheduled. */
class CountingClock extends ManualClock {
  scheduled = 0;
  override setTimeout(fn: () => void, ms: number) {
    this.scheduled++;
    return super.setTimeout(fn, ms);
  }
}

describe('DeadlineQueue: what an empty queue leaves behind', () => {
  it('after the last call ends: no entry held, at most one timer, cleared when it next fires', async () => {
    const clock = new CountingClock();
    const policy = timeout({ ms: 1000, clock });
    for (let i = 0; i < 50; i++) {
      await policy.execute(() => Promise.resolve(i));
      await clock.advanceAsync(5);
    }
    expect(policy.pending).toBe(0);
    // One shared timer for the window, not one per call.
    expect(clock.scheduled).toBe(1);
    expect(clock.pending()).toBe(1);
    // It fires at the old deadline at the latest (1000 ms after the first call), finds nothing, stops.
    await clock.advanceAsync(1000 - 250);
    expect(clock.pending()).toBe(0);
    expect(clock.scheduled).toBe(1);
  });

  it('a timer firing with only cancelled entries does not re-arm; a live later entry re-arms once', () => {
    const clock = new ManualClock();
    const q = new DeadlineQueue(clock);
    const a = q.add(100, () => {});
    q.cancel(a);
    expect(q.size).toBe(0);
    expect(q.timerScheduled).toBe(true);
    const fired: number[] = [];
    q.add(150, () => fired.push(clock.now()));
    clock.advance(100); // the stale timer fires at 100 and re-arms for the live entry at 150
    expect(q.timerScheduled).toBe(true);
    clock.advance(50);
    expect(fired).toEqual([150]);
    expect(q.timerScheduled).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('never keeps the process alive, even with a clock that forgets to unref', () => {
    const handles: NodeJS.Timeout[] = [];
    const forgetful: Clock = {
      now: () => Date.now(),
      setTimeout(fn, ms) {
        const t = setTimeout(fn, ms);
        handles.push(t);
        return t;
      },
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
    const q = new DeadlineQueue(forgetful);
    const e = q.add(Date.now() + 60_000, () => {});
    q.cancel(e);
    expect(handles).toHaveLength(1);
    expect(handles[0]!.hasRef()).toBe(false);
    q.dispose();
    expect(q.timerScheduled).toBe(false);
  });
});
