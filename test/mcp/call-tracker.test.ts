import { getEventListeners } from 'node:events';
import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { AbortedError, ManualClock } from '../../src/core/index.js';
import { CallTracker } from '../../src/mcp/gateway/call-tracker.js';
import type { CallSignal } from '../../src/mcp/tools/call-signal.js';

const OK: CallToolResult = { content: [{ type: 'text', text: 'ok' }] };

/** The part of the SDK's context the tracker reads: the request's signal. */
function contextWith(signal: AbortSignal): ServerContext {
  return { mcpReq: { signal } } as unknown as ServerContext;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('CallTracker: the abort side of a running call', () => {
  it("a tool reading its signal after the client cancelled gets an aborted one with the client's reason", async () => {
    const tracker = new CallTracker(new ManualClock(0));
    const client = new AbortController();
    const proceed = deferred();
    let seen: AbortSignal | undefined;
    const handler = tracker.handlerFor(async (_args, _ctx, call) => {
      await proceed.promise;
      seen = call.signal;
      return OK;
    });
    const done = handler({}, contextWith(client.signal));
    client.abort('client went away');
    proceed.resolve();
    await done;
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe('client went away');
  });

  it('a signal read before the cancel aborts with it, and its listener is gone once the call returned', async () => {
    const tracker = new CallTracker(new ManualClock(0));
    const client = new AbortController();
    const aborted = deferred();
    const handler = tracker.handlerFor(async (_args, _ctx, call) => {
      call.signal.addEventListener('abort', () => aborted.resolve(), { once: true });
      await aborted.promise;
      return OK;
    });
    const done = handler({}, contextWith(client.signal));
    expect(getEventListeners(client.signal, 'abort')).toHaveLength(1);
    client.abort('stop');
    await done;
    expect(getEventListeners(client.signal, 'abort')).toHaveLength(0);
  });

  it('a call that never read its signal is still aborted by shutdown, and a late read sees it', async () => {
    const tracker = new CallTracker(new ManualClock(0));
    const client = new AbortController();
    const proceed = deferred();
    let state: { aborted: boolean; reason: unknown; late?: AbortSignal } | undefined;
    let handed: CallSignal | undefined;
    const handler = tracker.handlerFor(async (_args, _ctx, call) => {
      handed = call;
      await proceed.promise;
      state = { aborted: call.aborted, reason: call.reason, late: call.signal };
      return OK;
    });
    const done = handler({}, contextWith(client.signal));
    // Nothing read the signal: no listener was put on the client's.
    expect(getEventListeners(client.signal, 'abort')).toHaveLength(0);
    expect(handed?.aborted).toBe(false);
    tracker.abortAll('shutting down');
    proceed.resolve();
    await done;
    expect(state?.aborted).toBe(true);
    expect(state?.reason).toBeInstanceOf(AbortedError);
    expect(state?.late?.aborted).toBe(true);
    expect(state?.late?.reason).toBe(state?.reason);
    // A later client cancel does not replace the shutdown's reason.
    client.abort('too late');
    expect(handed?.reason).toBe(state?.reason);
  });

  it("shutdown aborts the stop signal the running calls hold, with its reason; a later call's is not aborted", async () => {
    const tracker = new CallTracker(new ManualClock(0));
    const proceed = deferred();
    let held: CallSignal | undefined;
    const handler = tracker.handlerFor(async (_args, _ctx, call) => {
      held = call;
      await proceed.promise;
      return OK;
    });
    const client = new AbortController();
    const done = handler({}, contextWith(client.signal));
    expect(held?.clientSignal).toBe(client.signal);
    const stop = held!.stopSignal;
    expect(stop.aborted).toBe(false);
    tracker.abortAll('shutting down');
    expect(stop.aborted).toBe(true);
    expect(stop.reason).toBeInstanceOf(AbortedError);
    expect((stop.reason as Error).message).toBe('shutting down');
    expect(held?.reason).toBeInstanceOf(AbortedError);
    // The client's own signal is not touched: only the call's view of it reports the shutdown.
    expect(client.signal.aborted).toBe(false);
    proceed.resolve();
    await done;
    let later: AbortSignal | undefined;
    await tracker.handlerFor(async (_args, _ctx, call) => {
      later = call.stopSignal;
      return OK;
    })({}, contextWith(new AbortController().signal));
    expect(later?.aborted).toBe(false);
  });
});
