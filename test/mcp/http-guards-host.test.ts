import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { RequestGuard } from '../../src/mcp/transport/http-guards.js';

const request = (host: string | undefined) =>
  ({ headers: host === undefined ? {} : { host } }) as unknown as IncomingMessage;

describe('RequestGuard Host check', () => {
  it('keeps refusing a foreign or missing Host after it admitted a good one (the admitted one is remembered)', () => {
    const guard = new RequestGuard({
      allowedHosts: ['mcp.internal'],
      allowedOrigins: undefined,
      authTokens: undefined,
      bindHost: '127.0.0.1',
    });
    expect(guard.check(request('127.0.0.1:8080')).ok).toBe(true);
    expect(guard.check(request('127.0.0.1:8080')).ok).toBe(true);
    expect(guard.check(request(undefined))).toMatchObject({ ok: false, status: 403 });
    expect(guard.check(request('evil.example.com'))).toMatchObject({ ok: false, status: 403 });
    expect(guard.check(request('mcp.internal:8080')).ok).toBe(true);
    expect(guard.check(request('127.0.0.1:8080')).ok).toBe(true);
    expect(guard.check(request('evil.example.com:8080'))).toMatchObject({ ok: false, status: 403 });
    expect(guard.check(request(undefined))).toMatchObject({ ok: false, status: 403 });
  });
});
