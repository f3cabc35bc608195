import type { IncomingMessage, ServerResponse } from 'node:http';

/** POST exchanges still writing their answer; shutdown waits for them (SSE GET streams never end). */
export class PostTracker {
  private active = 0;
  private idle: (() => void) | undefined;

  /** Counts `req` until its response closes, when it is a POST. */
  track(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'POST') return;
    this.active++;
    res.once('close', () => {
      if (--this.active === 0) this.idle?.();
    });
  }

  get count(): number {
    return this.active;
  }

  /** Resolves when no POST is being answered any more, or after `ms`. */
  async settled(ms: number): Promise<void> {
    if (this.active === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
