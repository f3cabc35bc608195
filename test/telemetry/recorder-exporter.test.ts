import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import { startTracing } from '../../src/telemetry/index.js';
import { OtlpExporter, type OtlpExporterOptions } from '../../src/telemetry/recorder/otlp-exporter.js';
import { batchPrefix } from '../../src/telemetry/recorder/otlp-json.js';
import type { RecordedSpan } from '../../src/telemetry/recorder/recorded-span.js';
import { freePorts } from '../helpers/free-ports.js';

const SECRET = 'otlp-secret-5b1e9d7c3a';

interface Arrived {
  headers: IncomingHttpHeaders;
  /** Header names and values as sent, in order (duplicates kept). */
  rawHeaders: string[];
  names: string[];
  answer(status: number): void;
}

/**
 * An OTLP receiver whose every request waits for the test to answer it: requests arrive in order on
 * `next()`, so a test knows exactly what was sent and when.
 */
async function scriptedReceiver() {
  const arrived: Arrived[] = [];
  const waiters: ((a: Arrived) => void)[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const names: string[] = body.resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name);
    open.add(res);
    const a: Arrived = {
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      names,
      answer(status) {
        open.delete(res);
        res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      },
    };
    const w = waiters.shift();
    if (w) w(a);
    else arrived.push(a);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/v1/traces`,
    next: (): Promise<Arrived> => {
      const a = arrived.shift();
      return a ? Promise.resolve(a) : new Promise((resolve) => waiters.push(resolve));
    },
    pending: () => arrived.length,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Ended spans named `n0`, `n1`, … (made by the recorder, collected as they end). */
function spans(count: number, name = 'n'): RecordedSpan[] {
  const out: RecordedSpan[] = [];
  const t = startTracing({
    exporter: {
      export: (s, done) => {
        out.push(...(s as RecordedSpan[]));
        done({ code: 0 });
      },
      shutdown: async () => {},
    },
  });
  for (let i = 0; i < count; i++) t.tracer.startSpan(`${name}${i}`, {}, ROOT_CONTEXT).end();
  return out;
}

/** A manual clock that also says when a timer of a given delay is armed (a retry's backoff). */
class WatchedClock extends ManualClock {
  private waiters: { ms: number; resolve: () => void }[] = [];
  override setTimeout(fn: () => void, ms: number) {
    const handle = super.setTimeout(fn, ms);
    for (const w of this.waiters.filter((x) => x.ms === ms)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
    return handle;
  }
  /** Resolves when the next timer of `ms` is armed. */
  armed(ms: number): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ ms, resolve }));
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(options: Partial<OtlpExporterOptions> = {}) {
  const receiver = await scriptedReceiver();
  const clock = new WatchedClock(0);
  const logger = createRecordingLogger();
  const exporter = new OtlpExporter(
    batchPrefix({ 'service.name': 'exporter-test' }, { name: 'conduit-mcp' }),
    {
      endpoint: receiver.endpoint,
      headers: { 'x-otlp-key': SECRET },
      clock,
      logger,
      maxBatch: 4,
      maxQueue: 8,
      delayMs: 1000,
      ...options,
    },
  );
  cleanups.push(async () => {
    await receiver.close();
    await exporter.close();
  });
  return { receiver, clock, logger, exporter };
}

describe("the recorder's OTLP/HTTP exporter", () => {
  it('sends a full batch as one request at once, with the configured headers', async () => {
    const { receiver, exporter } = await setup();
    for (const s of spans(4)) exporter.add(s);
    const req = await receiver.next();
    expect(req.names).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect(req.headers['x-otlp-key']).toBe(SECRET);
    expect(req.headers['content-type']).toBe('application/json');
    req.answer(200);
  });

  it('a configured header named in another case replaces the exporter’s own once; content-type stays JSON', async () => {
    const { receiver, exporter } = await setup({
      headers: { 'User-Agent': 'collector-side/1', 'Content-Type': 'text/plain', 'X-Otlp-Key': SECRET },
    });
    for (const s of spans(4)) exporter.add(s);
    const req = await receiver.next();
    req.answer(200);
    const sent = (name: string) =>
      req.rawHeaders.filter((_, i) => i % 2 === 1 && req.rawHeaders[i - 1]!.toLowerCase() === name);
    expect(sent('user-agent')).toEqual(['collector-side/1']);
    expect(sent('content-type')).toEqual(['application/json']);
    expect(sent('x-otlp-key')).toEqual([SECRET]);
  });

  it('refuses an endpoint with credentials in it, without quoting them', () => {
    const make = () =>
      new OtlpExporter(batchPrefix({}, { name: 'conduit-mcp' }), {
        endpoint: `http://conduit:${SECRET}@127.0.0.1:4318/v1/traces`,
      });
    expect(make).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(make).toThrow(/headers/);
    expect(() => make()).not.toThrow(new RegExp(SECRET));
  });

  it('sends a partial batch only when the delay has passed', async () => {
    const { receiver, clock, exporter } = await setup();
    for (const s of spans(3)) exporter.add(s);
    // A flush would send it; nothing but the delay is allowed to here: the clock has not moved.
    await clock.advanceAsync(999);
    expect(receiver.pending()).toBe(0);
    await clock.advanceAsync(1);
    const req = await receiver.next();
    expect(req.names).toEqual(['n0', 'n1', 'n2']);
    req.answer(200);
  });

  it('spans that end while a request is in flight wait for a full batch, not a request each', async () => {
    // maxQueue counts the spans in flight too: room for all three batches.
    const { receiver, exporter } = await setup({ maxQueue: 16 });
    for (const s of spans(4, 'a')) exporter.add(s);
    const first = await receiver.next();
    for (const s of spans(5, 'b')) exporter.add(s);
    first.answer(200);
    const second = await receiver.next();
    expect(second.names).toEqual(['b0', 'b1', 'b2', 'b3']);
    second.answer(200);
    // The fifth waits for its delay (or a flush).
    const flushed = exporter.flush();
    const third = await receiver.next();
    expect(third.names).toEqual(['b4']);
    third.answer(200);
    await flushed;
  });

  it('retries a 503 after its backoff and sends the same spans again', async () => {
    const { receiver, clock, logger, exporter } = await setup();
    for (const s of spans(4)) exporter.add(s);
    const backoff = clock.armed(1000);
    (await receiver.next()).answer(503);
    await backoff;
    await clock.advanceAsync(1000);
    const retry = await receiver.next();
    expect(retry.names).toEqual(['n0', 'n1', 'n2', 'n3']);
    retry.answer(200);
    await exporter.flush();
    expect(logger.records.filter((r) => r.level === 'warn')).toEqual([]);
  });

  it('gives a batch up after three attempts and logs the status, never a header value', async () => {
    const { receiver, clock, logger, exporter } = await setup();
    for (const s of spans(4)) exporter.add(s);
    for (const wait of [1000, 2000]) {
      const backoff = clock.armed(wait);
      (await receiver.next()).answer(503);
      await backoff;
      await clock.advanceAsync(wait);
    }
    (await receiver.next()).answer(503);
    await exporter.flush();
    const warns = logger.records.filter((r) => r.level === 'warn');
    expect(warns).toEqual([expect.objectContaining({ status: 503, attempts: 3, spans: 4 })]);
    expect(JSON.stringify(logger.records)).not.toContain(SECRET);
  });

  it('does not retry a 400, and says so once', async () => {
    const { receiver, logger, exporter } = await setup();
    for (const s of spans(4)) exporter.add(s);
    (await receiver.next()).answer(400);
    await exporter.flush();
    expect(receiver.pending()).toBe(0);
    expect(logger.records.filter((r) => r.level === 'warn')).toEqual([
      expect.objectContaining({ status: 400, attempts: 1 }),
    ]);
  });

  it('holds at most maxQueue spans while the receiver is stuck, drops the rest and counts them', async () => {
    const { receiver, logger, exporter } = await setup();
    for (const s of spans(20)) exporter.add(s);
    const first = await receiver.next();
    first.answer(200);
    const second = await receiver.next();
    expect([...first.names, ...second.names]).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7']);
    second.answer(200);
    await exporter.flush();
    expect(logger.records.filter((r) => r.level === 'warn')).toEqual([
      expect.objectContaining({ dropped: 12, maxQueue: 8 }),
    ]);
  });

  it('tells onDropped of every span it drops, and why: the queue was full, or its batch could not be sent', async () => {
    const dropped: [number, string][] = [];
    const { receiver, exporter } = await setup({ onDropped: (n, why) => dropped.push([n, why]) });
    for (const s of spans(10)) exporter.add(s);
    expect(dropped).toEqual([
      [1, 'queue_full'],
      [1, 'queue_full'],
    ]);
    (await receiver.next()).answer(400);
    (await receiver.next()).answer(200);
    await exporter.flush();
    expect(dropped.slice(2)).toEqual([[4, 'export_failed']]);
  });

  it('holds at most maxQueueBytes of spans while the receiver is stuck: the queue stops growing, the rest is dropped and counted', async () => {
    const MiB = 1024 * 1024;
    const { receiver, logger, exporter } = await setup({ maxQueue: 100, maxQueueBytes: 2 * MiB });
    // About 250 KB of JSON each (20 values of 4096 three-byte characters): four fit a 1 MiB batch buffer.
    const attributes: Record<string, string> = {};
    for (let i = 0; i < 20; i++) attributes[`a${i}`] = '€'.repeat(4096);
    const big = (name: string) => {
      const out: RecordedSpan[] = [];
      const t = startTracing({
        exporter: {
          export: (s, done) => {
            out.push(...(s as RecordedSpan[]));
            done({ code: 0 });
          },
          shutdown: async () => {},
        },
      });
      for (let i = 0; i < 20; i++) t.tracer.startSpan(`${name}${i}`, { attributes }, ROOT_CONTEXT).end();
      return out;
    };
    for (const s of big('n')) exporter.add(s);
    const held = exporter.queuedBytes;
    expect(held).toBeLessThanOrEqual(2 * MiB);
    for (const s of big('m')) exporter.add(s);
    expect(exporter.queuedBytes).toBe(held);
    const first = await receiver.next();
    first.answer(200);
    const second = await receiver.next();
    second.answer(200);
    await exporter.flush();
    expect([...first.names, ...second.names]).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7']);
    expect(receiver.pending()).toBe(0);
    expect(exporter.queuedBytes).toBe(0);
    expect(logger.records.filter((r) => r.level === 'warn')).toEqual([
      expect.objectContaining({ dropped: 32, maxQueueBytes: 2 * MiB }),
    ]);
  });

  it('a network failure is logged by its code, without the endpoint (host, path, query) or the headers', async () => {
    const logger = createRecordingLogger();
    const clock = new ManualClock(0);
    // Port 1 on loopback: nothing listens there.
    const exporter = new OtlpExporter(batchPrefix({}, { name: 'conduit-mcp' }), {
      endpoint: `http://127.0.0.1:1/v1/traces?key=${SECRET}`,
      headers: { authorization: `Bearer ${SECRET}` },
      clock,
      logger,
    });
    for (const s of spans(2)) exporter.add(s);
    await exporter.close();
    const warns = logger.records.filter((r) => r.level === 'warn');
    expect(warns).toEqual([expect.objectContaining({ code: 'ECONNREFUSED', attempts: 1 })]);
    expect(JSON.stringify(logger.records)).not.toContain(SECRET);
    expect(JSON.stringify(logger.records)).not.toContain('/v1/traces');
    expect(JSON.stringify(logger.records)).not.toContain('127.0.0.1:1');
  });

  it('at close, once a batch fails the batches behind it are given up unsent: one warning for all their spans, each counted as export_failed', async () => {
    const dropped: [number, string][] = [];
    const { receiver, logger, exporter } = await setup({
      maxQueue: 100,
      onDropped: (n, why) => dropped.push([n, why]),
    });
    for (const s of spans(12)) exporter.add(s);
    const closed = exporter.close();
    // A 503 is retried while the exporter runs; at close it is the batch's one attempt.
    (await receiver.next()).answer(503);
    await closed;
    expect(receiver.pending()).toBe(0);
    expect(dropped).toEqual([
      [4, 'export_failed'],
      [4, 'export_failed'],
      [4, 'export_failed'],
    ]);
    expect(logger.records.filter((r) => r.level === 'warn')).toEqual([
      expect.objectContaining({
        spans: 12,
        attempts: 1,
        status: 503,
      }),
    ]);
    expect(JSON.stringify(logger.records)).not.toContain(SECRET);
  });

  it('close ends by timeoutMs on its clock when the receiver takes the request and never answers', async () => {
    const { receiver, clock, logger, exporter } = await setup({ timeoutMs: 60_000 });
    for (const s of spans(2)) exporter.add(s);
    const deadline = clock.armed(60_000);
    const closed = exporter.close();
    await deadline;
    await receiver.next(); // held: never answered
    await clock.advanceAsync(60_000);
    await closed;
    expect(logger.records.filter((r) => r.level === 'warn')).toEqual([
      expect.objectContaining({ spans: 2, attempts: 1, code: 'TIMEOUT' }),
    ]);
  });

  it('close ends a backoff early: the waiting batch gets its last attempt, the rest is sent, later spans are not', async () => {
    const { receiver, clock, exporter } = await setup();
    for (const s of spans(4, 'a')) exporter.add(s);
    const backoff = clock.armed(1000);
    (await receiver.next()).answer(503);
    await backoff;
    // Now in its 1 s backoff, which the clock never reaches.
    for (const s of spans(2, 'b')) exporter.add(s);
    const closed = exporter.close();
    // The batch in backoff gets its last attempt at once, then the rest goes.
    const retried = await receiver.next();
    expect(retried.names).toEqual(['a0', 'a1', 'a2', 'a3']);
    retried.answer(200);
    const last = await receiver.next();
    expect(last.names).toEqual(['b0', 'b1']);
    last.answer(200);
    await closed;
    for (const s of spans(4, 'c')) exporter.add(s);
    await clock.advanceAsync(5000);
    expect(receiver.pending()).toBe(0);
  });

  it('a script awaiting flush() with the collector down waits out the retries (not ended mid-backoff), then close() tries once', async () => {
    const [port] = await freePorts(1);
    const script = fileURLToPath(new URL('./fixtures/flush-collector-down.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    // Exit 13 (a top-level await left unsettled) is the process ending while the backoff waited.
    expect(code).toBe(0);
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ flushed: [3] }, { closed: [3, 1] }]);
  });

  it('a span too large for a shared batch buffer goes in a request of its own, as valid JSON', async () => {
    const { receiver, exporter } = await setup();
    const t = startTracing({
      exporter: {
        export: (s, done) => {
          for (const x of s as RecordedSpan[]) exporter.add(x);
          done({ code: 0 });
        },
        shutdown: async () => {},
      },
    });
    t.tracer.startSpan('small', {}, ROOT_CONTEXT).end();
    // 128 values of 4096 three-byte characters (the most a span keeps): over 1 MiB as UTF-8.
    const attributes: Record<string, string> = {};
    for (let i = 0; i < 128; i++) attributes[`a${i}`] = '€'.repeat(4096);
    t.tracer.startSpan('huge', { attributes }, ROOT_CONTEXT).end();
    const flushed = exporter.flush();
    const a = await receiver.next();
    a.answer(200);
    const b = await receiver.next();
    b.answer(200);
    await flushed;
    // In the order the spans ended: the open batch is closed before the large span's own.
    expect([a.names, b.names]).toEqual([['small'], ['huge']]);
  });
});
