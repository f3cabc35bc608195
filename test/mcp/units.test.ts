import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/index.js';
import { AbortedError, ManualClock } from '../../src/core/index.js';
import { HttpStatusError, InvalidJsonError } from '../../src/http/index.js';
import { describeFailure, errorResult, InputValidator, KeyTemplate } from '../../src/mcp/index.js';
import { stableStringify } from '../../src/mcp/tools/key-template.js';
import { sharedFetch } from '../../src/mcp/tools/configured-tool.js';
import { buildRequestMapping, mapArguments } from '../../src/mcp/tools/request-mapping.js';
import { CircuitOpenError, TimeoutError } from '../../src/resilience/index.js';

describe('KeyTemplate', () => {
  it('fills holes from (nested) arguments; a missing one renders %-, which no value can', () => {
    const t = new KeyTemplate('user:{user.id}:assignment:{id}');
    expect(t.render({ id: 'a1', user: { id: 'u1' } })).toBe('user:u1:assignment:a1');
    expect(t.render({ id: 7 })).toBe('user:%-:assignment:7');
    expect(t.render({ id: 7, user: { id: '' } })).toBe('user::assignment:7');
    expect(t.render({ id: 7, user: { id: '%-' } })).toBe('user:%25-:assignment:7');
    expect(t.fields).toEqual(['user', 'id']);
  });

  it('renders equal keys for equal arguments whatever their key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(stableStringify(reversed)).toBe(stableStringify(obj));
        expect(new KeyTemplate('k:{v}').render({ v: reversed })).toBe(
          new KeyTemplate('k:{v}').render({ v: obj }),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('argument mapping', () => {
  it('puts every argument in exactly one place', () => {
    const mapping = buildRequestMapping(
      'POST',
      '/users/{userId}/items',
      { properties: { userId: {}, q: {}, trace: {}, title: {} } },
      { q: 'query', trace: 'header' },
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            userId: fc.string(),
            q: fc.string(),
            trace: fc.string(),
            title: fc.string(),
            extra: fc.integer(),
          },
          { requiredKeys: [] },
        ),
        (args) => {
          const m = mapArguments(mapping, args);
          const placed = [
            ...Object.keys(m.params),
            ...Object.keys(m.query),
            ...Object.keys(m.headers),
            ...Object.keys(m.json ?? {}),
          ].sort();
          expect(placed).toEqual(Object.keys(args).sort());
          if ('userId' in args) expect(m.params.userId).toBe(args.userId);
          if ('trace' in args) expect(m.headers.trace).toBe(args.trace);
          // Not listed anywhere: the method's default (body for POST).
          if ('extra' in args) expect(m.json?.extra).toBe(args.extra);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('sends GET arguments to the query by default', () => {
    const m = mapArguments(buildRequestMapping('GET', '/items', { properties: { tags: {} } }, undefined), {
      tags: ['a', 'b'],
      page: 2,
    });
    expect(m.query).toEqual({ tags: ['a', 'b'], page: 2 });
    expect(m.json).toBeUndefined();
  });
});

describe('InputValidator', () => {
  const v = new InputValidator();
  const check = v.getValidator({
    type: 'object',
    properties: {
      id: { type: 'string' },
      limit: { type: 'integer', maximum: 10 },
      status: { enum: ['todo', 'done'] },
      items: { type: 'array', items: { type: 'object', properties: { n: { type: 'number' } } } },
    },
    required: ['id'],
    additionalProperties: false,
  } as never);

  it('names every bad field', () => {
    const r = check({ limit: 11, status: 'x', items: [{ n: 'one' }], other: 1 });
    expect(r.valid).toBe(false);
    expect(r.errorMessage).toContain('field "id" is required');
    expect(r.errorMessage).toContain('field "limit" must be <= 10');
    expect(r.errorMessage).toContain('field "status" must be one of ["todo","done"]');
    expect(r.errorMessage).toContain('field "items[0].n" must be number');
    expect(r.errorMessage).toContain('field "other" is not allowed');
  });

  it('passes valid input through', () => {
    expect(check({ id: 'a', limit: 3 })).toEqual({
      valid: true,
      data: { id: 'a', limit: 3 },
      errorMessage: undefined,
    });
  });
});

describe('error messages', () => {
  it('say what happened and what to do, by error code', () => {
    const status = new HttpStatusError({
      status: 422,
      method: 'POST',
      url: 'http://api/items',
      bodyExcerpt: '{"error":"title too long"}',
    });
    expect(describeFailure(status, 'api', 'create_item').text).toBe(
      'Upstream "api" answered HTTP 422 to POST http://api/items: {"error":"title too long"}. The upstream rejected the request; check the arguments against the error above.',
    );
    const open = new CircuitOpenError({ retryAt: 12_000, now: 0, state: 'open', breaker: 'api' });
    expect(describeFailure(open, 'api', 'get_item').text).toMatch(
      /circuit breaker is open.*Retry after 12 s/,
    );
    expect(describeFailure(new AbortedError('the gateway was closed'), 'api', 'x').text).toBe(
      'The call to x was stopped: the gateway was closed.',
    );
    expect(describeFailure(new Error('boom'), 'api', 'x')).toEqual({
      code: 'INTERNAL',
      text: 'x failed with an internal error: boom',
    });
  });

  it('a body that is not JSON names the upstream and the request, and says what to do', () => {
    const err = new InvalidJsonError(
      'GET',
      'http://api/items/1',
      new SyntaxError('Unexpected end of JSON input'),
    );
    expect(describeFailure(err, 'api', 'get_item')).toEqual({
      code: 'RESPONSE_INVALID_JSON',
      text:
        'Upstream "api" answered GET http://api/items/1 with a body that is not valid JSON (Unexpected end of JSON input). ' +
        'The upstream is misbehaving (a cut-off answer, or an error page from a proxy in front of it); retry later, ' +
        'and if it keeps happening an operator should check the upstream.',
    });
  });

  it('a timeout names the setting an operator raises when the upstream is just slow', () => {
    const total = new TimeoutError('GET http://api/items/1 did not complete within 2000 ms', {
      timeoutMs: 2000,
      phase: 'total',
    });
    expect(describeFailure(total, 'api', 'get_item').text).toBe(
      'Upstream "api" did not answer in time: the total timeout of 2.0 s expired. Retry later; if it keeps happening the upstream is slow or down. ' +
        "If it is just slow, an operator can raise upstreams.api.timeouts.total (or the tool's timeout).",
    );
    const headers = new TimeoutError(undefined, { timeoutMs: 500, phase: 'headers' });
    expect(describeFailure(headers, 'api', 'get_item').text).toMatch(
      /the headers timeout of 500 ms expired\..* an operator can raise upstreams\.api\.timeouts\.headers\.$/,
    );
  });

  it('are tool results with the machine-readable part in _meta', () => {
    const r = errorResult(
      new HttpStatusError({ status: 429, method: 'GET', url: 'u', bodyExcerpt: '', retryAfterMs: 2000 }),
      'api',
      't',
    );
    expect(r.isError).toBe(true);
    expect(r._meta).toEqual({ 'conduit/error': { code: 'HTTP_STATUS', status: 429, retryAfterMs: 2000 } });
    expect((r.content[0] as { text: string }).text).toContain('retry after 2.0 s');
  });
});

describe('sharedFetch', () => {
  it('does not fail a caller because another caller sharing the flight cancelled', async () => {
    const cache = createCache({ prefix: 'shared-fetch' });
    const first = new AbortController();
    let calls = 0;
    const factoryFor = (signal: AbortSignal) => () => {
      calls++;
      if (calls === 1)
        return new Promise<string>((_, reject) =>
          signal.addEventListener('abort', () => reject(new AbortedError('The operation was aborted')), {
            once: true,
          }),
        );
      return Promise.resolve('fresh');
    };
    const a = sharedFetch(cache, 'k', factoryFor(first.signal), { ttlMs: 1000 }, first.signal);
    const second = new AbortController();
    const b = sharedFetch(cache, 'k', factoryFor(second.signal), { ttlMs: 1000 }, second.signal);
    await Promise.resolve();
    first.abort();
    await expect(a).rejects.toThrow();
    await expect(b).resolves.toMatchObject({ value: 'fresh', source: 'factory' });
    expect(calls).toBe(2);
    // The same race on the bare cache: the second caller joined the flight and inherits the abort.
    calls = 0;
    const c = new AbortController();
    const x = cache.getOrSetWithMeta('k2', factoryFor(c.signal), { ttlMs: 1000 });
    const y = cache.getOrSetWithMeta('k2', factoryFor(new AbortController().signal), { ttlMs: 1000 });
    await Promise.resolve();
    c.abort();
    await expect(x).rejects.toThrow();
    await expect(y).rejects.toThrow();
    expect(calls).toBe(1);
    await cache.close();
  });

  it('does not fail a caller when the callers whose flights it joined cancel one after the other', async () => {
    const cache = createCache({ prefix: 'shared-fetch-2' });
    const started: AbortSignal[] = [];
    let nextStart: () => void = () => {};
    const startedAgain = () => new Promise<void>((resolve) => (nextStart = resolve));
    // Every upstream request but the third waits for its own caller's cancellation.
    const factoryFor = (signal: AbortSignal) => () => {
      started.push(signal);
      nextStart();
      if (started.length === 3) return Promise.resolve('fresh');
      return new Promise<string>((_, reject) =>
        signal.addEventListener('abort', () => reject(new AbortedError('The operation was aborted')), {
          once: true,
        }),
      );
    };
    const [a, b, c] = [new AbortController(), new AbortController(), new AbortController()];
    const first = startedAgain();
    const pa = sharedFetch(cache, 'k', factoryFor(a.signal), { ttlMs: 1000 }, a.signal);
    const pb = sharedFetch(cache, 'k', factoryFor(b.signal), { ttlMs: 1000 }, b.signal);
    const pc = sharedFetch(cache, 'k', factoryFor(c.signal), { ttlMs: 1000 }, c.signal);
    await first;
    const second = startedAgain();
    a.abort();
    await expect(pa).rejects.toThrow(AbortedError);
    // b and c went again together, on b's request this time; then b cancels too.
    await second;
    expect(started).toEqual([a.signal, b.signal]);
    b.abort();
    await expect(pb).rejects.toThrow(AbortedError);
    await expect(pc).resolves.toMatchObject({ value: 'fresh', source: 'factory' });
    expect(started).toEqual([a.signal, b.signal, c.signal]);
    await cache.close();
  });

  it("gives a caller that joined a stale entry's refresh a fresh answer when the refresh's caller cancels", async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ prefix: 'shared-fetch-stale', clock, ttlMs: 200, staleIfErrorMs: 60_000 });
    await cache.set('k', 'old');
    clock.advance(200);
    const a = new AbortController();
    let calls = 0;
    let refreshStarted!: () => void;
    const started = new Promise<void>((r) => (refreshStarted = r));
    const factoryFor = (signal: AbortSignal) => () => {
      calls++;
      if (calls > 1) return Promise.resolve('fresh');
      refreshStarted();
      return new Promise<string>((_, reject) =>
        signal.addEventListener('abort', () => reject(new AbortedError('The operation was aborted')), {
          once: true,
        }),
      );
    };
    const pa = sharedFetch(cache, 'k', factoryFor(a.signal), { ttlMs: 1000 }, a.signal);
    await started;
    const b = new AbortController();
    const pb = sharedFetch(cache, 'k', factoryFor(b.signal), { ttlMs: 1000 }, b.signal);
    a.abort();
    await expect(pa).rejects.toThrow(AbortedError);
    await expect(pb).resolves.toMatchObject({ value: 'fresh', source: 'factory', stale: false });
    expect(calls).toBe(2);
    await cache.close();
  });

  it("gives a caller its own request's cancellation error, without asking again", async () => {
    const cache = createCache({ prefix: 'shared-fetch-3' });
    let calls = 0;
    const a = new AbortController();
    const p = sharedFetch(
      cache,
      'k',
      () => {
        calls++;
        // An abort error though the caller is still there: the request's own, not another caller's.
        return Promise.reject(new AbortedError('The operation was aborted'));
      },
      { ttlMs: 1000 },
      a.signal,
    );
    await expect(p).rejects.toThrow(AbortedError);
    expect(calls).toBe(1);
    await cache.close();
  });
});
