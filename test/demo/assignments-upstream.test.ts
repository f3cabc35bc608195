import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ManualClock } from '../../src/core/index.js';
import { type AssignmentsUpstream, seedAssignments, startAssignmentsUpstream } from '../../src/demo/index.js';

let upstream: AssignmentsUpstream | undefined;
afterEach(async () => {
  await upstream?.close();
  upstream = undefined;
});

async function start(options: Parameters<typeof startAssignmentsUpstream>[0] = {}) {
  upstream = await startAssignmentsUpstream(options);
  return upstream;
}

async function json(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

describe('assignments upstream: the REST API', () => {
  it('listens on a free loopback port', async () => {
    const up = await start();
    expect(up.url).toBe(`http://127.0.0.1:${up.port}`);
    expect(up.port).toBeGreaterThan(0);
  });

  it('lists with page/page_size and a total', async () => {
    const up = await start();
    const first = await json(`${up.url}/assignments?page_size=5`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ page: 1, page_size: 5, total: 12, total_pages: 3 });
    expect(first.body.items.map((a: { id: string }) => a.id)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    const last = await json(`${up.url}/assignments?page=3&page_size=5`);
    expect(last.body.items.map((a: { id: string }) => a.id)).toEqual(['a11', 'a12']);
    const done = await json(`${up.url}/assignments?status=done&page_size=100`);
    expect(done.body.items.every((a: { status: string }) => a.status === 'done')).toBe(true);
    expect(done.body.total).toBe(4);
    for (const bad of ['page=0', 'page_size=101', 'page=x', 'status=lost'])
      expect((await json(`${up.url}/assignments?${bad}`)).status).toBe(400);
  });

  it('pages cover every item exactly once, for any page size', async () => {
    const up = await start();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 13 }), async (size) => {
        const seen: string[] = [];
        for (let page = 1; ; page++) {
          const { body } = await json(`${up.url}/assignments?page=${page}&page_size=${size}`);
          if (body.items.length === 0) break;
          seen.push(...body.items.map((a: { id: string }) => a.id));
          expect(body.total).toBe(12);
        }
        expect(seen).toEqual(seedAssignments().map((a) => a.id));
      }),
      { numRuns: 8 },
    );
  });

  it("lists a user's assignments", async () => {
    const up = await start();
    const { body } = await json(`${up.url}/users/u2/assignments`);
    expect(body.total).toBe(4);
    expect(body.items.every((a: { userId: string }) => a.userId === 'u2')).toBe(true);
    expect((await json(`${up.url}/users/nobody/assignments`)).body.total).toBe(0);
  });

  it('gets by id, 404 for an unknown id or path, 405 for a wrong method', async () => {
    const up = await start();
    const got = await json(`${up.url}/assignments/a3`);
    expect(got.body).toMatchObject({
      id: 'a3',
      userId: 'u3',
      title: 'Essay draft: the water cycle',
      version: 1,
    });
    expect(await json(`${up.url}/assignments/a999`)).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
    expect((await json(`${up.url}/nope`)).status).toBe(404);
    expect((await json(`${up.url}/assignments`, { method: 'DELETE' })).status).toBe(405);
  });

  it('creates, honouring Idempotency-Key', async () => {
    const up = await start();
    const created = await json(
      `${up.url}/assignments`,
      post({ userId: 'u1', title: 'New one' }, { 'idempotency-key': 'k1' }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'a13',
      userId: 'u1',
      title: 'New one',
      status: 'todo',
      version: 1,
    });
    expect(created.headers.get('location')).toBe('/assignments/a13');
    const replay = await json(
      `${up.url}/assignments`,
      post({ userId: 'u1', title: 'New one' }, { 'idempotency-key': 'k1' }),
    );
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(created.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const reused = await json(
      `${up.url}/assignments`,
      post({ userId: 'u1', title: 'Other' }, { 'idempotency-key': 'k1' }),
    );
    expect(reused).toMatchObject({ status: 422, body: { error: { code: 'idempotency_key_reused' } } });
    const noKey = await json(`${up.url}/assignments`, post({ userId: 'u1', title: 'New one' }));
    expect(noKey.body.id).toBe('a14');
    const forUser = await json(`${up.url}/users/u2/assignments`, post({ title: 'Via user' }));
    expect(forUser.body).toMatchObject({ id: 'a15', userId: 'u2' });
    expect(up.stats()).toMatchObject({ created: 3, idempotentReplays: 1 });
    expect(up.assignments()).toHaveLength(15);
  });

  it('validates bodies', async () => {
    const up = await start();
    expect((await json(`${up.url}/assignments`, post({ userId: 'u1' }))).status).toBe(400);
    expect(
      (await json(`${up.url}/assignments`, post({ userId: 'u1', title: 'x', extra: 1 }))).body.error.message,
    ).toContain('unknown field(s): extra');
    const bad = await fetch(`${up.url}/assignments`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect(
      (await json(`${up.url}/assignments/a1`, { ...post({ status: 'lost' }), method: 'PATCH' })).status,
    ).toBe(400);
    expect(
      (await json(`${up.url}/assignments/a1`, { ...post({ dueDate: 'soon' }), method: 'PATCH' })).status,
    ).toBe(400);
  });

  it('updates with PATCH or PUT, bumping the version', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
    const up = await start({ clock });
    const patched = await json(`${up.url}/assignments/a1`, { ...post({ status: 'done' }), method: 'PATCH' });
    expect(patched.body).toMatchObject({
      id: 'a1',
      status: 'done',
      title: 'Read chapter 3',
      version: 2,
      updatedAt: '2026-03-01T10:00:00.000Z',
    });
    const put = await json(`${up.url}/assignments/a1`, { ...post({ title: 'Renamed' }), method: 'PUT' });
    expect(put.body).toMatchObject({ title: 'Renamed', status: 'done', version: 3 });
    expect((await json(`${up.url}/assignments/a1`)).body.version).toBe(3);
    expect(up.stats().updated).toBe(2);
  });

  it('requires the bearer token when one is set, except on the control API', async () => {
    const up = await start({ token: 't0k3n' });
    expect((await json(`${up.url}/assignments/a1`)).status).toBe(401);
    expect(
      (await json(`${up.url}/assignments/a1`, { headers: { authorization: 'Bearer nope' } })).status,
    ).toBe(401);
    expect(
      (await json(`${up.url}/assignments/a1`, { headers: { authorization: 'Bearer t0k3n' } })).status,
    ).toBe(200);
    expect((await json(`${up.url}/_control/stats`)).status).toBe(200);
  });
});

describe('assignments upstream: faults and counters', () => {
  it('fails with an error status for N requests, then recovers', async () => {
    const up = await start();
    up.setFault({ kind: 'error', status: 500, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await json(`${up.url}/assignments/a1`)).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(up.fault).toBeUndefined();
    expect(up.stats()).toMatchObject({ requests: 3, faultsInjected: 2, byStatus: { 500: 2, 200: 1 } });
  });

  it('fails until cleared (default 503), and only matching requests', async () => {
    const up = await start();
    up.setFault({ kind: 'error', match: { method: 'GET', pathPrefix: '/assignments/' } });
    expect((await json(`${up.url}/assignments/a1`)).status).toBe(503);
    expect((await json(`${up.url}/assignments/a2`)).status).toBe(503);
    expect((await json(`${up.url}/assignments`)).status).toBe(200);
    expect(
      (await json(`${up.url}/assignments/a1`, { ...post({ status: 'done' }), method: 'PATCH' })).status,
    ).toBe(200);
    up.setFault(undefined);
    expect((await json(`${up.url}/assignments/a1`)).status).toBe(200);
  });

  it('answers 429 with Retry-After', async () => {
    const up = await start();
    up.setFault({ kind: 'rate-limit', retryAfterSeconds: 7, times: 1 });
    const res = await json(`${up.url}/assignments/a1`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('answers late when slow, on the injected clock', async () => {
    const clock = new ManualClock();
    const up = await start({ clock });
    up.setFault({ kind: 'slow', delayMs: 5000 });
    let settled = false;
    const pending = json(`${up.url}/assignments/a1`).finally(() => {
      settled = true;
    });
    await up.waitForRequests(1);
    expect(up.stats().inFlight).toBe(1);
    clock.advance(4999);
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    clock.advance(1);
    expect((await pending).status).toBe(200);
  });

  it('hangs until the client gives up or the server closes', async () => {
    const up = await start();
    up.setFault({ kind: 'hang' });
    const aborter = new AbortController();
    const hung = fetch(`${up.url}/assignments/a1`, { signal: aborter.signal });
    const hung2 = fetch(`${up.url}/assignments/a2`).then(
      () => 'answered',
      () => 'failed',
    );
    await up.waitForRequests(2);
    expect(up.stats()).toMatchObject({ inFlight: 2, byStatus: { hang: 2 } });
    aborter.abort();
    await expect(hung).rejects.toThrow();
    await up.close();
    expect(await hung2).toBe('failed');
  });

  it('resets connections', async () => {
    const up = await start();
    up.setFault({ kind: 'reset', times: 1 });
    await expect(fetch(`${up.url}/assignments/a1`)).rejects.toThrow();
    expect((await json(`${up.url}/assignments/a1`)).status).toBe(200);
    expect(up.stats().byStatus.reset).toBe(1);
  });

  it('counts requests by route and resets counters and data', async () => {
    const up = await start();
    await json(`${up.url}/assignments/a1`);
    await json(`${up.url}/assignments/a2`);
    await json(`${up.url}/users/u1/assignments`);
    await json(`${up.url}/assignments`, post({ userId: 'u1', title: 'x' }));
    expect(up.stats().byRoute).toEqual({
      'GET /assignments/{id}': 2,
      'GET /users/{userId}/assignments': 1,
      'POST /assignments': 1,
    });
    up.resetStats();
    expect(up.stats().requests).toBe(0);
    expect(up.assignments()).toHaveLength(13);
    up.setFault({ kind: 'error' });
    up.reset();
    expect(up.assignments()).toHaveLength(12);
    expect(up.fault).toBeUndefined();
  });

  it('rejects malformed faults', async () => {
    const up = await start();
    expect(() => up.setFault({ kind: 'error', status: 200 })).toThrow(ConfigError);
    expect(() => up.setFault({ kind: 'slow', delayMs: -1 })).toThrow(/delayMs/);
    expect(() => up.setFault({ kind: 'error', times: 0 })).toThrow(/times/);
  });

  it('has a control API over HTTP that is never counted or faulted', async () => {
    const up = await start();
    const set = await fetch(`${up.url}/_control/fault`, post({ kind: 'error', status: 502 }));
    expect(set.status).toBe(204);
    expect((await json(`${up.url}/assignments/a1`)).status).toBe(502);
    const stats = await json(`${up.url}/_control/stats`);
    expect(stats.body).toMatchObject({ requests: 1, faultsInjected: 1 });
    expect((await json(`${up.url}/_control/fault`, post({ kind: 'explode' }))).status).toBe(400);
    expect((await fetch(`${up.url}/_control/fault`, { method: 'DELETE' })).status).toBe(204);
    expect((await json(`${up.url}/assignments/a1`)).status).toBe(200);
    await json(`${up.url}/assignments`, post({ userId: 'u1', title: 'x' }));
    expect((await fetch(`${up.url}/_control/reset`, { method: 'POST' })).status).toBe(204);
    expect(up.stats().requests).toBe(0);
    expect(up.assignments()).toHaveLength(12);
  });

  it('waitForRequests resolves once enough requests arrived', async () => {
    const up = await start();
    let done = false;
    const waiting = up.waitForRequests(2).then(() => {
      done = true;
    });
    await json(`${up.url}/assignments/a1`);
    expect(done).toBe(false);
    await json(`${up.url}/assignments/a1`);
    await waiting;
    expect(done).toBe(true);
  });

  it('leaves nothing scheduled or listening after close', async () => {
    const clock = new ManualClock();
    const up = await start({ clock });
    up.setFault({ kind: 'slow', delayMs: 60_000 });
    const slow = fetch(`${up.url}/assignments/a1`).then(
      () => 'answered',
      () => 'failed',
    );
    await up.waitForRequests(1);
    expect(clock.pending()).toBe(1);
    await up.close();
    expect(clock.pending()).toBe(0);
    expect(await slow).toBe('failed');
    await expect(fetch(`${up.url}/assignments/a1`)).rejects.toThrow();
    await up.close();
  });
});

describe('assignments upstream: changes behind the gateway, announced by webhook', () => {
  it('signs an assignment.updated Standard Webhook the receiver verifies, for the control API and the method', async () => {
    const { createServer } = await import('node:http');
    const { standardWebhooks } = await import('../../src/webhooks/index.js');
    const secret = `whsec_${Buffer.from('demo-upstream-webhook-secret-key').toString('base64')}`;
    const verifier = standardWebhooks({ secret });
    const received: { verified: boolean; type: unknown; data: unknown }[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const result = verifier.verify(body, req.headersDistinct as never, Date.now());
        const doc = JSON.parse(body.toString()) as { type: unknown; data: unknown };
        received.push({ verified: result.ok, type: doc.type, data: doc.data });
        res.writeHead(result.ok ? 200 : 401).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const port = (receiver.address() as { port: number }).port;
    try {
      const up = await start();
      expect((await up.changeBehindTheBack('a1', { title: 'No webhook yet' })).webhookStatus).toBeUndefined();
      up.setWebhook({ url: `http://127.0.0.1:${port}/hooks`, secret });
      const changed = await up.changeBehindTheBack('a1', { status: 'done' });
      expect(changed).toMatchObject({ assignment: { id: 'a1', status: 'done' }, webhookStatus: 200 });
      const viaHttp = await json(`${up.url}/_control/assignments/a2`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Renamed' }),
      });
      expect(viaHttp).toMatchObject({
        status: 200,
        body: { assignment: { title: 'Renamed' }, webhookStatus: 200 },
      });
      expect(received).toEqual([
        { verified: true, type: 'assignment.updated', data: { id: 'a1', userId: expect.any(String) } },
        { verified: true, type: 'assignment.updated', data: { id: 'a2', userId: expect.any(String) } },
      ]);
      // Not through the API: the request counters stay untouched.
      expect(up.stats().requests).toBe(0);
    } finally {
      receiver.closeAllConnections();
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});
