import { setMaxListeners } from 'node:events';
import type { RuntimeCalls } from './runtime-calls.js';
import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import { AbortedError, type Clock } from '../../core/index.js';
import type { CallSignal } from '../tools/call-signal.js';

/** A tool's own work: arguments, the SDK context and what aborts it. */
export type ToolExecute = (
  args: Record<string, unknown>,
  ctx: ServerContext,
  call: CallSignal,
) => Promise<CallToolResult>;

/** What the SDK calls for a registered tool. */
export type ToolHandler = (args: unknown, ctx: ServerContext) => Promise<CallToolResult>;

const SHUTTING_DOWN: CallToolResult = {
  content: [
    { type: 'text', text: 'The gateway is shutting down and takes no new calls; retry in a moment.' },
  ],
  isError: true,
};

/**
 * One running call's abort side: the client's cancellation (the SDK's request signal) or the gateway's
 * shutdown. The AbortController joining the two is made only when the tool reads `signal` (a
 * credential or page fetch, a queued wait); an upstream request listens to the client's signal and
 * the tracker's shared stop signal instead, so a miss pays for no AbortSignal of its own (making one
 * costs microseconds on Node 20).
 */
class TrackedCall implements CallSignal {
  private controller: AbortController | undefined = undefined;
  private shutDown = false;
  private shutdownReason: unknown = undefined;
  private ended = false;
  private onClientAbort: (() => void) | undefined = undefined;

  constructor(
    private readonly client: AbortSignal,
    readonly stopSignal: AbortSignal,
  ) {}

  get clientSignal(): AbortSignal {
    return this.client;
  }

  get aborted(): boolean {
    return this.shutDown || this.client.aborted;
  }

  get reason(): unknown {
    return this.shutDown ? this.shutdownReason : this.client.reason;
  }

  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const c = new AbortController();
    this.controller = c;
    if (this.aborted) c.abort(this.reason);
    else if (!this.ended) {
      // After end() nobody would remove it: a signal read then only reports the state.
      const client = this.client;
      this.onClientAbort = () => c.abort(client.reason);
      client.addEventListener('abort', this.onClientAbort, { once: true });
    }
    return c.signal;
  }

  /** Aborts the call (first abort wins, as for an AbortController). */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.shutDown = true;
    this.shutdownReason = reason;
    this.controller?.abort(reason);
  }

  /** The call returned: drop the listener on the client's signal. */
  end(): void {
    this.ended = true;
    if (this.onClientAbort) this.client.removeEventListener('abort', this.onClientAbort);
    this.onClientAbort = undefined;
  }
}

/** A stop signal: every call running at once listens to it, so no listener limit applies. */
function stopController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

/**
 * Counts the gateway's running tool calls so shutdown can wait for them: refuses new calls once
 * draining, and holds every running call so what outlives its deadline can be aborted.
 */
export class CallTracker {
  private count = 0;
  private draining = false;
  private readonly running = new Set<TrackedCall>();
  private idleWaiters: (() => void)[] = [];
  /** Aborted by `abortAll`, then replaced: what a running call's upstream request also listens to. */
  private stop = stopController();

  constructor(private readonly clock: Clock) {}

  /** Tool calls currently running. */
  get inFlight(): number {
    return this.count;
  }

  /**
   * The SDK handler of one tool: counted, refused while draining, aborted by the client or shutdown.
   * `runtime` also counts the call on the config it runs on (a reload waits for those).
   */
  handlerFor(execute: ToolExecute, runtime?: RuntimeCalls): ToolHandler {
    return async (args, ctx) => {
      if (this.draining) return SHUTTING_DOWN;
      this.count++;
      runtime?.enter();
      const call = new TrackedCall(ctx.mcpReq.signal, this.stop.signal);
      this.running.add(call);
      try {
        return await execute((args ?? {}) as Record<string, unknown>, ctx, call);
      } finally {
        this.running.delete(call);
        call.end();
        runtime?.leave();
        if (--this.count === 0) this.wakeIdleWaiters();
      }
    };
  }

  /** Refuses new calls from now on. */
  stopAccepting(): void {
    this.draining = true;
  }

  /** Refuses new calls; resolves true once running calls finished, false at the deadline (aborting them). */
  drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    if (this.count === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.abortAll(`the gateway shut down before this call finished (deadline ${timeoutMs} ms)`);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.push(() => {
        this.clock.clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Aborts every running call with an `AbortedError` saying why. */
  abortAll(reason: string): void {
    // Each call's own reason first, so what its stop signal ends reports it.
    for (const c of this.running) c.abort(new AbortedError(reason));
    const stop = this.stop;
    this.stop = stopController();
    stop.abort(new AbortedError(reason));
  }

  private wakeIdleWaiters(): void {
    if (this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
