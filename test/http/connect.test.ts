import { buildConnector, errors, Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { createHttpClient, NetworkError, TimeoutError } from '../../src/http/index.js';
import { httpTestHarness } from './harness.js';
import { sendJson, startServer } from './server.js';

const { defer } = httpTestHarness();

describe('connect failures', () => {
  it('names the connect phase and retries it', async () => {
    const server = await startServer((_req, res) => sendJson(res, 200, { ok: true }));
    defer(() => server.close());
    // undici's connector seam: the first connect reports undici's own connect timeout, later ones connect.
    const real = buildConnector({});
    let connects = 0;
    const pool = new Pool(server.url, {
      connect: (opts, cb) => {
        if (connects++ === 0) cb(new errors.ConnectTimeoutError('Connect Timeout Error'), null);
        else real(opts, cb);
      },
    });
    defer(() => pool.close());
    const noRetry = createHttpClient({ baseUrl: server.url, dispatcher: pool, retry: false });
    const err = (await noRetry.get('/x').catch((e: unknown) => e)) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.phase).toBe('connect');
    expect(err.message).toMatch(/connect phase/);

    connects = 0;
    const retrying = createHttpClient({ baseUrl: server.url, dispatcher: pool, retry: { baseDelayMs: 0 } });
    const res = await retrying.get('/x');
    expect(res.attempts).toBe(2);
    expect(connects).toBe(2);
    await noRetry.close();
    await retrying.close();
  });

  it('wraps a refused connection in NetworkError and retries it', async () => {
    const server = await startServer(() => {});
    const url = server.url;
    await server.close();
    const attempts: number[] = [];
    const client = createHttpClient({
      baseUrl: url,
      retry: { baseDelayMs: 0, maxAttempts: 3, onRetry: (e) => attempts.push(e.attempt) },
    });
    defer(() => client.close());
    const err = (await client.get('/x').catch((e: unknown) => e)) as NetworkError;
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.causeCode).toBe('ECONNREFUSED');
    expect(attempts).toEqual([1, 2]);
  });

  it('says what a refused connection means and what to check, naming its code once', async () => {
    const server = await startServer(() => {});
    const url = server.url;
    await server.close();
    const client = createHttpClient({ baseUrl: url, retry: false });
    defer(() => client.close());
    const err = (await client.get('/x').catch((e: unknown) => e)) as NetworkError;
    expect(err.message).toBe(
      `GET ${url}/x failed: the connection was refused (ECONNREFUSED). Check that the upstream is running and that its base URL has the right host and port.`,
    );
  });

  it('says when the connection dropped mid-answer, with the code and the detail once each', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      res.socket?.destroy();
    });
    defer(() => server.close());
    const client = createHttpClient({ baseUrl: server.url, retry: false });
    defer(() => client.close());
    const err = (await client.get('/x').catch((e: unknown) => e)) as NetworkError;
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toMatch(
      new RegExp(
        `^GET ${server.url}/x failed: the connection closed before a complete response \\(${err.causeCode}: [^)]+\\)\\. `,
      ),
    );
    expect(err.message.split(err.causeCode!).length).toBe(2);
  });
});
