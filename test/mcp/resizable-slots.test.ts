import { describe, expect, it } from 'vitest';
import { ResizableSlots } from '../../src/mcp/tools/resizable-slots.js';
import { deferred } from '../helpers/deferred.js';

const live = () => new AbortController().signal;

describe('ResizableSlots', () => {
  it('starts waiting calls in FIFO order as slots free; refuses past the queue bound', async () => {
    const slots = new ResizableSlots(1, 2);
    const order: string[] = [];
    const first = deferred();
    const running = slots.run(() => first.promise, live());
    const b = slots.run(async () => void order.push('b'), live());
    const c = slots.run(async () => void order.push('c'), live());
    await expect(slots.run(async () => {}, live())).rejects.toMatchObject({ code: 'BULKHEAD_REJECTED' });
    first.resolve();
    await Promise.all([running, b, c]);
    expect(order).toEqual(['b', 'c']);
  });

  it('a waiting call whose signal aborts leaves the queue without ever running', async () => {
    const slots = new ResizableSlots(1, 1);
    const first = deferred();
    const running = slots.run(() => first.promise, live());
    const abort = new AbortController();
    let ran = false;
    const waiting = slots.run(async () => {
      ran = true;
    }, abort.signal);
    abort.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    // Its place is free again.
    const next = slots.run(async () => 'next', live());
    first.resolve();
    await running;
    expect(await next).toBe('next');
    expect(ran).toBe(false);
  });

  it('a smaller max counts the calls already running; a larger one starts waiting calls at once', async () => {
    const slots = new ResizableSlots(2, 4);
    const held = [deferred(), deferred()];
    const running = held.map((d) => slots.run(() => d.promise, live()));
    slots.resize(1, 4);
    const started: string[] = [];
    const later = slots.run(async () => void started.push('later'), live());
    expect(slots.queued).toBe(1);
    held[0]!.resolve();
    await running[0];
    // The one still running fills the new max of 1: the later call still waits.
    expect({ inUse: slots.inUse, queued: slots.queued }).toEqual({ inUse: 1, queued: 1 });
    slots.resize(2, 4);
    expect(slots.queued).toBe(0);
    await later;
    expect(started).toEqual(['later']);
    held[1]!.resolve();
    await running[1];
  });
});
