import { describe, expect, it } from 'vitest';
import { createRecordingLogger, ManualClock, summarizingLogger } from '../../src/core/index.js';

const failure = (i: number) => ({
  event: 'http.error',
  code: 'CIRCUIT_OPEN',
  upstream: 'api',
  route: '/items/{id}',
  url: `http://api/items/${i}`,
  duration_ms: i,
});

describe('summarizingLogger', () => {
  it('writes the first of many identical failures in full, then one count per interval', () => {
    const clock = new ManualClock(0);
    const rec = createRecordingLogger();
    const log = summarizingLogger(rec, { intervalMs: 1000, clock });
    for (let i = 0; i < 2700; i++) log.warn(failure(i), 'http error');
    expect(rec.records).toHaveLength(1);
    expect(rec.records[0]).toMatchObject({ level: 'warn', msg: 'http error', url: 'http://api/items/0' });

    clock.advance(1000);
    expect(rec.records).toHaveLength(2);
    expect(rec.records[1]).toMatchObject({
      level: 'warn',
      event: 'http.error',
      code: 'CIRCUIT_OPEN',
      upstream: 'api',
      repeated: 2699,
      interval_ms: 1000,
    });
    expect(rec.records[1]!.msg).toContain('repeated 2699 more times');

    // Still failing in the next interval: counted again, not written in full.
    for (let i = 0; i < 5; i++) log.warn(failure(i), 'http error');
    clock.advance(1000);
    expect(rec.records).toHaveLength(3);
    expect(rec.records[2]).toMatchObject({ repeated: 5 });

    // A quiet interval forgets it: the next one is written in full again.
    clock.advance(1000);
    expect(rec.records).toHaveLength(3);
    clock.advance(1000);
    log.warn(failure(9), 'http error');
    expect(rec.records).toHaveLength(4);
    expect(rec.records[3]).toMatchObject({ url: 'http://api/items/9' });
    expect(rec.records[3]!.repeated).toBeUndefined();
  });

  it('keeps different failures, levels and loggers apart, and passes other levels through', () => {
    const clock = new ManualClock(0);
    const rec = createRecordingLogger();
    const log = summarizingLogger(rec, { intervalMs: 1000, clock });
    const a = log.child({ component: 'a' });
    const b = log.child({ component: 'b' });
    log.warn(failure(1), 'http error');
    log.warn({ ...failure(1), code: 'TIMEOUT' }, 'http error');
    log.error(failure(1), 'http error');
    a.warn(failure(1), 'http error');
    b.warn(failure(1), 'http error');
    for (let i = 0; i < 3; i++) log.info(failure(i), 'http error');
    expect(rec.records).toHaveLength(8);
    a.warn(failure(2), 'http error');
    expect(rec.records).toHaveLength(8);
    clock.advance(1000);
    expect(rec.records).toHaveLength(9);
    expect(rec.records[8]).toMatchObject({ component: 'a', repeated: 1 });
  });

  it('close() writes what is pending and leaves no timer behind', () => {
    const clock = new ManualClock(0);
    const rec = createRecordingLogger();
    const log = summarizingLogger(rec, { intervalMs: 1000, clock });
    log.warn('upstream down');
    log.warn('upstream down');
    log.close();
    expect(rec.records.map((r) => r.repeated)).toEqual([undefined, 1]);
    expect(clock.pending()).toBe(0);
  });

  it('past maxKeys distinct lines, new kinds are written as they come (nothing is lost)', () => {
    const clock = new ManualClock(0);
    const rec = createRecordingLogger();
    const log = summarizingLogger(rec, { intervalMs: 1000, clock, maxKeys: 2 });
    for (let i = 0; i < 5; i++) log.warn({ code: `C${i}` }, 'x');
    expect(rec.records).toHaveLength(5);
  });
});
