import { describe, expect, it } from 'vitest';
import { InvalidPathError } from '../../src/http/index.js';
import { httpTestHarness } from '../http/harness.js';
import { sendJson } from '../http/server.js';

const harness = httpTestHarness();
const TOKEN = 'tok-9c1e44aa';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * An upstream whose `/v1/items` answers one page with the given next link; every other path answers
 * a "secret" page. The client's base URL is `/v1` with a bearer credential.
 */
async function serveNext(next: (origin: string) => string) {
  let origin = '';
  const { server, client } = await harness.serve(
    (_req, res, seen) => {
      if (seen.url.split('?')[0] === '/v1/items') {
        res.setHeader('link', `<${next(origin)}>; rel="next"`);
        sendJson(res, 200, [{ id: 1 }]);
      } else sendJson(res, 200, [{ secret: true }]);
    },
    { headers: { authorization: `Bearer ${TOKEN}` } },
    '/v1',
  );
  origin = server.url;
  return { server, client };
}

describe('paginate({ style: "link" }) stays under the base path', () => {
  for (const [label, next] of [
    ['another path on the same origin', (o: string) => `${o}/admin/export`],
    ['a sibling that shares the prefix', (o: string) => `${o}/v1-internal/items`],
    ['dot segments out of the base path', (o: string) => `${o}/v1/../admin`],
    ['encoded dot segments', (o: string) => `${o}/v1/%2e%2e/admin`],
  ] as const) {
    it(`refuses ${label} before sending the credential`, async () => {
      const { server, client } = await serveNext(next);
      let caught: unknown;
      try {
        await collect(client.paginate({ style: 'link', path: '/items' }));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(InvalidPathError);
      expect((caught as InvalidPathError).code).toBe('INVALID_PATH');
      expect((caught as Error).message).toMatch(/outside the client's base path \/v1/);
      expect(server.seen.map((s) => s.url)).toEqual(['/v1/items']);
      expect((caught as Error).message).not.toContain(TOKEN);
    });
  }

  it('follows a next link under the base path', async () => {
    let calls = 0;
    const { server, client } = await harness.serve(
      (_req, res, seen) => {
        calls++;
        if (calls === 1) res.setHeader('link', `<${server.url}/v1/items?page=2>; rel="next"`);
        sendJson(res, 200, [{ id: calls }]);
        void seen;
      },
      {},
      '/v1',
    );
    const pages = await collect(client.paginate({ style: 'link', path: '/items' }));
    expect(pages.flatMap((p) => p.items)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(server.seen.map((s) => s.url)).toEqual(['/v1/items', '/v1/items?page=2']);
  });
});
