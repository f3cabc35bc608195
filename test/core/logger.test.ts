import { describe, expect, it } from 'vitest';
import { createRecordingLogger, noopLogger } from '../../src/core/index.js';

describe('createRecordingLogger', () => {
  it('records level, message and fields; children add bindings and share the sink', () => {
    const logger = createRecordingLogger({ app: 'x' });
    logger.info('plain');
    logger.warn({ attempt: 2 }, 'retrying');
    const child = logger.child({ breaker: 'billing' });
    child.error({ code: 'E' }, 'failed');
    child.child({ attempt: 3 }).debug('deep');
    expect(logger.records).toEqual([
      { app: 'x', level: 'info', msg: 'plain' },
      { app: 'x', attempt: 2, level: 'warn', msg: 'retrying' },
      { app: 'x', breaker: 'billing', code: 'E', level: 'error', msg: 'failed' },
      { app: 'x', breaker: 'billing', attempt: 3, level: 'debug', msg: 'deep' },
    ]);
  });

  it('a field named level or msg cannot forge the recorded level', () => {
    const logger = createRecordingLogger();
    logger.trace({ level: 'error', msg: 'forged' } as Record<string, unknown>, 'real');
    expect(logger.records).toEqual([{ level: 'trace', msg: 'real' }]);
  });

  it('noopLogger drops everything and its child is itself', () => {
    expect(noopLogger.child({ a: 1 })).toBe(noopLogger);
    expect(noopLogger.info('x')).toBeUndefined();
  });
});
