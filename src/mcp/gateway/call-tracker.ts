import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import { AbortedError, type Clock } from '../../core/index.js';

/** A tool's own work: arguments, the SDK context and the signal that aborts it. */
export type ToolExecute = (
  args: Record<string, unknown>,
  ctx: ServerContext,
  signal: AbortSignal,
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
 * Counts the gateway's running tool calls so shutdown can wait for them: refuses new calls once
 * draining, and holds one controller per running call so what outlives its deadline can be aborted.
 */
export class CallTracker {
  private count = 0;
  private draining = false;
  private readonly running = new Set<AbortController>();
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly clock: Clock) {}

  /** Tool calls currently running. */
  get inFlight(): number {
    return this.count;
  }

  /** The SDK handler of one tool: counted, refused while draining, aborted by the client or shutdown. */
  handlerFor(execute: ToolExecute): ToolHandler {
    return async (args, ctx) => {
      if (this.draining) return SHUTTING_DOWN;
      this.count++;
      const controller = new AbortController();
      const clientSignal = ctx.mcpReq.signal;
      const onClientAbort = () => controller.abort(clientSignal.reason);
      if (clientSignal.aborted) controller.abort(clientSignal.reason);
      else clientSignal.addEventListener('abort', onClientAbort, { once: true });
      this.running.add(controller);
      try {
        return await execute((args ?? {}) as Record<string, unknown>, ctx, controller.signal);
      } finally {
        this.running.delete(controller);
        clientSignal.removeEventListener('abort', onClientAbort);
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
    for (const c of this.running) c.abort(new AbortedError(reason));
  }

  private wakeIdleWaiters(): void {
    if (this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
