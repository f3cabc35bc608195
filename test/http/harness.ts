import { afterEach } from 'vitest';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../../src/http/index.js';
import { startServer, type TestServer } from './server.js';

/** What `startServer` calls with each buffered request. */
export type Handler = Parameters<typeof startServer>[0];

/**
 * Test servers and HTTP clients that are closed, newest first, after each test of the file that
 * calls this (at the top level: it registers an `afterEach`).
 */
export function httpTestHarness() {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });
  return {
    /** Closes `fns` after the running test (the last registered first). */
    defer(...fns: (() => Promise<void> | void)[]) {
      cleanups.push(...fns);
    },
    /** A test server answering with `handler`, and a client whose base URL is its URL plus `basePath`. */
    async serve(
      handler: Handler,
      options: Partial<HttpClientOptions> = {},
      basePath = '',
    ): Promise<{ server: TestServer; client: HttpClient }> {
      const server = await startServer(handler);
      const client = createHttpClient({ baseUrl: `${server.url}${basePath}`, ...options });
      cleanups.push(
        () => server.close(),
        () => client.close(),
      );
      return { server, client };
    },
  };
}
