import { describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/core/index.js';
import { BulkheadRejectedError, bulkhead } from '../../src/resilience/index.js';

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('bulkhead', () => {
  it('runs at most maxConcurrent, queues up to maxQueue in FIFO order, rejects the rest', async () => {
    const b = bulkhead({ maxConcurrent: 2, maxQueue: 2 });
    const gates = Array.from({ length: 4 }, gate);
    const started: number[] = [];
    const calls = gates.map((g, i) =>
      b.execute(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    const rejected = b.execute(async () => 'never');
    await expect(rejected).rejects.toBeInstanceOf(BulkheadRejectedError);
    await expect(rejected).rejects.toMatchObject({
      code: 'BULKHEAD_REJECTED',
      maxConcurrent: 2,
      maxQueue: 2,
    });
    await tick();
    expect(started).toEqual([0, 1]);
    expect([b.running, b.queued]).toEqual([2, 2]);
    gates[1]!.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    gates[2]!.open();
    gates[3]!.open();
    expect(await Promise.all(calls)).toEqual([0, 1, 2, 3]);
    expect([b.running, b.queued]).toEqual([0, 0]);
  });

  it('frees the slot when an execution throws synchronously or rejects', async () => {
    const b = bulkhead({ maxConcurrent: 1 });
    await expect(
      b.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(b.execute(() => Promise.reject(new Error('async')))).rejects.toThrow('async');
    await expect(b.execute(() => 'fine')).resolves.toBe('fine');
    expect(b.running).toBe(0);
  });

  it('a queued call whose signal aborts leaves the queue at once', async () => {
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    const g = gate();
    const first = b.execute(() => g.promise);
    const ac = new AbortController();
    let ranAborted = false;
    const queued = b.execute(
      () => {
        ranAborted = true;
      },
      { signal: ac.signal },
    );
    const next = b.execute(() => 'next');
    expect(b.queued).toBe(2);
    ac.abort();
    await expect(queued).rejects.toBeInstanceOf(AbortedError);
    expect(b.queued).toBe(1);
    g.open();
    await first;
    await expect(next).resolves.toBe('next');
    expect(ranAborted).toBe(false);
    expect([b.running, b.queued]).toEqual([0, 0]);
  });

  it('rejects invalid sizes', () => {
    expect(() => bulkhead({ maxConcurrent: 0 })).toThrow(/maxConcurrent/);
    expect(() => bulkhead({ maxConcurrent: 1, maxQueue: -1 })).toThrow(/maxQueue/);
  });
});
