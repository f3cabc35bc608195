import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  CONDUIT_ERROR_CODES,
  ConduitError,
  ConfigError,
  conduitCodeOf,
  isAbortError,
} from '../../src/core/index.js';

describe('core errors', () => {
  it('ConduitError carries its code, name and cause; toJSON has no stack and no cause', () => {
    const cause = new Error('secret-bearing cause');
    class MyError extends ConduitError {}
    const e = new MyError('MY_CODE' as never, 'what went wrong', { cause });
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

  it('every code is documented once; conduitCodeOf knows them and nothing else', () => {
    for (const [code, meaning] of Object.entries(CONDUIT_ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z_]+$/);
      expect(meaning).toMatch(/^[a-z]+: /);
    }
    expect(conduitCodeOf(new ConfigError('x'))).toBe('INVALID_CONFIG');
    expect(conduitCodeOf({ code: 'ECONNRESET' })).toBeUndefined();
    expect(conduitCodeOf({ code: 'toString' })).toBeUndefined();
    expect(conduitCodeOf('CIRCUIT_OPEN')).toBeUndefined();
  });

  it('an AbortedError is explained when its message says why, not for a plain cancellation', () => {
    expect(new AbortedError().explained).toBe(false);
    expect(new AbortedError('the gateway was closed').explained).toBe(true);
    expect(new AbortedError('The operation was aborted by its caller', { explained: false }).explained).toBe(
      false,
    );
  });
});
