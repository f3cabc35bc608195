import { describe, expect, it } from 'vitest';
import { ConduitError } from '../../src/core/index.js';
import {
  BulkheadRejectedError,
  CircuitOpenError,
  RateLimitExceededError,
  RetryBudgetExhaustedError,
  TimeoutError,
} from '../../src/resilience/index.js';

describe('resilience errors', () => {
  it('have stable codes, names and ConduitError as base', () => {
    const errors = [
      new CircuitOpenError({ retryAt: 5000, now: 1000, state: 'open', breaker: 'api' }),
      new TimeoutError(undefined, { timeoutMs: 250 }),
      new BulkheadRejectedError(4, 10),
      new RetryBudgetExhaustedError({ cause: new Error('last') }),
      new RateLimitExceededError(1500.2, 1000),
    ];
    expect(errors.map((e) => [e.name, e.code, e instanceof ConduitError])).toEqual([
      ['CircuitOpenError', 'CIRCUIT_OPEN', true],
      ['TimeoutError', 'TIMEOUT', true],
      ['BulkheadRejectedError', 'BULKHEAD_REJECTED', true],
      ['RetryBudgetExhaustedError', 'RETRY_BUDGET_EXHAUSTED', true],
      ['RateLimitExceededError', 'RATE_LIMIT_EXCEEDED', true],
    ]);
  });

  it('say what happened and what to do', () => {
    const open = new CircuitOpenError({ retryAt: 5000, now: 1000, state: 'open', breaker: 'api' });
    expect(open.message).toBe('Circuit breaker "api" is open after repeated failures; retry in 4000 ms');
    expect(open.retryAfterMs).toBe(4000);
    expect(new TimeoutError(undefined, { timeoutMs: 250, phase: 'headers' }).message).toMatch(
      /250 ms \(phase: headers\); raise the timeout/,
    );
    expect(new RateLimitExceededError(1500.2, 1000)).toMatchObject({ retryAfterMs: 1501 });
  });

  it('serialise to JSON without stacks or causes, Infinity as null', () => {
    const isolated = new CircuitOpenError({ retryAt: Number.POSITIVE_INFINITY, now: 0, state: 'isolated' });
    expect(JSON.parse(JSON.stringify(isolated))).toEqual({
      name: 'CircuitOpenError',
      code: 'CIRCUIT_OPEN',
      message: expect.stringContaining('isolated'),
      state: 'isolated',
      retryAfterMs: null,
      retryAt: null,
    });
    const t = new TimeoutError('custom message', {
      timeoutMs: 9,
      phase: 'connect',
      cause: new Error('secret'),
    });
    expect(JSON.parse(JSON.stringify(t))).toEqual({
      name: 'TimeoutError',
      code: 'TIMEOUT',
      message: 'custom message',
      timeoutMs: 9,
      phase: 'connect',
    });
  });
});
