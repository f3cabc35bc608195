import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRecordingLogger } from '../../src/core/index.js';
import { createHttpClient, InvalidPathError, expandPath } from '../../src/http/index.js';

describe('expandPath', () => {
  it('puts encoded parameters into their holes', () => {
    expect(expandPath('/users/{id}/posts/{postId}', { id: 42, postId: 'a b' })).toBe('/users/42/posts/a%20b');
  });

  it.each([
    ['a/b', '/r/a%2Fb'],
    ['?admin=1', '/r/%3Fadmin%3D1'],
    ['#frag', '/r/%23frag'],
    ['%2e%2e', '/r/%252e%252e'],
    ['..%2f', '/r/..%252f'],
    ['http://evil.example/x', '/r/http%3A%2F%2Fevil.example%2Fx'],
    ['\\..\\', '/r/%5C..%5C'],
  ])('keeps the injection attempt %j inside one segment', (value, expected) => {
    expect(expandPath('/r/{id}', { id: value })).toBe(expected);
  });

  it.each(['', '.', '..'])('rejects the navigating value %j', (value) => {
    expect(() => expandPath('/r/{id}', { id: value })).toThrow(InvalidPathError);
  });

  it('rejects missing and non-scalar parameters', () => {
    expect(() => expandPath('/r/{id}', {})).toThrow(/missing/);
    expect(() => expandPath('/r/{id}')).toThrow(/needs parameters/);
    expect(() => expandPath('/r/{id}', { id: { x: 1 } as unknown as string })).toThrow(
      /string, number or boolean/,
    );
  });

  it.each([
    'http://evil.example/x',
    '//evil.example/x',
    'relative/path',
    '/a/../b',
    '/a/%2e%2E/b',
    '/a/%2e%2e%2fb',
    '/a?x=1',
    '/a#frag',
    '/a\\b',
    '/a b',
    '/a/%zz',
    '/a/{id',
  ])('rejects the unsafe literal path %j', (path) => {
    expect(() => expandPath(path)).toThrow(InvalidPathError);
  });

  it('property: any string parameter stays a single segment of the same path', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
        fc.pre(value !== '' && value !== '.' && value !== '..');
        const out = expandPath('/base/{id}/tail', { id: value });
        const segments = out.split('/');
        expect(segments).toHaveLength(4);
        expect(segments[1]).toBe('base');
        expect(segments[3]).toBe('tail');
        expect(out).not.toMatch(/[?#\s\\]/);
        expect(decodeURIComponent(segments[2]!)).toBe(value);
        // The origin never changes: the expanded path resolves on the same host.
        expect(new URL(out, 'http://127.0.0.1:1/').host).toBe('127.0.0.1:1');
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    '/x?api_key=SEKRET123',
    '/x#SEKRET123',
    '/a b?token=SEKRET123',
    '/a/%zz?key=SEKRET123',
    '//evil.example?token=SEKRET123',
    'https://user:SEKRET123@evil.example/x',
    '//user:SEKRET123@evil.example/x',
    '/a/{id?key=SEKRET123',
  ])('never echoes a secret of %j in the error message', (path) => {
    let err: unknown;
    try {
      expandPath(path, { id: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidPathError);
    expect((err as Error).message).not.toContain('SEKRET123');
    // It still names the path, so the user can find the offending call.
    expect((err as Error).message).toMatch(/Path( template)? "/);
  });

  it('keeps the path before the query in the message and truncates a long one', () => {
    expect(() => expandPath('/orders/7?api_key=SEKRET123')).toThrow('Path "/orders/7?…"');
    const long = `/${'a'.repeat(5000)}?k=SEKRET123`;
    let message = '';
    try {
      expandPath(long);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toContain('SEKRET123');
    expect(message.length).toBeLessThan(400);
  });

  it('a client call with a secret in the path rejects without the secret in the error or the logs', async () => {
    const logger = createRecordingLogger();
    // Port 9 on loopback: the call must fail before any connection is attempted.
    const client = createHttpClient({ baseUrl: 'http://127.0.0.1:9', logger });
    try {
      const err = await client.get('/x?api_key=SEKRET123').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidPathError);
      expect(String((err as Error).message)).not.toContain('SEKRET123');
      expect(JSON.stringify(logger.records)).not.toContain('SEKRET123');
    } finally {
      await client.close();
    }
  });
});

describe('parameter names as OpenAPI documents write them', () => {
  it('a name with "-" or "." is a parameter (GitHub: {enterprise-team}), its value one encoded segment', () => {
    expect(
      expandPath('/e/{enterprise}/teams/{enterprise-team}/x', {
        enterprise: 'a',
        'enterprise-team': 'b c/d',
      }),
    ).toBe('/e/a/teams/b%20c%2Fd/x');
    expect(expandPath('/v/{api.version}', { 'api.version': '2' })).toBe('/v/2');
  });
});
