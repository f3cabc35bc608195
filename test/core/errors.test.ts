import { describe, expect, it } from 'vitest';
import { AbortedError, ConduitError, ConfigError, isAbortError } from '../../src/core/index.js';

describe('core errors', () => {
  it('ConduitError carries its code, name and cause; toJSON has no stack and no cause', () => {
    const cause = new Error('secret-bearing cause');
    class MyError extends ConduitError {}
    const e = new MyError('MY_CODE', 'what went wrong', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('MY_CODE');
    expect(e.name).toBe('MyError');
    expect(e.cause).toBe(cause);
    expect(e.toJSON()).toEqual({ name: 'MyError', code: 'MY_CODE', message: 'what went wrong' });
    expect(JSON.stringify(e)).not.toContain('secret-bearing');
  });

  it('ConfigError and AbortedError have stable codes', () => {
    const c = new ConfigError('retry: maxAttempts must be >= 1');
    expect(c).toBeInstanceOf(ConduitError);
    expect(c.toJSON()).toEqual({
      name: 'ConfigError',
      code: 'INVALID_CONFIG',
      message: 'retry: maxAttempts must be >= 1',
    });
    const a = new AbortedError();
    expect(a.toJSON()).toEqual({
      name: 'AbortedError',
      code: 'ABORTED',
      message: 'The operation was aborted',
    });
    expect(new AbortedError('stopped').message).toBe('stopped');
  });

  it('isAbortError recognises ours and DOM-style aborts only', () => {
    expect(isAbortError(new AbortedError())).toBe(true);
    const ac = new AbortController();
    ac.abort();
    expect(isAbortError(ac.signal.reason)).toBe(true);
    expect(isAbortError(new Error('x'))).toBe(false);
    expect(isAbortError(new ConfigError('x'))).toBe(false);
    expect(isAbortError(null)).toBe(false);
    expect(isAbortError('AbortError')).toBe(false);
  });
});
